//! The household record: the whole collection form (信息采集表) of one household.
//!
//! The JSON form of [`HouseholdRecord`] is exactly the tree of the household's automerge
//! document: objects are maps, multi-valued fields are [`CodeSet`]s, entries are maps keyed
//! by [`EntryId`] or [`PhotoHash`]. Field names and codes are part of the protocol.

use crate::entries::{Measure, NaturalChange, PhotoRef, Visit};
use crate::enums::{
    AssistanceScope, DangerGrade, EliminationMode, HouseholdType, MonitorCategory, RiskType,
    RoadType, WaterSupply,
};
use crate::member::Member;
use crate::values::{CodeSet, EntryId, PhotoHash, RegionCode, YearMonth};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;
use std::collections::BTreeMap;

/// Version of the record schema; documents carry it at `schema_version`.
pub const SCHEMA_VERSION: u32 = 1;

/// One household's whole record. Every section and entry map always exists (the document
/// template creates them), so no two tablets ever create the same container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HouseholdRecord {
    /// The record schema version the document was created with.
    pub schema_version: u32,
    /// Identification, category and benefits of the household.
    pub household: HouseholdInfo,
    /// Members keyed by entry id; removed members stay with status `REMOVED`.
    #[serde(default)]
    pub members: BTreeMap<EntryId, Member>,
    /// Income of the last twelve months, in yuan.
    #[serde(default)]
    pub income: Income,
    /// The four guarantees (两不愁三保障 and drinking water): `true` marks a problem.
    #[serde(default)]
    pub guarantees: Guarantees,
    /// Living conditions and the housing-safety check.
    #[serde(default)]
    pub housing: Housing,
    /// The drinking-water check.
    #[serde(default)]
    pub water: Water,
    /// Monitoring status of a 三类户.
    #[serde(default)]
    pub monitoring: Monitoring,
    /// Assistance measures keyed by entry id.
    #[serde(default)]
    pub measures: BTreeMap<EntryId, Measure>,
    /// Natural increase / decrease events keyed by entry id.
    #[serde(default)]
    pub events: BTreeMap<EntryId, NaturalChange>,
    /// Visits keyed by entry id (one per helper visit; the quarter is a field).
    #[serde(default)]
    pub visits: BTreeMap<EntryId, Visit>,
    /// Photo evidence keyed by the SHA-256 of the original.
    #[serde(default)]
    pub evidence: BTreeMap<PhotoHash, PhotoRef>,
}

/// Identification, category and benefits.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HouseholdInfo {
    /// National household number (户编号) from the national system.
    #[schemars(length(max = 32))]
    pub national_number: Option<String>,
    /// Village region code (12 digits). Only county officers may change it.
    pub region_code: RegionCode,
    /// Address.
    #[schemars(length(max = 200))]
    pub address: Option<String>,
    /// Contact phone.
    #[schemars(length(max = 20))]
    pub phone: Option<String>,
    /// 一般户 or 脱贫户.
    pub hh_type: HouseholdType,
    /// The 三类户 category, if monitored. Written by the server when the county identifies
    /// the household; no tablet writes it.
    pub monitor_category: Option<MonitorCategory>,
    /// Risk types, at most five.
    #[serde(default)]
    pub risk_types: CodeSet<RiskType>,
    /// Natural-disaster subtype (flood, drought, ...), when DISASTER is a risk.
    #[schemars(length(max = 50))]
    pub disaster_subtype: Option<String>,
    /// Whole household without labour (整户无劳动能力).
    pub no_labour: Option<bool>,
    /// Lives in a relocation site (易地搬迁安置点).
    pub relocation_site: Option<bool>,
    /// 低保.
    pub dibao: Option<AssistanceScope>,
    /// 特困供养.
    pub tekun: Option<AssistanceScope>,
    /// Bank name for transfers.
    #[schemars(length(max = 100))]
    pub bank_name: Option<String>,
    /// Bank account for transfers.
    #[schemars(length(max = 40))]
    pub bank_account: Option<String>,
    /// The head has signed the form.
    pub head_signed: Option<bool>,
    /// Who filled in the form.
    #[schemars(length(max = 64))]
    pub form_filler: Option<String>,
    /// When the form was filled in.
    pub form_date: Option<NaiveDate>,
}

/// Income of the last twelve months, in yuan.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Income {
    /// 工资性收入.
    pub wage: Option<f64>,
    /// 生产经营性收入.
    pub business: Option<f64>,
    /// 财产性收入.
    pub property: Option<f64>,
    /// 转移性收入.
    pub transfer: Option<f64>,
    /// 生产经营性支出.
    pub business_cost: Option<f64>,
    /// 家庭纯收入.
    pub household_net: Option<f64>,
    /// 人均纯收入.
    pub per_capita_net: Option<f64>,
    /// 理赔收入.
    pub insurance_payouts: Option<f64>,
    /// 合规自付支出.
    pub compliant_out_of_pocket: Option<f64>,
}

/// The four guarantees; `true` marks the problem as present.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Guarantees {
    /// 住房不安全.
    pub housing_unsafe: Option<bool>,
    /// 义务教育阶段适龄儿童失学辍学.
    pub child_out_of_school: Option<bool>,
    /// 有成员未参加基本医疗保险.
    pub member_without_medical_insurance: Option<bool>,
    /// 饮水不安全.
    pub water_unsafe: Option<bool>,
}

/// Living conditions and the housing-safety check.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Housing {
    /// Danger grade from an appraisal; C and D are unsafe.
    pub danger_grade: Option<DangerGrade>,
    /// Floor area in m².
    pub floor_area: Option<f64>,
    /// Connected to electricity for daily use.
    pub electricity: Option<bool>,
    /// Road to the house.
    pub road_type: Option<RoadType>,
    /// Main cooking fuel.
    #[schemars(length(max = 50))]
    pub fuel: Option<String>,
    /// Cultivated land, mu.
    pub cultivated_land: Option<f64>,
    /// Forest land, mu.
    pub forest_land: Option<f64>,
    /// Grassland, mu.
    pub grassland: Option<f64>,
    /// Member of a cooperative.
    pub cooperative: Option<bool>,
    /// Photos evidencing the housing check.
    #[serde(default)]
    pub photos: CodeSet<PhotoHash>,
}

/// The drinking-water check (quantity ≥ 20 L per person per day, quality, convenience,
/// supply reliability).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Water {
    /// Overall: drinking water is safe.
    pub safe: Option<bool>,
    /// Central or dispersed supply.
    pub supply: Option<WaterSupply>,
    /// Water source (well, river, tap, ...).
    #[schemars(length(max = 100))]
    pub source: Option<String>,
    /// Quantity meets the standard.
    pub quantity_ok: Option<bool>,
    /// Quality meets the standard.
    pub quality_ok: Option<bool>,
    /// Fetching water is convenient.
    pub convenience_ok: Option<bool>,
    /// Supply is reliable.
    pub reliability_ok: Option<bool>,
    /// Photos evidencing the water check.
    #[serde(default)]
    pub photos: CodeSet<PhotoHash>,
}

/// Monitoring status. Written by the server (identification, risk elimination); no tablet
/// writes it.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Monitoring {
    /// Month the household was identified as monitored.
    pub identified_month: Option<YearMonth>,
    /// Risk eliminated (风险消除).
    pub risk_eliminated: Option<bool>,
    /// How the risk was eliminated.
    pub elimination_mode: Option<EliminationMode>,
    /// Month of elimination.
    pub eliminated_month: Option<YearMonth>,
    /// Monitoring contact (联系人).
    #[schemars(length(max = 64))]
    pub contact: Option<String>,
}

impl HouseholdRecord {
    /// A new record with every section present and no entries.
    pub fn new(region_code: RegionCode, hh_type: HouseholdType) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            household: HouseholdInfo {
                national_number: None,
                region_code,
                address: None,
                phone: None,
                hh_type,
                monitor_category: None,
                risk_types: CodeSet::default(),
                disaster_subtype: None,
                no_labour: None,
                relocation_site: None,
                dibao: None,
                tekun: None,
                bank_name: None,
                bank_account: None,
                head_signed: None,
                form_filler: None,
                form_date: None,
            },
            members: BTreeMap::new(),
            income: Income::default(),
            guarantees: Guarantees::default(),
            housing: Housing::default(),
            water: Water::default(),
            monitoring: Monitoring::default(),
            measures: BTreeMap::new(),
            events: BTreeMap::new(),
            visits: BTreeMap::new(),
            evidence: BTreeMap::new(),
        }
    }

    /// Members not removed.
    pub fn active_members(&self) -> impl Iterator<Item = (&EntryId, &Member)> {
        self.members.iter().filter(|(_, m)| m.is_active())
    }

    /// Measures not removed.
    pub fn active_measures(&self) -> impl Iterator<Item = (&EntryId, &Measure)> {
        self.measures.iter().filter(|(_, m)| m.is_active())
    }
}
