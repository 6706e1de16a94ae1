//! The intruder of a fleet: a helper with a valid account and device who, at a low rate
//! among the honest tablets, sends the requests the trust boundary refuses (a change to
//! another village's household, values and fields the form forbids, another village's
//! record, a photo only another village references, a forged token) and checks that each
//! is refused with its code.

use super::tablets::error_code;
use crate::load::LeanTablet;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zoufang_schemas::wire::{self, DocId};
use zoufang_schemas::{PhotoHash, PhotoSubject};
use zoufang_sync::automerge::transaction::Transactable;
use zoufang_sync::automerge::{Automerge, ROOT, ReadDoc, ScalarValue};

/// What the intruder tried and how the server answered.
#[derive(Debug, Clone, Default)]
pub struct HostileOutcome {
    /// Attempts per kind.
    pub sent: BTreeMap<&'static str, usize>,
    /// Attempts refused with the expected code.
    pub refused: usize,
    /// Attempts answered otherwise: kind, expected and what came.
    pub unexpected: Vec<String>,
}

/// Hashes of photos the honest tablets stored, for the intruder to reference.
pub type StoredPhotos = Arc<Mutex<Vec<PhotoHash>>>;

/// The kinds tried in turn.
const KINDS: [&str; 6] = [
    "foreign-update",
    "enum-as-integer",
    "unknown-field",
    "foreign-record",
    "foreign-photo",
    "forged-token",
];

/// Sends one hostile request every `every` until `deadline`.
pub async fn intrude(
    mut intruder: LeanTablet,
    client: reqwest::Client,
    address: impl Fn() -> String,
    foreign: Vec<DocId>,
    photos: StoredPhotos,
    every: Duration,
    deadline: Instant,
) -> HostileOutcome {
    let mut outcome = HostileOutcome::default();
    let mut turn = 0usize;
    while Instant::now() + every < deadline {
        tokio::time::sleep(every).await;
        let kind = KINDS[turn % KINDS.len()];
        let target = foreign[turn % foreign.len()];
        turn += 1;
        let answer = match kind {
            "foreign-update" => foreign_update(&mut intruder, &client, &address(), target).await,
            "enum-as-integer" => {
                own_forgery(&mut intruder, &client, &address(), "hh_type", 42.into()).await
            }
            "unknown-field" => {
                own_forgery(
                    &mut intruder,
                    &client,
                    &address(),
                    "injected_field",
                    "x".into(),
                )
                .await
            }
            "foreign-record" => {
                let path = format!("/api/v1/households/{}", target.to_uuid_string());
                get(&client, &address(), &intruder.token, &path).await
            }
            "foreign-photo" => {
                let latest = photos.lock().ok().and_then(|p| p.last().cloned());
                let Some(hash) = latest else { continue };
                foreign_photo(&mut intruder, &client, &address(), &hash).await
            }
            _ => {
                get(
                    &client,
                    &address(),
                    "forged.token.value",
                    "/api/v1/households",
                )
                .await
            }
        };
        let expected = expected(kind);
        *outcome.sent.entry(kind).or_default() += 1;
        if answer == expected {
            outcome.refused += 1;
        } else {
            outcome
                .unexpected
                .push(format!("{kind}: expected {expected:?}, got {answer:?}"));
        }
    }
    outcome
}

/// The answer each kind must get: HTTP status and code.
fn expected(kind: &str) -> (u16, String) {
    let (status, code) = match kind {
        "foreign-update" => (200, "document-out-of-scope"),
        "enum-as-integer" => (200, "value-invalid"),
        "unknown-field" => (200, "field-unknown"),
        "foreign-record" => (404, "not-found"),
        "foreign-photo" => (403, "photo-not-in-scope"),
        _ => (401, "token-invalid"),
    };
    (status, code.to_owned())
}

/// A change signed by the intruder's actor for a household of another village.
async fn foreign_update(
    intruder: &mut LeanTablet,
    client: &reqwest::Client,
    address: &str,
    target: DocId,
) -> (u16, String) {
    let mut doc = Automerge::new().with_actor(intruder.actor().clone());
    let mut tx = doc.transaction();
    let _ = tx.put(ROOT, "phone", "13000000000");
    tx.commit();
    let heads = zoufang_sync::heads::to_wire(&doc.get_heads());
    let changes = doc
        .get_changes(&[])
        .into_iter()
        .map(|c| serde_bytes::ByteBuf::from(c.raw_bytes().to_vec()))
        .collect();
    let mut request = intruder.request(false);
    request.updates = vec![wire::DocUpdate {
        doc: target,
        changes,
        heads,
    }];
    let done = intruder.exchange(client, address, request).await;
    (
        done.status,
        done.errors.first().cloned().unwrap_or_default(),
    )
}

/// A raw write of `value` at `household.<field>` of the intruder's own first household.
async fn own_forgery(
    intruder: &mut LeanTablet,
    client: &reqwest::Client,
    address: &str,
    field: &'static str,
    value: ScalarValue,
) -> (u16, String) {
    let Some(own) = intruder.households().first().copied() else {
        return (0, "no household".into());
    };
    intruder.forge(&own, |tx| {
        if let Ok(Some((_, household))) = tx.get(ROOT, "household") {
            let _ = tx.put(&household, field, value);
        }
    });
    let request = intruder.request(false);
    let done = intruder.exchange(client, address, request).await;
    (
        done.status,
        done.errors.first().cloned().unwrap_or_default(),
    )
}

/// References another village's photo from the intruder's own household (a write the form
/// allows), then asks for its original.
async fn foreign_photo(
    intruder: &mut LeanTablet,
    client: &reqwest::Client,
    address: &str,
    hash: &PhotoHash,
) -> (u16, String) {
    let Some(own) = intruder.households().first().copied() else {
        return (0, "no household".into());
    };
    let reference = super::photos::reference(PhotoSubject::Housing, None, None);
    intruder.edit_with(&own, 1_800_000_000, |e| e.add_photo(hash, &reference, None));
    let request = intruder.request(false);
    let done = intruder.exchange(client, address, request).await;
    if done.status != 200 || !done.errors.is_empty() {
        return (done.status, format!("reference refused: {:?}", done.errors));
    }
    let path = format!("/api/v1/photos/{}/original", hash.as_str());
    get(client, address, &intruder.token, &path).await
}

/// A GET's status and code.
async fn get(client: &reqwest::Client, address: &str, token: &str, path: &str) -> (u16, String) {
    match client
        .get(format!("{address}{path}"))
        .bearer_auth(token)
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, error_code(response).await)
        }
        Err(err) => (0, format!("transport: {err}")),
    }
}
