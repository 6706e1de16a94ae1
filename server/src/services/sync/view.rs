//! What a sync is planned against, read once the caller's session is checked. A device
//! with a cursor for its user's scope gets the documents its request names, those of its
//! scope stamped since its cursor, and those it holds that moved, read in one statement
//! with the session: the request costs what changed, however large the scope. A first
//! sync, a request listing what the device holds, or a scope that changed reads the whole
//! scope and belief after the session.

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::feed::{self, FeedQuery};
use crate::store::sync_states::{self, Cursor, SyncSession};
use crate::store::{clock, documents, regions};
use std::collections::BTreeMap;
use zoufang_schemas::wire::DocId;
use zoufang_sync::codec::DecodedRequest;
use zoufang_sync::server::{Belief, Known, Scope};

/// What a sync is planned against, and where the device stands after it.
#[derive(Debug, Clone, Default)]
pub struct SyncView {
    /// The scope: whole, or the part the request concerns.
    pub scope: Scope,
    /// What the server knows of the device.
    pub known: Known,
    /// Versions of the documents read (for the document cache).
    pub versions: BTreeMap<DocId, i64>,
    /// The device's cursor once this request is carried out completely.
    pub horizon: i64,
    /// The cursor before, kept when the request is not carried out completely.
    pub before: Option<Cursor>,
    /// Documents flagged as moved that this request checked.
    pub moved: Vec<DocId>,
    /// Whether the whole scope was read.
    pub whole: bool,
    /// Of the documents read, those with open conflicts (`None`: not known, look them up).
    pub open_conflicts: Option<std::collections::BTreeSet<DocId>>,
    /// Whether a document read references a photo its devices must upload (`None`: not
    /// known).
    pub photos_missing: Option<bool>,
    /// Of the documents read, those with a verified review (`None`: not known).
    pub verified: Option<std::collections::BTreeSet<DocId>>,
    /// The counties of the scope (read from the feed).
    pub counties: Vec<String>,
    /// Known that no task of the scope changed since the cursor (the feed read tells).
    pub tasks_unchanged: bool,
}

/// Checks the session of `user` syncing as `device_id`, then reads what its request is
/// planned against.
pub async fn load(
    state: &AppState,
    user: &AuthUser,
    device_id: &str,
    decoded: &DecodedRequest,
) -> Result<SyncView, ApiError> {
    if user.role != zoufang_schemas::Role::Department && decoded.request.held.is_none() {
        let counties = counties_of(state, user.scope.as_str()).await?;
        let named: Vec<DocId> = decoded.request.updates.iter().map(|u| u.doc).collect();
        let read = feed::read(
            &state.sync_reads,
            FeedQuery {
                device_id,
                user_id: user.id,
                family: &user.family,
                scope: user.scope.as_str(),
                counties: &counties,
                named: &named,
            },
        )
        .await?;
        return match admitted(user, device_id, read.session.clone())? {
            Some(cursor) if read.gate && cursor.scope == user.scope.as_str() => {
                Ok(from_feed(user, cursor, counties, read))
            }
            before => whole(state, user, device_id, before).await,
        };
    }
    let session = sync_states::session(&state.db, user.id, &user.family, device_id).await?;
    let before = admitted(user, device_id, session)?;
    if user.role == zoufang_schemas::Role::Department {
        return departments_view(state, device_id, before).await;
    }
    whole(state, user, device_id, before).await
}

/// The device's cursor, once `session` is live and `device_id` is registered to `user`
/// and not revoked; the refusal otherwise.
pub fn admitted(
    user: &AuthUser,
    device_id: &str,
    session: SyncSession,
) -> Result<Option<Cursor>, ApiError> {
    if let Some(refused) = crate::auth::refused_session(session.liveness) {
        return Err(refused);
    }
    let Some((owner, revoked)) = session.device else {
        return Err(ApiError::Forbidden(
            "device-unknown",
            format!("device {device_id} is not registered"),
        ));
    };
    if owner != user.id {
        return Err(ApiError::Forbidden(
            "device-not-yours",
            "this device belongs to another user".into(),
        ));
    }
    if revoked {
        return Err(ApiError::DeviceRevoked);
    }
    Ok(session.cursor)
}

async fn whole(
    state: &AppState,
    user: &AuthUser,
    device_id: &str,
    before: Option<Cursor>,
) -> Result<SyncView, ApiError> {
    // Taken before the scope is read: whatever it misses is stamped at or above it.
    let horizon = clock::horizon(&state.db).await?;
    let rows = documents::scope(&state.db, user.scope.as_str()).await?;
    let belief = sync_states::whole_belief(&state.db, device_id).await?;
    let mut scope = Scope::new();
    let mut versions = BTreeMap::new();
    for (id, (heads, version)) in rows {
        scope.insert(id, heads);
        versions.insert(id, version);
    }
    Ok(SyncView {
        scope,
        known: Known::whole(belief),
        versions,
        horizon,
        before,
        moved: Vec::new(),
        whole: true,
        open_conflicts: None,
        photos_missing: None,
        verified: None,
        counties: Vec::new(),
        tasks_unchanged: false,
    })
}

fn from_feed(user: &AuthUser, cursor: Cursor, counties: Vec<String>, read: feed::Feed) -> SyncView {
    let mut view = SyncView {
        horizon: read.horizon,
        known: Known {
            belief: Belief::new(),
            digest: cursor.digest,
        },
        before: Some(cursor),
        counties,
        open_conflicts: Some(Default::default()),
        photos_missing: Some(false),
        verified: Some(Default::default()),
        tasks_unchanged: !read.tasks_changed,
        ..SyncView::default()
    };
    for doc in read.docs {
        let Some(region) = &doc.region_code else {
            continue;
        };
        if user.sees(region) {
            view.scope.insert(doc.id, doc.heads);
        }
        view.versions.insert(doc.id, doc.version);
        if let Some(believed) = doc.believed {
            view.known.belief.insert(doc.id, believed);
        }
        if doc.moved {
            view.moved.push(doc.id);
        }
        if doc.open_conflicts
            && let Some(open) = &mut view.open_conflicts
        {
            open.insert(doc.id);
        }
        if doc.photos_missing {
            view.photos_missing = Some(true);
        }
        if doc.verified
            && let Some(verified) = &mut view.verified
        {
            verified.insert(doc.id);
        }
    }
    view
}

/// A department's devices replicate no household: their scope is empty, and anything they
/// hold leaves.
async fn departments_view(
    state: &AppState,
    device_id: &str,
    before: Option<Cursor>,
) -> Result<SyncView, ApiError> {
    Ok(SyncView {
        known: Known::whole(sync_states::whole_belief(&state.db, device_id).await?),
        horizon: clock::horizon(&state.db).await?,
        before,
        whole: true,
        ..SyncView::default()
    })
}

/// The counties a region prefix covers.
async fn counties_of(state: &AppState, scope: &str) -> Result<Vec<String>, ApiError> {
    if let Some(county) = scope.get(..6) {
        return Ok(vec![county.to_owned()]);
    }
    Ok(regions::under(&state.db, scope)
        .await?
        .into_iter()
        .filter(|r| r.code.len() == 6)
        .map(|r| r.code)
        .collect())
}
