//! Deterministic synthetic households for demos, tests and benchmarks: valid ID numbers,
//! 4–6 members with names of the prefecture's peoples, realistic incomes and checks.

use crate::enums::*;
use crate::id_number::compose_resident_id;
use crate::member::Member;
use crate::record::HouseholdRecord;
use crate::values::{EntryId, RegionCode};
use chrono::NaiveDate;

/// Ten fields a helper corrects on a visit, none of them projected into the household
/// table or read by the validation rules: what the sync benchmarks edit in one change.
pub const EDITED_FIELDS: [&str; 10] = [
    "household.phone",
    "household.address",
    "income.wage",
    "income.business",
    "income.transfer",
    "housing.floor_area",
    "housing.fuel",
    "water.source",
    "housing.cultivated_land",
    "income.household_net",
];

/// A small deterministic generator (SplitMix64), so samples need no randomness source.
#[derive(Debug, Clone)]
pub struct SampleRng(u64);

impl SampleRng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// A fresh v4 entry id.
    pub fn entry_id(&mut self) -> EntryId {
        EntryId::from_random_bits((u128::from(self.next_u64()) << 64) | u128::from(self.next_u64()))
    }
}

const UYGHUR_MALE: &[&str] = &[
    "买买提",
    "艾力",
    "吐尔逊",
    "阿卜杜热合曼",
    "麦麦提敏",
    "艾合买提",
    "努尔艾力",
];
const UYGHUR_FEMALE: &[&str] = &[
    "阿依古丽",
    "古丽巴哈尔",
    "热依拉",
    "帕提古丽",
    "再努尔",
    "阿米娜",
];
const MONGOL: &[&str] = &[
    "巴音",
    "那木拉",
    "道尔吉",
    "乌兰",
    "其其格",
    "巴特尔",
    "苏和",
];
const HAN_SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "马", "杨", "赵"];
const HAN_GIVEN: &[&str] = &[
    "建国", "秀英", "志强", "桂兰", "海涛", "丽娟", "文华", "小红",
];

/// A synthetic household in `village` (12 digits), with 4–6 members.
pub fn household(rng: &mut SampleRng, village: &RegionCode) -> HouseholdRecord {
    let hh_type = if rng.below(3) == 0 {
        HouseholdType::Lifted
    } else {
        HouseholdType::General
    };
    let mut record = HouseholdRecord::new(village.clone(), hh_type);
    let ethnicity = *rng.pick(&[
        Ethnicity::Uyghur,
        Ethnicity::Uyghur,
        Ethnicity::Mongol,
        Ethnicity::Han,
        Ethnicity::Hui,
    ]);
    let family = family_name(rng, ethnicity);
    let head_birth = date(1955 + rng.below(35) as i32, rng);
    let spouse_birth = date(head_birth_year(head_birth) + rng.below(5) as i32, rng);
    let county = village.county().to_owned();
    let size = 4 + rng.below(3) as usize;
    let mut seq = 10 + rng.below(400) as u16;
    let mut add = |rng: &mut SampleRng,
                   record: &mut HouseholdRecord,
                   relation: Relation,
                   sex: Sex,
                   birth: NaiveDate| {
        seq = (seq + 2) % 998;
        let mut m = Member::new(&person_name(rng, ethnicity, sex, &family), sex, relation);
        let parity = u16::from(sex == Sex::Male);
        m.birth_date = Some(birth);
        m.id_number = compose_resident_id(&county, birth, seq - seq % 2 + parity);
        m.ethnicity = Some(ethnicity);
        let age = 2026 - head_birth_year(birth);
        if (6..=18).contains(&age) {
            m.school_status = Some(if age < 12 {
                SchoolStatus::PrimarySchool
            } else if age < 15 {
                SchoolStatus::JuniorSchool
            } else {
                SchoolStatus::SeniorSchool
            });
        } else if age > 18 {
            m.education = Some(*rng.pick(&[
                Education::Primary,
                Education::Junior,
                Education::Junior,
                Education::Senior,
            ]));
            m.labour_skill = Some(*rng.pick(&[
                LabourSkill::Ordinary,
                LabourSkill::Ordinary,
                LabourSkill::Skilled,
                LabourSkill::Weak,
            ]));
            m.phone = Some(format!(
                "1{}{:08}",
                rng.pick(&["38", "39", "58", "89"]),
                rng.below(100_000_000)
            ));
        }
        m.health.0.insert(if rng.below(6) == 0 {
            Health::Chronic
        } else {
            Health::Healthy
        });
        m.insurance.0.insert(Insurance::ResidentMedical);
        m.speaks_putonghua = Some(rng.below(4) != 0);
        record.members.insert(rng.entry_id(), m);
    };
    add(rng, &mut record, Relation::Head, Sex::Male, head_birth);
    add(
        rng,
        &mut record,
        Relation::Spouse,
        Sex::Female,
        spouse_birth,
    );
    for _ in 2..size {
        let sex = if rng.below(2) == 0 {
            Sex::Male
        } else {
            Sex::Female
        };
        let relation = if sex == Sex::Male {
            Relation::Son
        } else {
            Relation::Daughter
        };
        let birth = date(head_birth_year(head_birth) + 22 + rng.below(12) as i32, rng);
        add(rng, &mut record, relation, sex, birth);
    }
    record.household.national_number =
        Some(format!("{}{:06}", village.as_str(), rng.below(1_000_000)));
    record.household.address = Some(format!("{}组{}号", 1 + rng.below(8), 1 + rng.below(120)));
    let wage = (rng.below(40_000) + 5_000) as f64;
    let business = (rng.below(20_000)) as f64;
    let transfer = (rng.below(6_000)) as f64;
    record.income.wage = Some(wage);
    record.income.business = Some(business);
    record.income.transfer = Some(transfer);
    record.income.household_net = Some(wage + business + transfer);
    record.income.per_capita_net = Some(((wage + business + transfer) / size as f64).round());
    record.housing.danger_grade =
        Some(*rng.pick(&[DangerGrade::A, DangerGrade::A, DangerGrade::B]));
    record.housing.floor_area = Some((60 + rng.below(90)) as f64);
    record.housing.electricity = Some(true);
    record.housing.road_type =
        Some(*rng.pick(&[RoadType::Cement, RoadType::Asphalt, RoadType::Gravel]));
    record.housing.cultivated_land = Some((rng.below(300) as f64) / 10.0);
    record.water.safe = Some(true);
    record.water.supply = Some(WaterSupply::Central);
    record.water.source = Some("自来水".to_owned());
    record.guarantees.housing_unsafe = Some(false);
    record.guarantees.water_unsafe = Some(false);
    record.guarantees.child_out_of_school = Some(false);
    record.guarantees.member_without_medical_insurance = Some(false);
    record.household.dibao = Some(AssistanceScope::None);
    record.household.tekun = Some(AssistanceScope::None);
    record
}

fn head_birth_year(date: NaiveDate) -> i32 {
    chrono::Datelike::year(&date)
}

fn date(year: i32, rng: &mut SampleRng) -> NaiveDate {
    let month = 1 + rng.below(12) as u32;
    let day = 1 + rng.below(28) as u32;
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

fn family_name(rng: &mut SampleRng, ethnicity: Ethnicity) -> String {
    match ethnicity {
        Ethnicity::Han | Ethnicity::Hui => (*rng.pick(HAN_SURNAMES)).to_owned(),
        Ethnicity::Mongol => (*rng.pick(MONGOL)).to_owned(),
        _ => (*rng.pick(UYGHUR_MALE)).to_owned(),
    }
}

fn person_name(rng: &mut SampleRng, ethnicity: Ethnicity, sex: Sex, family: &str) -> String {
    match ethnicity {
        Ethnicity::Han | Ethnicity::Hui => format!("{family}{}", rng.pick(HAN_GIVEN)),
        Ethnicity::Mongol => format!("{}·{}", rng.pick(MONGOL), family),
        _ => {
            let given = if sex == Sex::Male {
                rng.pick(UYGHUR_MALE)
            } else {
                rng.pick(UYGHUR_FEMALE)
            };
            format!("{given}·{family}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;

    #[test]
    fn sample_households_are_valid_and_deterministic() {
        let village = RegionCode::parse("652822100201").unwrap();
        let mut rng = SampleRng::new(7);
        for _ in 0..200 {
            let record = household(&mut rng, &village);
            let report = validate(&record);
            assert!(report.is_valid(), "{:?}", report.issues);
            assert!((4..=6).contains(&record.members.len()));
        }
        let a = household(&mut SampleRng::new(1), &village);
        let b = household(&mut SampleRng::new(1), &village);
        assert_eq!(a, b);
    }
}
