//! Demo data: Bayingolin's nine counties with townships and villages, synthetic households
//! with valid ID numbers (three in four visited in the current quarter), and one account
//! per role.

use crate::error::ApiError;
use crate::services::{accounts, documents};
use crate::state::AppState;
use crate::store::entities::region;
use crate::store::{regions, users};
use chrono::{Datelike, NaiveDate};
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{CodeSet, EntryStatus, HouseholdRecord, Quarter, RegionCode, Role, Visit};

/// The prefecture's counties and cities.
pub const COUNTIES: [(&str, &str); 9] = [
    ("652801", "库尔勒市"),
    ("652822", "轮台县"),
    ("652823", "尉犁县"),
    ("652824", "若羌县"),
    ("652825", "且末县"),
    ("652826", "焉耆回族自治县"),
    ("652827", "和静县"),
    ("652828", "和硕县"),
    ("652829", "博湖县"),
];

const TOWNSHIPS: [(&str, &str); 3] = [("100", "第一镇"), ("200", "第二乡"), ("300", "第三乡")];
const VILLAGES: [(&str, &str); 3] = [("201", "一村"), ("202", "二村"), ("203", "三村")];

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "zoufang-demo";

/// Demo accounts: username, role, scope.
pub const DEMO_USERS: [(&str, Role, &str); 6] = [
    ("helper", Role::Helper, "652822100201"),
    ("supervisor", Role::TownshipSupervisor, "652822100"),
    ("county", Role::CountyOfficer, "652822"),
    ("prefecture", Role::PrefectureOfficer, "6528"),
    ("department", Role::Department, "6528"),
    ("admin", Role::Admin, "65"),
];

/// What was seeded.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    /// Villages created.
    pub villages: usize,
    /// Households created.
    pub households: usize,
    /// Accounts created (username, role, scope).
    pub users: Vec<(String, Role, String)>,
}

/// A visit of the current quarter, on a day of it up to `today`.
fn add_visit(record: &mut HouseholdRecord, rng: &mut SampleRng, today: NaiveDate) {
    let quarter_start =
        NaiveDate::from_ymd_opt(today.year(), today.month0() / 3 * 3 + 1, 1).unwrap_or(today);
    let days = (today - quarter_start).num_days().max(0) as u64;
    let visited_on = quarter_start + chrono::Days::new(rng.below(days + 1));
    let quarter = format!("{}Q{}", today.year(), today.month0() / 3 + 1);
    let Ok(quarter) = Quarter::parse(&quarter) else {
        return;
    };
    record.visits.insert(
        rng.entry_id(),
        Visit {
            status: EntryStatus::Active,
            quarter,
            visited_on,
            visitor: Some("helper".into()),
            notes: Some("入户核实家庭情况".into()),
            photos: CodeSet::default(),
        },
    );
}

/// Every village code of the demo tree.
pub fn villages() -> Vec<RegionCode> {
    COUNTIES
        .iter()
        .flat_map(|(c, _)| {
            TOWNSHIPS
                .iter()
                .flat_map(move |(t, _)| VILLAGES.iter().map(move |(v, _)| format!("{c}{t}{v}")))
        })
        .filter_map(|code| RegionCode::parse(&code).ok())
        .collect()
}

fn region_rows() -> Vec<region::Model> {
    let mut rows = vec![region::Model {
        code: "6528".into(),
        name: "巴音郭楞蒙古自治州".into(),
        level: "PREFECTURE".into(),
        parent: None,
    }];
    for (county, county_name) in COUNTIES {
        rows.push(region::Model {
            code: county.into(),
            name: county_name.into(),
            level: "COUNTY".into(),
            parent: Some("6528".into()),
        });
        for (t, t_name) in TOWNSHIPS {
            let township = format!("{county}{t}");
            rows.push(region::Model {
                code: township.clone(),
                name: format!("{county_name}{t_name}"),
                level: "TOWNSHIP".into(),
                parent: Some(county.into()),
            });
            for (v, v_name) in VILLAGES {
                rows.push(region::Model {
                    code: format!("{township}{v}"),
                    name: format!("{t_name}{v_name}"),
                    level: "VILLAGE".into(),
                    parent: Some(township.clone()),
                });
            }
        }
    }
    rows
}

/// Seeds the demo data if the database has no accounts yet; `None` if it had some.
pub async fn seed_if_empty(
    state: &AppState,
    households_per_village: usize,
) -> Result<Option<Seeded>, ApiError> {
    if users::count(&state.db).await? > 0 {
        return Ok(None);
    }
    seed(state, households_per_village).await.map(Some)
}

/// Seeds regions, households and accounts.
pub async fn seed(state: &AppState, households_per_village: usize) -> Result<Seeded, ApiError> {
    regions::insert_many(&state.db, region_rows()).await?;
    let mut seeded = Seeded::default();
    let mut rng = SampleRng::new(652_800);
    let mut visits = SampleRng::new(652_801);
    let today = chrono::DateTime::from_timestamp(crate::store::now(), 0)
        .unwrap_or_default()
        .date_naive();
    for village in villages() {
        let txn = crate::store::begin_write(&state.db).await?;
        for _ in 0..households_per_village {
            let mut record = household(&mut rng, &village);
            if visits.below(4) > 0 {
                add_visit(&mut record, &mut visits, today);
            }
            let id = DocId(
                *uuid::Uuid::from_u128(
                    (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()),
                )
                .as_bytes(),
            );
            documents::create_household(state, &txn, &id, &record).await?;
            seeded.households += 1;
        }
        txn.commit().await?;
        seeded.villages += 1;
    }
    for (name, role, scope) in DEMO_USERS {
        let scope_code = RegionCode::parse(scope).map_err(|e| ApiError::Internal(e.to_string()))?;
        accounts::add_user(state, "demo", name, DEMO_PASSWORD, role, &scope_code).await?;
        if role == Role::Department {
            accounts::set_department(
                state,
                "demo",
                name,
                zoufang_schemas::Department::MedicalInsurance,
            )
            .await?;
        }
        seeded.users.push((name.to_owned(), role, scope.to_owned()));
    }
    Ok(seeded)
}
