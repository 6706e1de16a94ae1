//! What the county reads: coverage of a round per village rolled up to township, county and
//! prefecture; the findings of a region; the feed of newly verified and accepted records.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::masking::{self, Exposure};
use crate::services::review::{parse_round, region_in_scope};
use crate::state::AppState;
use crate::store::{findings, regions, reviews};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Coverage of one region in a round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CoverageRow {
    /// Region code.
    pub region_code: String,
    /// Region name.
    pub name: String,
    /// `VILLAGE`, `TOWNSHIP`, `COUNTY`, `PREFECTURE`.
    pub level: String,
    /// Households in the region.
    pub households: i64,
    /// Households with a visit of the round.
    pub visited: i64,
    /// Returned to the village.
    pub returned: i64,
    /// Verified by the township (accepted ones included).
    pub verified: i64,
    /// Accepted by the county.
    pub accepted: i64,
}

fn level(code: &str) -> &'static str {
    match code.len() {
        12 => "VILLAGE",
        9 => "TOWNSHIP",
        6 => "COUNTY",
        _ => "PREFECTURE",
    }
}

/// Coverage of a round per village under a region, with a row per township, county and
/// prefecture above them.
pub async fn coverage(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    round: &str,
) -> Result<Vec<CoverageRow>, ApiError> {
    let prefix = region_in_scope(user, region)?;
    let round = parse_round(round)?;
    let mut villages: BTreeMap<String, CoverageRow> = BTreeMap::new();
    for (code, n) in reviews::households_per_village(&state.db, prefix).await? {
        villages.entry(code).or_default().households = n;
    }
    for (code, review_state, n) in
        reviews::states_per_village(&state.db, prefix, round.as_str()).await?
    {
        let row = villages.entry(code).or_default();
        row.visited += n;
        match review_state.as_str() {
            "RETURNED" => row.returned += n,
            "TOWNSHIP_VERIFIED" => row.verified += n,
            "COUNTY_ACCEPTED" => {
                row.verified += n;
                row.accepted += n;
            }
            _ => {}
        }
    }
    let mut all: BTreeMap<String, CoverageRow> = BTreeMap::new();
    for (code, row) in &villages {
        for len in [4, 6, 9, 12] {
            let Some(part) = code.get(..len) else {
                continue;
            };
            let sum = all.entry(part.to_owned()).or_default();
            sum.households += row.households;
            sum.visited += row.visited;
            sum.returned += row.returned;
            sum.verified += row.verified;
            sum.accepted += row.accepted;
        }
    }
    let names: BTreeMap<String, String> =
        regions::under(&state.db, prefix.get(..4).unwrap_or(prefix))
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
    Ok(all
        .into_iter()
        .filter(|(code, _)| code.starts_with(prefix))
        .map(|(code, row)| CoverageRow {
            name: names.get(&code).cloned().unwrap_or_default(),
            level: level(&code).to_owned(),
            region_code: code,
            ..row
        })
        .collect())
}

/// A finding as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FindingView {
    /// The household.
    pub household: String,
    /// Its village.
    pub region_code: String,
    /// `ERROR` or `WARNING` (doubtful data).
    pub severity: String,
    /// Stable code.
    pub code: String,
    /// Where in the record.
    pub path: String,
    /// Message in Chinese.
    pub message_zh: String,
    /// Message in English.
    pub message_en: String,
}

impl From<crate::store::entities::finding::Model> for FindingView {
    fn from(f: crate::store::entities::finding::Model) -> Self {
        Self {
            household: f.doc_id,
            region_code: f.region_code,
            severity: f.severity,
            code: f.code,
            path: f.path,
            message_zh: f.message_zh,
            message_en: f.message_en,
        }
    }
}

/// Findings under a region (the round's doubtful-data list), errors or warnings.
pub async fn findings_under(
    state: &AppState,
    user: &AuthUser,
    region: Option<&str>,
    severity: Option<&str>,
) -> Result<Vec<FindingView>, ApiError> {
    let prefix = region_in_scope(user, region)?;
    if let Some(s) = severity
        && s != "ERROR"
        && s != "WARNING"
    {
        return Err(ApiError::BadRequest(
            "severity-invalid",
            "ERROR or WARNING".into(),
        ));
    }
    Ok(findings::under(&state.db, prefix, severity, 5000)
        .await?
        .into_iter()
        .map(FindingView::from)
        .collect())
}

/// One entry of the verified feed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedEntry {
    /// Its number: pass the last one as `after` to read on.
    pub seq: i64,
    /// The household.
    pub household: String,
    /// The round.
    pub round: String,
    /// Its village.
    pub region_code: String,
    /// `TOWNSHIP_VERIFIED` or `COUNTY_ACCEPTED`.
    pub state: String,
    /// When (Unix seconds).
    pub at: i64,
    /// The record as verified (masked for roles that may not see personal numbers).
    #[schema(value_type = Object)]
    pub record: Option<serde_json::Value>,
}

/// Verification steps after `after` in the caller's scope, at most `limit`, in the order
/// they committed: a reader that passes the last `seq` back never misses one.
pub async fn verified_feed(
    state: &AppState,
    user: &AuthUser,
    after: i64,
    limit: u64,
) -> Result<Vec<FeedEntry>, ApiError> {
    let exposure = Exposure::of(user.role);
    let mut out = Vec::new();
    for event in
        reviews::verified_steps_after(&state.db, user.scope.as_str(), after, limit.clamp(1, 1000))
            .await?
    {
        let record = match zoufang_schemas::wire::DocId::parse(&event.doc_id) {
            Some(doc) => reviews::find(&state.db, &doc, &event.round)
                .await?
                .and_then(|r| r.verified_record)
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .map(|mut json| {
                    masking::apply(exposure, &mut json);
                    json
                }),
            None => None,
        };
        out.push(FeedEntry {
            seq: event.seq,
            household: event.doc_id,
            round: event.round,
            region_code: event.region_code,
            state: event.state,
            at: event.at,
            record,
        });
    }
    Ok(out)
}
