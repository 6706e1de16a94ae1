//! Credentials are live: a revoked device's session, a disabled user's tokens and a copied
//! refresh token stop working at the next request; password guessing is throttled; an
//! unknown user costs the server the same password check as a known one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use zoufang_e2e::{PASSWORD, TestApp, on_both_databases};
use zoufang_server::crypto::PasswordScheme;

async fn refresh(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    app.post(
        "",
        "/api/v1/auth/refresh",
        &json!({ "refresh_token": token }),
    )
    .await
}

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

/// Counts password checks and passes them to Argon2.
struct Counting(Arc<AtomicUsize>);

impl PasswordScheme for Counting {
    fn hash(&self, password: &str) -> Result<String, String> {
        zoufang_server::crypto::Argon2Scheme.hash(password)
    }
    fn verify(&self, password: &str, hash: &str) -> bool {
        self.0.fetch_add(1, Ordering::SeqCst);
        zoufang_server::crypto::Argon2Scheme.verify(password, hash)
    }
}

on_both_databases! {
    async fn a_revoked_devices_session_ends_and_cannot_start_again(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let tokens = app.login("helper_a").await;
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
        let mut tablet = zoufang_e2e::HttpTablet::register(&app.address, &access, zoufang_sync::automerge::ActorId::random()).await;
        tablet.sync().await.unwrap();
        zoufang_server::services::accounts::revoke_device(&app.state, "test", tablet.device_id()).await.unwrap();

        assert_eq!(tablet.sync().await.unwrap_err().code, "device-revoked");
        let (status, body) = refresh(&app, &refresh_token).await;
        assert_eq!((status, body["code"].as_str()), (410, Some("device-revoked")), "the refresh token tells it to wipe too");
        let (status, body) = app.post(&access, "/api/v1/devices", &json!({ "name": "新平板", "actors": [zoufang_sync::automerge::ActorId::random().to_hex_string()] })).await;
        assert_eq!((status, body["code"].as_str()), (410, Some("device-revoked")), "no new device from the old session");
        let (_, devices) = app.get(&app.token("helper_a").await, "/api/v1/devices").await;
        assert_eq!(devices.as_array().unwrap().len(), 1, "only the revoked one");
        // The user, with the password, signs in again as before.
        let mut fresh = app.tablet("helper_a").await;
        assert!(fresh.sync().await.is_ok());
        app.teardown().await;
    }

    async fn a_disabled_users_tokens_stop_at_the_next_request(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let tokens = app.login("helper_a").await;
        let access = tokens["access_token"].as_str().unwrap();
        let (status, _) = app.get(access, "/api/v1/households").await;
        assert_eq!(status, 200);
        zoufang_server::services::accounts::disable_user(&app.state, "test", "helper_a").await.unwrap();
        let (status, body) = app.get(access, "/api/v1/households").await;
        assert_eq!((status, body["code"].as_str()), (401, Some("user-disabled")));
        let (status, _) = refresh(&app, tokens["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 401);
        app.teardown().await;
    }

    async fn a_reused_refresh_token_ends_its_whole_family(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let tokens = app.login("helper_a").await;
        let stolen = tokens["refresh_token"].as_str().unwrap();
        let (status, fresh) = refresh(&app, stolen).await;
        assert_eq!(status, 200);
        let (status, body) = refresh(&app, stolen).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("refresh-token-reused")));
        let (status, _) = refresh(&app, fresh["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 401, "the rotated token dies with its family");
        let (status, body) = app.get(fresh["access_token"].as_str().unwrap(), "/api/v1/households").await;
        assert_eq!((status, body["code"].as_str()), (401, Some("session-revoked")));
        let other = app.login("helper_a").await;
        let (status, _) = app.get(other["access_token"].as_str().unwrap(), "/api/v1/households").await;
        assert_eq!(status, 200, "other sessions of the user go on");
        let report = zoufang_server::store::audit::verify(&app.state.db, app.state.digest.as_ref()).await.unwrap();
        assert!(report.is_intact());
        app.teardown().await;
    }

    async fn password_guessing_is_throttled_and_the_right_password_works_after_the_wait(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.auth.throttle.account_free_failures = 5;
            s.auth.throttle.base_delay_secs = 3;
        }).await else { return };
        let mut answers = Vec::new();
        for _ in 0..50 {
            let response = login(&app, "helper_a", "not the password").await;
            let wait = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            answers.push((response.status().as_u16(), wait));
        }
        assert!(answers[..5].iter().all(|(s, _)| *s == 401), "{answers:?}");
        assert_eq!(answers[5].0, 401, "the sixth failure is checked, then the wait starts");
        assert!(answers[6..].iter().all(|(s, w)| *s == 429 && w.is_some_and(|w| w >= 1)), "{answers:?}");
        let response = login(&app, "helper_a", PASSWORD).await;
        assert_eq!(response.status(), 429, "not even the right password during the wait");
        let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(wait + 1)).await;
        let response = login(&app, "helper_a", PASSWORD).await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = login(&app, "helper_b", PASSWORD).await.json().await.unwrap();
        assert!(body["access_token"].is_string(), "other accounts were never held up");
        app.teardown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_costs_the_same_password_check_as_a_known_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let mut state = zoufang_server::build_state(zoufang_e2e::settings(&url, dir.path()))
        .await
        .unwrap();
    let checks = Arc::new(AtomicUsize::new(0));
    state.passwords = Arc::new(Counting(checks.clone()));
    let scope = zoufang_schemas::RegionCode::parse("652822100201").unwrap();
    zoufang_server::services::accounts::add_user(
        &state,
        "test",
        "known",
        PASSWORD,
        zoufang_schemas::Role::Helper,
        &scope,
    )
    .await
    .unwrap();
    for (user, code) in [
        ("known", "credentials-invalid"),
        ("nobody", "credentials-invalid"),
    ] {
        let before = checks.load(Ordering::SeqCst);
        let refused = zoufang_server::services::sessions::login(&state, user, "wrong", None)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), code);
        assert_eq!(
            checks.load(Ordering::SeqCst) - before,
            1,
            "{user}: one Argon2 check"
        );
    }
}
