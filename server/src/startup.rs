//! Building the application: state from settings, and the HTTP server on a given listener
//! (port 0 in tests) that stops gracefully on SIGTERM or Ctrl-C.

use crate::auth::TokenKeys;
use crate::crypto::{Argon2Scheme, PasswordScheme};
use crate::photos::storage::BlobStorage;
use crate::settings::Settings;
use crate::state::{AppState, StateParts};
use crate::{routes, store, telemetry};
use actix_web::dev::Server;
use actix_web::middleware::Compress;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use rand::RngCore;
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;
use zoufang_sync::automerge::ActorId;

/// Connects and migrates the database, loads the token key, and builds the state.
pub async fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data folder {}",
            settings.data_dir.display()
        )
    })?;
    // A data folder that cannot be written fails here, clearly, not at the first upload.
    let probe = settings.data_dir.join(".zoufang-write-check");
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .with_context(|| {
            format!(
                "the data folder {} is not writable",
                settings.data_dir.display()
            )
        })?;
    let acquire = Duration::from_secs(settings.database.acquire_timeout_secs.max(1));
    let url = settings.database_url();
    let db = store::connect_waiting(&url, settings.database.max_connections, acquire)
        .await
        .context("cannot connect to the database")?;
    let sync_reads =
        store::connect_sync_reads(&db, &url, settings.database.max_connections, acquire)
            .await
            .context("cannot connect to the database")?;
    store::migrate(&db)
        .await
        .context("cannot migrate the database")?;
    let secret = if settings.auth.jwt_secret.is_empty() {
        local_secret(&settings.data_dir)?
    } else {
        settings.auth.jwt_secret.expose().as_bytes().to_vec()
    };
    let tokens = TokenKeys::new(&settings.auth.key_id, &secret).context("invalid token key")?;
    let blobs = BlobStorage::from_settings(&settings.photos, &settings.data_dir)
        .context("cannot open the photo store")?;
    let server_actor = store::server_actors::current(&db)
        .await
        .context("cannot read the server's actor")?;
    let server_actor = hex::decode(&server_actor)
        .map(ActorId::from)
        .context("the stored server actor is not hex")?;
    let mut decoy = [0u8; 32];
    rand::rng().fill_bytes(&mut decoy);
    let decoy_password_hash = Argon2Scheme
        .hash(&hex::encode(decoy))
        .map_err(|e| anyhow::anyhow!("cannot hash: {e}"))?;
    Ok(AppState::new(StateParts {
        db,
        sync_reads,
        settings,
        tokens,
        metrics: telemetry::metrics_handle(),
        blobs,
        server_actor,
        decoy_password_hash,
    }))
}

/// The token key kept in the data folder, created on first start.
fn local_secret(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = dir.join("jwt.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return hex::decode(existing.trim()).context("jwt.key is not hex");
    }
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    std::fs::write(&path, hex::encode(key))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key.to_vec())
}

/// Starts serving on `listener`. The returned server runs until SIGTERM/SIGINT, then lets
/// in-flight requests finish (a sync either commits or rolls back).
pub fn run(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let shutdown = state.settings.server.shutdown_timeout_secs;
    let workers = state.settings.server.workers;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(routes::hygiene::guard))
            .wrap(Compress::default())
            .wrap(tracing_actix_web::TracingLogger::default())
            .app_data(data.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(1024 * 1024)
                    .error_handler(|err, _| {
                        crate::error::ApiError::BadRequest("json-invalid", err.to_string()).into()
                    }),
            )
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                crate::error::ApiError::BadRequest("query-invalid", err.to_string()).into()
            }))
            .app_data(
                web::FormConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|err, _| {
                        crate::error::ApiError::BadRequest("form-invalid", err.to_string()).into()
                    }),
            )
            .app_data(web::PathConfig::default().error_handler(|err, _| {
                crate::error::ApiError::BadRequest("path-invalid", err.to_string()).into()
            }))
            .configure(routes::configure)
            .configure(crate::console::configure)
            .default_service(web::to(routes::hygiene::not_routed))
    })
    .shutdown_timeout(shutdown);
    let server = match workers {
        0 => server,
        n => server.workers(n),
    };
    let server = server.listen(listener)?.run();
    Ok(server)
}

/// Periodically folds long change logs into snapshots and forgets uploads left
/// unfinished too long.
pub fn spawn_housekeeping(state: AppState) {
    let every = Duration::from_secs(state.settings.sync.compact_every_secs.max(1));
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            match crate::services::documents::compact_pass(&state, 200).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(documents = n, "compacted"),
                Err(e) => tracing::warn!(error = %e, "compaction failed"),
            }
            match crate::services::projection::validate_waiting(&state, 500).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(households = n, "validated"),
                Err(e) => tracing::warn!(error = %e, "validation pass failed"),
            }
            match crate::services::photos::expire_stale_uploads(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(uploads = n, "unfinished uploads expired"),
                Err(e) => tracing::warn!(error = %e, "upload expiry failed"),
            }
        }
    });
}

/// Chains audit entries appended since the last pass, every second.
pub fn spawn_audit_chainer(state: AppState) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            if let Err(e) = crate::store::audit::chain_all(&state.db, state.digest.as_ref()).await {
                tracing::warn!(error = %e, "audit chaining failed");
            }
        }
    });
}
