//! Work to crash a server in the middle of: two helpers editing the same household (so
//! that conflicts arise), a third uploading a photo in small chunks and resuming it after
//! each interruption, and a supervisor resolving the conflicts. Requests a dying server
//! cuts off are expected; any other error is counted by code.

use super::tablets::{FleetTablet, error_code};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use zoufang_schemas::PhotoSubject;
use zoufang_sync::DocPath;

/// The people at work.
pub struct Crew {
    /// Helper A of the shared village.
    pub a: FleetTablet,
    /// Helper B of the same village.
    pub b: FleetTablet,
    /// The photographer, of another village.
    pub c: FleetTablet,
    /// The supervisor's access token.
    pub supervisor: String,
    /// The photo being uploaded, if one is unfinished.
    photo: Option<Vec<u8>>,
    photos_made: u32,
    round: u64,
}

/// What the crew got done, and what went wrong.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Sync requests answered 200.
    pub syncs: usize,
    /// Photos finished and referenced.
    pub photos: usize,
    /// Conflicts resolved.
    pub resolved: usize,
    /// Requests the server did not answer (it was killed or not yet back).
    pub cut_off: usize,
    /// Answers with an error, by code.
    pub errors: BTreeMap<String, usize>,
}

impl Tally {
    /// Adds another tally to this one.
    pub fn add(&mut self, other: Tally) {
        self.syncs += other.syncs;
        self.photos += other.photos;
        self.resolved += other.resolved;
        self.cut_off += other.cut_off;
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
    }

    fn error(&mut self, code: String) {
        // No answer, or the balancer's own answer for a node that died under the request.
        if code.starts_with("transport")
            || matches!(code.as_str(), "http-502" | "http-503" | "http-504")
        {
            self.cut_off += 1;
        } else {
            *self.errors.entry(code).or_default() += 1;
        }
    }
}

impl Crew {
    /// A crew: `a` and `b` share a village, `c` has its own.
    pub fn new(a: FleetTablet, b: FleetTablet, c: FleetTablet, supervisor: String) -> Self {
        Self {
            a,
            b,
            c,
            supervisor,
            photo: None,
            photos_made: 0,
            round: 0,
        }
    }

    /// Works until `stop` is set, all three at once; returns the crew with the tally.
    pub async fn work(
        mut self,
        client: reqwest::Client,
        address: String,
        stop: Arc<AtomicBool>,
    ) -> (Crew, Tally) {
        let mut tally = Tally::default();
        while !stop.load(Ordering::Relaxed) {
            self.round += 1;
            let round = self.round;
            let (a, b, c) = (&mut self.a, &mut self.b, &mut self.c);
            let (ta, tb, (tc, photo)) = tokio::join!(
                edit_and_sync(a, &client, &address, round, "A"),
                edit_and_sync(b, &client, &address, round, "B"),
                photograph(c, &client, &address, self.photo.take(), self.photos_made),
            );
            if photo.is_none() && tc.photos > 0 {
                self.photos_made += 1;
            }
            self.photo = photo;
            let td = resolve_one(&client, &address, &self.supervisor).await;
            for t in [ta, tb, tc, td] {
                tally.add(t);
            }
        }
        (self, tally)
    }

    /// The three tablets.
    pub fn tablets(&mut self) -> [&mut FleetTablet; 3] {
        [&mut self.a, &mut self.b, &mut self.c]
    }
}

/// Writes the shared household's phone (and another field) and syncs.
async fn edit_and_sync(
    tablet: &mut FleetTablet,
    client: &reqwest::Client,
    address: &str,
    round: u64,
    who: &str,
) -> Tally {
    let mut tally = Tally::default();
    let households = tablet.lean.households();
    let (Some(shared), Ok(phone), Ok(wage)) = (
        households.first().copied(),
        DocPath::parse("household.phone"),
        DocPath::parse("income.wage"),
    ) else {
        return tally;
    };
    let number = if who == "A" {
        13_800_000_000u64
    } else {
        13_900_000_000
    } + round;
    tablet
        .lean
        .edit_with(&shared, 1_800_000_000 + round as i64, |e| {
            e.put(&phone, &number.to_string())?;
            e.put(&wage, &(round as f64))
        });
    let request = tablet.lean.request(false);
    let done = tablet.lean.exchange(client, address, request).await;
    if done.status == 200 {
        tally.syncs += 1;
    }
    for code in done.errors {
        tally.error(code);
    }
    tally
}

/// Uploads (or resumes) a photo in 16 KiB chunks; when finished, references it from the
/// first household and syncs. Returns the unfinished photo, if any.
async fn photograph(
    tablet: &mut FleetTablet,
    client: &reqwest::Client,
    address: &str,
    pending: Option<Vec<u8>>,
    made: u32,
) -> (Tally, Option<Vec<u8>>) {
    let mut tally = Tally::default();
    let bytes = pending.unwrap_or_else(|| crate::images::jpeg(240, 160, 90_000 + made));
    let hash = match super::photos::upload(client, address, &tablet.lean, &bytes, 16 * 1024).await {
        Ok(hash) => hash,
        Err(refused) => {
            tally.error(refused.code);
            return (tally, Some(bytes));
        }
    };
    let Some(first) = tablet.lean.households().first().copied() else {
        return (tally, None);
    };
    let reference = super::photos::reference(PhotoSubject::Water, Some(bytes.len() as u64), None);
    tablet.lean.edit_with(&first, 1_800_000_000, |e| {
        e.add_photo(&hash, &reference, None)
    });
    let request = tablet.lean.request(false);
    let done = tablet.lean.exchange(client, address, request).await;
    tally.photos += 1;
    for code in done.errors {
        tally.error(code);
    }
    (tally, None)
}

/// Resolves the oldest open conflict, choosing its first candidate.
async fn resolve_one(client: &reqwest::Client, address: &str, token: &str) -> Tally {
    let mut tally = Tally::default();
    let listed = client
        .get(format!("{address}/api/v1/conflicts?status=OPEN"))
        .bearer_auth(token)
        .send()
        .await;
    let list: serde_json::Value = match listed {
        Ok(response) if response.status().is_success() => response.json().await.unwrap_or_default(),
        Ok(response) => {
            tally.error(error_code(response).await);
            return tally;
        }
        Err(err) => {
            tally.error(format!("transport: {err}"));
            return tally;
        }
    };
    let Some(id) = list.get(0).and_then(|c| c["id"].as_i64()) else {
        return tally;
    };
    let resolved = client
        .post(format!("{address}/api/v1/conflicts/{id}/resolve"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "candidate": 0, "note": "核实" }))
        .send()
        .await;
    match resolved {
        Ok(response) if response.status().is_success() => tally.resolved += 1,
        Ok(response) => tally.error(error_code(response).await),
        Err(err) => tally.error(format!("transport: {err}")),
    }
    tally
}

/// Sleeps `duration`, then sets `stop`.
pub async fn stop_after(stop: Arc<AtomicBool>, duration: Duration) {
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
}

/// Seeds two villages of one township (three households each), a second helper for the
/// first village (`helper0b`) and the township's supervisor (`supervisor`).
pub async fn seed_crew(url: &str, data: &std::path::Path) -> anyhow::Result<super::seed::Seeded> {
    use zoufang_schemas::{RegionCode, Role};
    let settings = crate::settings(url, data);
    let seeded = super::seed::seed(settings.clone(), 2, 3).await?;
    let state = zoufang_server::build_state(settings).await?;
    let village = RegionCode::parse(&seeded.villages[0].code)?;
    let township = RegionCode::parse(&seeded.villages[0].code[..9])?;
    for (name, role, scope) in [
        ("helper0b", Role::Helper, &village),
        ("supervisor", Role::TownshipSupervisor, &township),
    ] {
        zoufang_server::services::accounts::add_user(
            &state,
            "test",
            name,
            crate::PASSWORD,
            role,
            scope,
        )
        .await?;
    }
    state.db.clone().close().await?;
    Ok(seeded)
}

/// Logs the crew of [`seed_crew`] in at `address` and connects its tablets.
pub async fn connect_crew(
    client: &reqwest::Client,
    address: &str,
    seeded: &super::seed::Seeded,
) -> anyhow::Result<Crew> {
    use super::tablets::{connect, login_storm};
    let mut second = seeded.villages[0].clone();
    second.username = "helper0b".into();
    let names: Vec<String> = ["helper0", "helper0b", "helper1", "supervisor"]
        .map(String::from)
        .into();
    let (tokens, storm) = login_storm(client, address, &names).await;
    let tokens: Vec<String> = tokens.into_iter().flatten().collect();
    if tokens.len() != names.len() {
        anyhow::bail!("logins failed: {:?}", storm.errors);
    }
    let (a, _) = connect(client, address, seeded.villages[0].clone(), &tokens[0]).await?;
    let (b, _) = connect(client, address, second, &tokens[1]).await?;
    let (c, _) = connect(client, address, seeded.villages[1].clone(), &tokens[2]).await?;
    Ok(Crew::new(a, b, c, tokens[3].clone()))
}
