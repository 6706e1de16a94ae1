//! The honest tablets of a fleet: all log in at once (the login storm), register their
//! devices, download their villages, then loop "edit one household (one change of 10
//! field edits) → sync → wait for the reply", now and then photographing the housing first
//! (upload, then the reference in the same change).

use super::seed::Village;
use crate::load::{Exchange, LeanTablet};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{PhotoHash, PhotoSubject};
use zoufang_sync::DocPath;
use zoufang_sync::automerge::ActorId;

/// The fields one edit writes.
pub const FIELDS: [&str; 10] = zoufang_schemas::sample::EDITED_FIELDS;

/// A tablet in the fleet.
pub struct FleetTablet {
    /// Its helper's village.
    pub village: Village,
    /// The tablet itself.
    pub lean: LeanTablet,
}

/// What logging in at once looked like.
#[derive(Debug, Clone, Default)]
pub struct LoginStorm {
    /// Logins attempted.
    pub attempted: usize,
    /// Time until the last one was answered.
    pub elapsed: Duration,
    /// Each login's time.
    pub latencies: Vec<Duration>,
    /// Failures by code.
    pub errors: BTreeMap<String, usize>,
}

/// Logs every helper in at once; returns the tokens (`None` where the login failed).
pub async fn login_storm(
    client: &reqwest::Client,
    address: &str,
    usernames: &[String],
) -> (Vec<Option<String>>, LoginStorm) {
    let started = Instant::now();
    let logins = usernames.iter().map(|name| async move {
        let began = Instant::now();
        let answer = client
            .post(format!("{address}/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": name, "password": crate::PASSWORD }))
            .send()
            .await;
        let outcome = match answer {
            Ok(response) if response.status().is_success() => {
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                body["access_token"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| "no-token".to_owned())
            }
            Ok(response) => Err(error_code(response).await),
            Err(err) => Err(format!("transport: {err}")),
        };
        (outcome, began.elapsed())
    });
    let answers = futures_util::future::join_all(logins).await;
    let mut storm = LoginStorm {
        attempted: usernames.len(),
        elapsed: started.elapsed(),
        ..LoginStorm::default()
    };
    let tokens = answers
        .into_iter()
        .map(|(outcome, latency)| {
            storm.latencies.push(latency);
            match outcome {
                Ok(token) => Some(token),
                Err(code) => {
                    *storm.errors.entry(code).or_default() += 1;
                    None
                }
            }
        })
        .collect();
    (tokens, storm)
}

/// The `code` of an error answer.
pub async fn error_code(response: reqwest::Response) -> String {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    body["code"]
        .as_str()
        .map_or_else(|| format!("http-{status}"), str::to_owned)
}

/// Registers a device for `token` and makes its first sync (its village arrives whole,
/// compressed); returns the tablet and that first exchange.
pub async fn connect(
    client: &reqwest::Client,
    address: &str,
    village: Village,
    token: &str,
) -> anyhow::Result<(FleetTablet, Exchange)> {
    let actor = ActorId::random();
    let response = client
        .post(format!("{address}/api/v1/devices"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "name": format!("{}的平板", village.username), "actors": [actor.to_hex_string()] }))
        .send()
        .await?;
    if !response.status().is_success() {
        anyhow::bail!("device registration: {}", error_code(response).await);
    }
    let device: serde_json::Value = response.json().await?;
    let device = device["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no device id"))?;
    let mut lean = LeanTablet::new(device, token, actor, &BTreeMap::new()).compressed();
    let first = lean.request(true);
    let done = lean.exchange(client, address, first).await;
    if done.status != 200 || lean.households().len() != village.households.len() {
        anyhow::bail!(
            "first sync of {}: status {}, {} of {} households, {:?}",
            village.username,
            done.status,
            lean.households().len(),
            village.households.len(),
            done.errors
        );
    }
    Ok((FleetTablet { village, lean }, done))
}

/// What one tablet did.
#[derive(Debug, Default)]
pub struct Run {
    /// Households the server acknowledged.
    pub merges: usize,
    /// Sync latencies.
    pub latencies: Vec<Duration>,
    /// Errors by code.
    pub errors: BTreeMap<String, usize>,
    /// Photos uploaded and referenced.
    pub photos: usize,
    /// Bytes on the wire of the edit syncs (request, reply).
    pub bytes: (usize, usize),
}

/// How a tablet drives.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Stop at this instant.
    pub deadline: Instant,
    /// Photograph the housing every this many rounds (0: never).
    pub photo_every: u64,
    /// Tablet number (makes its values and photos its own).
    pub number: usize,
    /// Time a tablet waits between a reply and its next edit (the helper walking to the
    /// next door); zero syncs back to back.
    pub pause: Duration,
}

/// Edits one household per round and syncs it until the deadline; `address` is asked for
/// each round (several nodes: the caller may change it).
pub async fn drive(
    mut tablet: FleetTablet,
    client: reqwest::Client,
    address: impl Fn() -> String,
    pace: Pace,
    stored: super::hostile_mix::StoredPhotos,
) -> (FleetTablet, Run) {
    let households = tablet.lean.households();
    let paths: Vec<DocPath> = FIELDS
        .iter()
        .filter_map(|f| DocPath::parse(f).ok())
        .collect();
    let mut run = Run::default();
    let mut round = 0u64;
    while Instant::now() < pace.deadline {
        round += 1;
        let id = households[(round as usize) % households.len()];
        let photo = if pace.photo_every > 0 && round.is_multiple_of(pace.photo_every) {
            let bytes =
                crate::images::noisy_jpeg(96, 64, (pace.number as u32) << 16 | round as u32, 8);
            let uploaded =
                super::photos::upload(&client, &address(), &tablet.lean, &bytes, usize::MAX)
                    .await
                    .map(|hash| (hash, bytes.len() as u64))
                    .map_err(|refused| refused.code);
            match uploaded {
                Ok(photo) => {
                    if let Ok(mut hashes) = stored.lock() {
                        hashes.push(photo.0.clone());
                    }
                    Some(photo)
                }
                Err(code) => {
                    *run.errors.entry(code).or_default() += 1;
                    None
                }
            }
        } else {
            None
        };
        edit(
            &mut tablet.lean,
            &id,
            &paths,
            pace.number,
            round,
            photo.as_ref(),
        );
        let request = tablet.lean.request(false);
        let done = tablet.lean.exchange(&client, &address(), request).await;
        run.merges += done.acknowledged;
        run.photos += usize::from(photo.is_some() && done.acknowledged > 0);
        run.latencies.push(done.latency);
        run.bytes.0 += done.bytes.0;
        run.bytes.1 += done.bytes.1;
        for code in done.errors {
            *run.errors.entry(code).or_default() += 1;
        }
        if !pace.pause.is_zero() {
            tokio::time::sleep(pace.pause).await;
        }
    }
    (tablet, run)
}

/// One change of ten field writes (and a housing photo's reference when given): numbers
/// and texts made of the tablet's number and the round, so that every edit changes them.
pub fn edit(
    lean: &mut LeanTablet,
    id: &DocId,
    paths: &[DocPath],
    number: usize,
    round: u64,
    photo: Option<&(PhotoHash, u64)>,
) {
    let housing = DocPath::parse("housing.photos").ok();
    lean.edit_with(id, 1_800_000_000 + round as i64, |e| {
        for (i, path) in paths.iter().enumerate() {
            match i {
                2..=5 | 8 | 9 => e.put(path, &((round * 100 + i as u64) as f64))?,
                _ => e.put(path, &format!("{number}-{round}-{i}"))?,
            }
        }
        if let Some((hash, size)) = photo {
            let reference =
                super::photos::reference(PhotoSubject::Housing, Some(*size), Some("住房"));
            e.add_photo(hash, &reference, housing.as_ref())?;
        }
        Ok(())
    });
}
