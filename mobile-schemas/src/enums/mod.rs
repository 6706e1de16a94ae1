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

/// The Chinese label of `code` in the enumeration named `enumeration` (its type name, as
/// the form and the JSON Schema name it).
pub fn label_zh(enumeration: &str, code: &str) -> Option<&'static str> {
    fn find<T: crate::CodeEnum>(code: &str) -> Option<&'static str> {
        T::all()
            .iter()
            .find(|v| v.code() == code)
            .map(|v| v.label_zh())
    }
    match enumeration {
        "Ethnicity" => find::<Ethnicity>(code),
        "HouseholdType" => find::<HouseholdType>(code),
        "MonitorCategory" => find::<MonitorCategory>(code),
        "RiskType" => find::<RiskType>(code),
        "MeasureKind" => find::<MeasureKind>(code),
        "MeasureStatus" => find::<MeasureStatus>(code),
        "NaturalChangeKind" => find::<NaturalChangeKind>(code),
        "DangerGrade" => find::<DangerGrade>(code),
        "WaterSupply" => find::<WaterSupply>(code),
        "RoadType" => find::<RoadType>(code),
        "AssistanceScope" => find::<AssistanceScope>(code),
        "EliminationMode" => find::<EliminationMode>(code),
        "Relation" => find::<Relation>(code),
        "Sex" => find::<Sex>(code),
        "IdType" => find::<IdType>(code),
        "Health" => find::<Health>(code),
        "LabourSkill" => find::<LabourSkill>(code),
        "Education" => find::<Education>(code),
        "SchoolStatus" => find::<SchoolStatus>(code),
        "DisabilityCategory" => find::<DisabilityCategory>(code),
        "PoliticalStatus" => find::<PoliticalStatus>(code),
        "Insurance" => find::<Insurance>(code),
        "Role" => find::<Role>(code),
        "EntryStatus" => find::<EntryStatus>(code),
        "PhotoSubject" => find::<PhotoSubject>(code),
        "ClueSource" => find::<ClueSource>(code),
        "Department" => find::<Department>(code),
        "ClueType" => find::<ClueType>(code),
        "VerifyStatus" => find::<VerifyStatus>(code),
        "TaskKind" => find::<TaskKind>(code),
        _ => None,
    }
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
