//! Assistance measures edited at the desk by the township and the county (helpers record
//! them on the tablet): a measure added to a household of the caller's scope, or one of its
//! fields changed, each value checked against the form, written as the server on the
//! caller's behalf and audited.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::services::server_write::{self, WrittenBy};
use crate::state::AppState;
use crate::store::audit::Event;
use zoufang_schemas::wire::DocId;
use zoufang_schemas::{Department, EntryId, Measure, MeasureKind, MeasureStatus, Role, YearMonth};
use zoufang_sync::{DocPath, EntrySection};

/// Roles that edit measures at the desk.
pub const EDITORS: &[Role] = &[Role::TownshipSupervisor, Role::CountyOfficer];

/// Longest description the form takes.
const MAX_TEXT: usize = 500;

/// The fields of a measure to write (those given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeasureFields {
    /// Planned, in progress or done.
    pub progress: Option<MeasureStatus>,
    /// Funds in yuan.
    pub funds: Option<f64>,
    /// What is done.
    pub description: Option<String>,
    /// The department responsible.
    pub department: Option<Department>,
    /// Month it started.
    pub start_month: Option<YearMonth>,
    /// Month it is planned to end.
    pub planned_end: Option<YearMonth>,
}

impl MeasureFields {
    fn check(&self) -> Result<(), ApiError> {
        if self
            .funds
            .is_some_and(|f| !f.is_finite() || !(0.0..1e10).contains(&f))
        {
            return Err(ApiError::BadRequest(
                "value-invalid",
                "funds are yuan, not negative".into(),
            ));
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_TEXT)
        {
            return Err(ApiError::BadRequest(
                "value-invalid",
                format!("a description takes at most {MAX_TEXT} characters"),
            ));
        }
        Ok(())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "progress": self.progress,
            "funds": self.funds,
            "description": self.description,
            "department": self.department,
            "start_month": self.start_month,
            "planned_end": self.planned_end,
        })
    }
}

/// The household's document, if in the caller's scope (404 otherwise).
async fn in_scope(state: &AppState, user: &AuthUser, doc: &DocId) -> Result<(), ApiError> {
    crate::store::identification::household(&state.db, &doc.to_string())
        .await?
        .filter(|h| user.sees(&h.region_code))
        .map(|_| ())
        .ok_or_else(|| ApiError::NotFound(format!("household {doc}")))
}

/// Adds a measure of `kind` to a household; returns its id.
pub async fn add(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    kind: MeasureKind,
    fields: MeasureFields,
) -> Result<EntryId, ApiError> {
    user.require(EDITORS)?;
    fields.check()?;
    in_scope(state, user, doc).await?;
    let key = EntryId::from_random_bits(uuid::Uuid::new_v4().as_u128());
    let measure = Measure {
        funds: fields.funds,
        description: fields.description.clone(),
        department: fields.department,
        start_month: fields.start_month.clone(),
        planned_end: fields.planned_end.clone(),
        ..Measure::new(kind, fields.progress.unwrap_or(MeasureStatus::Planned))
    };
    server_write::write(
        state,
        doc,
        WrittenBy {
            user_id: Some(user.id),
        },
        |e| e.insert_entry(EntrySection::Measures, key.as_str(), &measure),
        async |_, _| Ok(()),
        Event {
            actor: format!("user:{}", user.name),
            action: "measure.add",
            subject: format!("household/{doc}/measures/{}", key.as_str()),
            detail: serde_json::json!({ "kind": kind, "fields": fields.json() }),
        },
    )
    .await?;
    Ok(key)
}

/// Writes the given fields of a household's measure.
pub async fn update(
    state: &AppState,
    user: &AuthUser,
    doc: &DocId,
    key: &EntryId,
    fields: MeasureFields,
) -> Result<(), ApiError> {
    user.require(EDITORS)?;
    fields.check()?;
    in_scope(state, user, doc).await?;
    let record = crate::services::documents::current_record(state, &doc.to_string())
        .await?
        .map(|(_, r)| r)
        .ok_or_else(|| ApiError::NotFound(format!("household {doc}")))?;
    if !record.measures.get(key).is_some_and(Measure::is_active) {
        return Err(ApiError::NotFound(format!("measure {}", key.as_str())));
    }
    let path = |name: &str| DocPath::from_keys(["measures", key.as_str(), name]);
    server_write::write(
        state,
        doc,
        WrittenBy {
            user_id: Some(user.id),
        },
        |e| {
            if let Some(v) = fields.progress {
                e.put(&path("progress"), &v)?;
            }
            if let Some(v) = fields.funds {
                e.put(&path("funds"), &v)?;
            }
            if let Some(v) = &fields.description {
                e.put(&path("description"), v)?;
            }
            if let Some(v) = fields.department {
                e.put(&path("department"), &v)?;
            }
            if let Some(v) = &fields.start_month {
                e.put(&path("start_month"), v)?;
            }
            if let Some(v) = &fields.planned_end {
                e.put(&path("planned_end"), v)?;
            }
            Ok(())
        },
        async |_, _| Ok(()),
        Event {
            actor: format!("user:{}", user.name),
            action: "measure.update",
            subject: format!("household/{doc}/measures/{}", key.as_str()),
            detail: fields.json(),
        },
    )
    .await
}
