//! Every enumeration of the collection form and the workflows, each with a stable English
//! code and its Chinese label.

mod ethnicity;
mod household;
mod member;
mod workflow;

pub use ethnicity::Ethnicity;
pub use household::{
    AssistanceScope, DangerGrade, EliminationMode, HouseholdType, MeasureKind, MeasureStatus,
    MonitorCategory, NaturalChangeKind, RiskType, RoadType, WaterSupply,
};
pub use member::{
    DisabilityCategory, Education, Health, IdType, Insurance, LabourSkill, PoliticalStatus,
    Relation, SchoolStatus, Sex,
};
pub use workflow::{
    ClueSource, ClueType, Department, EntryStatus, PhotoSubject, Role, TaskKind, VerifyStatus,
};

/// Every (code, Chinese label) of the enumeration named `enumeration` (its type name, as
/// the form and the JSON Schema name it).
pub fn enum_entries(enumeration: &str) -> Option<Vec<(&'static str, &'static str)>> {
    fn all<T: crate::CodeEnum>() -> Vec<(&'static str, &'static str)> {
        T::all().iter().map(|v| (v.code(), v.label_zh())).collect()
    }
    Some(match enumeration {
        "Ethnicity" => all::<Ethnicity>(),
        "HouseholdType" => all::<HouseholdType>(),
        "MonitorCategory" => all::<MonitorCategory>(),
        "RiskType" => all::<RiskType>(),
        "MeasureKind" => all::<MeasureKind>(),
        "MeasureStatus" => all::<MeasureStatus>(),
        "NaturalChangeKind" => all::<NaturalChangeKind>(),
        "DangerGrade" => all::<DangerGrade>(),
        "WaterSupply" => all::<WaterSupply>(),
        "RoadType" => all::<RoadType>(),
        "AssistanceScope" => all::<AssistanceScope>(),
        "EliminationMode" => all::<EliminationMode>(),
        "Relation" => all::<Relation>(),
        "Sex" => all::<Sex>(),
        "IdType" => all::<IdType>(),
        "Health" => all::<Health>(),
        "LabourSkill" => all::<LabourSkill>(),
        "Education" => all::<Education>(),
        "SchoolStatus" => all::<SchoolStatus>(),
        "DisabilityCategory" => all::<DisabilityCategory>(),
        "PoliticalStatus" => all::<PoliticalStatus>(),
        "Insurance" => all::<Insurance>(),
        "Role" => all::<Role>(),
        "EntryStatus" => all::<EntryStatus>(),
        "PhotoSubject" => all::<PhotoSubject>(),
        "ClueSource" => all::<ClueSource>(),
        "Department" => all::<Department>(),
        "ClueType" => all::<ClueType>(),
        "VerifyStatus" => all::<VerifyStatus>(),
        "TaskKind" => all::<TaskKind>(),
        _ => return None,
    })
}

/// The Chinese label of `code` in the enumeration named `enumeration`.
pub fn label_zh(enumeration: &str, code: &str) -> Option<&'static str> {
    enum_entries(enumeration)?
        .into_iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| label)
}

/// The code of a value written as its code (in any case) or as its Chinese label, as
/// spreadsheets from other systems write them.
pub fn code_of(enumeration: &str, text: &str) -> Option<&'static str> {
    let text = text.trim();
    let entries = enum_entries(enumeration)?;
    entries
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(text))
        .or_else(|| entries.iter().find(|(_, label)| *label == text))
        .map(|(code, _)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CodeEnum;
    use std::collections::HashSet;

    fn codes_are_unique_and_round_trip<T: CodeEnum + std::fmt::Debug + PartialEq>() {
        let mut seen = HashSet::new();
        for v in T::all() {
            assert!(
                seen.insert(v.code()),
                "{} repeats code {}",
                T::NAME,
                v.code()
            );
            assert!(!v.label_zh().is_empty());
            assert!(
                v.code()
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{} code {} is not UPPER_SNAKE",
                T::NAME,
                v.code()
            );
        }
    }

    #[test]
    fn labels_are_found_by_enumeration_name_and_code() {
        assert_eq!(label_zh("HouseholdType", "LIFTED"), Some("脱贫户"));
        assert_eq!(label_zh("Relation", "SELF"), Some("户主"));
        assert_eq!(code_of("Relation", "户主"), Some("SELF"));
        assert_eq!(code_of("Relation", " self "), Some("SELF"));
        assert_eq!(code_of("HouseholdType", "脱贫户"), Some("LIFTED"));
        assert_eq!(code_of("HouseholdType", "富裕户"), None);
        assert_eq!(code_of("NoSuchEnum", "X"), None);
        assert_eq!(label_zh("Relation", "NOBODY"), None);
        assert_eq!(label_zh("Nothing", "LIFTED"), None);
    }

    #[test]
    fn every_enumeration_has_unique_upper_snake_codes_and_labels() {
        codes_are_unique_and_round_trip::<HouseholdType>();
        codes_are_unique_and_round_trip::<MonitorCategory>();
        codes_are_unique_and_round_trip::<RiskType>();
        codes_are_unique_and_round_trip::<MeasureKind>();
        codes_are_unique_and_round_trip::<MeasureStatus>();
        codes_are_unique_and_round_trip::<NaturalChangeKind>();
        codes_are_unique_and_round_trip::<DangerGrade>();
        codes_are_unique_and_round_trip::<WaterSupply>();
        codes_are_unique_and_round_trip::<RoadType>();
        codes_are_unique_and_round_trip::<AssistanceScope>();
        codes_are_unique_and_round_trip::<EliminationMode>();
        codes_are_unique_and_round_trip::<Relation>();
        codes_are_unique_and_round_trip::<Sex>();
        codes_are_unique_and_round_trip::<IdType>();
        codes_are_unique_and_round_trip::<Health>();
        codes_are_unique_and_round_trip::<LabourSkill>();
        codes_are_unique_and_round_trip::<Education>();
        codes_are_unique_and_round_trip::<SchoolStatus>();
        codes_are_unique_and_round_trip::<DisabilityCategory>();
        codes_are_unique_and_round_trip::<PoliticalStatus>();
        codes_are_unique_and_round_trip::<Insurance>();
        codes_are_unique_and_round_trip::<Ethnicity>();
        codes_are_unique_and_round_trip::<Role>();
        codes_are_unique_and_round_trip::<ClueSource>();
        codes_are_unique_and_round_trip::<ClueType>();
        codes_are_unique_and_round_trip::<Department>();
        codes_are_unique_and_round_trip::<VerifyStatus>();
        codes_are_unique_and_round_trip::<TaskKind>();
        codes_are_unique_and_round_trip::<PhotoSubject>();
        codes_are_unique_and_round_trip::<EntryStatus>();
    }

    #[test]
    fn there_are_exactly_twelve_assistance_measures_and_eleven_risk_types() {
        assert_eq!(MeasureKind::ALL.len(), 12);
        assert_eq!(RiskType::ALL.len(), 11);
        assert_eq!(MeasureKind::SocialSecurity.label_zh(), "综合保障兜底");
    }

    #[test]
    fn codes_serialise_as_their_code_and_parse_back() {
        let json = serde_json::to_string(&MonitorCategory::UnstableLifted).unwrap_or_default();
        assert_eq!(json, "\"UNSTABLE_LIFTED\"");
        let back: MonitorCategory =
            serde_json::from_str(&json).unwrap_or(MonitorCategory::Marginal);
        assert_eq!(back, MonitorCategory::UnstableLifted);
        assert!("NOT_A_CODE".parse::<RiskType>().is_err());
        assert_eq!("ILLNESS".parse::<RiskType>().ok(), Some(RiskType::Illness));
    }

    #[test]
    fn natural_changes_know_their_direction() {
        assert!(NaturalChangeKind::Birth.is_increase());
        assert!(NaturalChangeKind::MarryIn.is_increase());
        assert!(NaturalChangeKind::MoveOut.is_decrease());
        assert!(!NaturalChangeKind::Other.is_increase() && !NaturalChangeKind::Other.is_decrease());
    }

    #[test]
    fn danger_grades_c_and_d_are_unsafe() {
        assert!(!DangerGrade::A.is_unsafe() && !DangerGrade::B.is_unsafe());
        assert!(DangerGrade::C.is_unsafe() && DangerGrade::D.is_unsafe());
    }

    #[test]
    fn ethnicities_carry_their_gb3304_numbers() {
        assert_eq!(Ethnicity::Han.gb3304(), "01");
        assert_eq!(Ethnicity::Uyghur.gb3304(), "05");
        assert_eq!(Ethnicity::Mongol.label_zh(), "蒙古族");
        assert_eq!(Ethnicity::from_gb3304("17"), Some(Ethnicity::Kazakh));
        assert_eq!(Ethnicity::ALL.len(), 58);
    }
}
