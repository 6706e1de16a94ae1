//! A household member.

use crate::enums::{
    DisabilityCategory, Education, EntryStatus, Ethnicity, Health, IdType, Insurance, LabourSkill,
    PoliticalStatus, Relation, SchoolStatus, Sex,
};
use crate::values::{CodeSet, EntryId};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// One member of a household. Field names are part of the protocol.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Member {
    /// `ACTIVE`, or `REMOVED` (moved out, died, married out); never deleted.
    pub status: EntryStatus,
    /// The natural-change event that removed or added the member.
    pub change_event: Option<EntryId>,
    /// Person number in the national system.
    #[schemars(length(max = 32))]
    pub person_number: Option<String>,
    /// Name as written in Chinese characters; middle dots are normalised to U+00B7.
    #[schemars(length(max = 64))]
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Identity document type.
    pub id_type: IdType,
    /// Identity document number (18 characters for resident IDs).
    #[schemars(length(max = 22))]
    pub id_number: Option<String>,
    /// Ethnic group.
    pub ethnicity: Option<Ethnicity>,
    /// Phone.
    #[schemars(length(max = 20))]
    pub phone: Option<String>,
    /// Relation to the head of household.
    pub relation: Relation,
    /// Political status.
    pub political_status: Option<PoliticalStatus>,
    /// Highest education completed; only for members not in school.
    pub education: Option<Education>,
    /// Current school stage; only for members in school.
    pub school_status: Option<SchoolStatus>,
    /// Why a school-age member dropped out.
    #[schemars(length(max = 200))]
    pub dropout_reason: Option<String>,
    /// Health status (several may apply).
    #[serde(default)]
    pub health: CodeSet<Health>,
    /// Disability category.
    pub disability_category: Option<DisabilityCategory>,
    /// Labour skill.
    pub labour_skill: Option<LabourSkill>,
    /// Where the member works.
    #[schemars(length(max = 200))]
    pub work_place: Option<String>,
    /// Months worked in the last year.
    #[schemars(range(max = 12))]
    pub months_worked: Option<u8>,
    /// Employer.
    #[schemars(length(max = 200))]
    pub employer: Option<String>,
    /// Works abroad.
    pub abroad: Option<bool>,
    /// Holds a public-welfare post (公益性岗位).
    pub public_welfare_post: Option<bool>,
    /// Insurance held.
    #[serde(default)]
    pub insurance: CodeSet<Insurance>,
    /// Receives 低保.
    pub dibao: Option<bool>,
    /// Receives 特困供养.
    pub tekun: Option<bool>,
    /// Receives medical aid (医疗救助).
    pub medical_aid: Option<bool>,
    /// Speaks Putonghua.
    pub speaks_putonghua: Option<bool>,
}

impl Member {
    /// A new active member with only the required fields.
    pub fn new(name: &str, sex: Sex, relation: Relation) -> Self {
        Self {
            status: EntryStatus::Active,
            change_event: None,
            person_number: None,
            name: crate::names::normalize_name(name),
            sex,
            birth_date: None,
            id_type: IdType::ResidentId,
            id_number: None,
            ethnicity: None,
            phone: None,
            relation,
            political_status: None,
            education: None,
            school_status: None,
            dropout_reason: None,
            health: CodeSet::default(),
            disability_category: None,
            labour_skill: None,
            work_place: None,
            months_worked: None,
            employer: None,
            abroad: None,
            public_welfare_post: None,
            insurance: CodeSet::default(),
            dibao: None,
            tekun: None,
            medical_aid: None,
            speaks_putonghua: None,
        }
    }

    /// Not removed.
    pub fn is_active(&self) -> bool {
        self.status == EntryStatus::Active
    }

    /// Counts as labour force.
    pub fn has_labour(&self) -> bool {
        self.labour_skill.is_some_and(LabourSkill::is_labour)
    }
}
