//! What a fleet works on: one helper account and one village of households per tablet, in
//! one county, townships of ten villages; and an intruder with a village of its own.

use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{RegionCode, Role};
use zoufang_server::services::{accounts, documents};
use zoufang_server::store::entities::region;
use zoufang_server::{AppState, Settings};

/// The county every fleet village lies in.
pub const COUNTY: &str = "652822";

/// A village and the helper who works it.
#[derive(Debug, Clone)]
pub struct Village {
    /// The helper's user name.
    pub username: String,
    /// The village's region code.
    pub code: String,
    /// Its households.
    pub households: Vec<DocId>,
}

/// The seeded fleet.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// One village per tablet.
    pub villages: Vec<Village>,
    /// The intruder's own village.
    pub intruder: Village,
}

/// The code of village `n`: township `100 + n / 10`, village `201 + n % 10`.
fn village_code(n: usize) -> String {
    format!("{COUNTY}{:03}{:03}", 100 + n / 10, 201 + n % 10)
}

/// Seeds `tablets` villages of `households` each (and the intruder's) through the server's
/// own services, on the database `settings` name; every account's password is
/// [`crate::PASSWORD`].
pub async fn seed(settings: Settings, tablets: usize, households: usize) -> anyhow::Result<Seeded> {
    let state = zoufang_server::build_state(settings).await?;
    let codes: Vec<String> = (0..=tablets).map(village_code).collect();
    regions(&state, &codes).await?;
    let mut rng = SampleRng::new(17);
    let mut villages = Vec::new();
    for (n, code) in codes.iter().enumerate() {
        let username = if n == tablets {
            "intruder".to_owned()
        } else {
            format!("helper{n}")
        };
        let region = RegionCode::parse(code)?;
        accounts::add_user(
            &state,
            "fleet",
            &username,
            crate::PASSWORD,
            Role::Helper,
            &region,
        )
        .await?;
        let mut ids = Vec::new();
        for _ in 0..households {
            let id = DocId(*uuid::Uuid::new_v4().as_bytes());
            documents::create_household(&state, &state.db, &id, &household(&mut rng, &region))
                .await?;
            ids.push(id);
        }
        villages.push(Village {
            username,
            code: code.clone(),
            households: ids,
        });
    }
    let intruder = villages
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no village"))?;
    state.db.clone().close().await?;
    Ok(Seeded { villages, intruder })
}

/// The county, its townships and the villages.
async fn regions(state: &AppState, villages: &[String]) -> anyhow::Result<()> {
    let mut rows = vec![region::Model {
        code: COUNTY.into(),
        name: "轮台县".into(),
        level: "COUNTY".into(),
        parent: Some("6528".into()),
    }];
    let townships: std::collections::BTreeSet<&str> = villages.iter().map(|v| &v[..9]).collect();
    rows.extend(townships.into_iter().map(|t| region::Model {
        code: t.into(),
        name: format!("{t}镇"),
        level: "TOWNSHIP".into(),
        parent: Some(COUNTY.into()),
    }));
    rows.extend(villages.iter().map(|v| region::Model {
        code: v.clone(),
        name: format!("{v}村"),
        level: "VILLAGE".into(),
        parent: Some(v[..9].to_owned()),
    }));
    zoufang_server::store::regions::insert_many(&state.db, rows).await?;
    Ok(())
}
