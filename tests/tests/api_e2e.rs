//! Accounts, tokens, operational endpoints, limits and the audit chain, end to end.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use sea_orm::{ConnectionTrait, Statement};
use std::io::Write;
use zoufang_e2e::{TestApp, on_both_databases};
use zoufang_sync::codec::encode;

on_both_databases! {
    async fn login_refresh_and_logout_rotate_tokens(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let tokens = app.login("helper_a").await;
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["scope"], "652822100201");
        let refresh = tokens["refresh_token"].as_str().unwrap();
        let (status, fresh) = app.post("", "/api/v1/auth/refresh", &serde_json::json!({ "refresh_token": refresh })).await;
        assert_eq!(status, 200, "{fresh}");
        let next = fresh["refresh_token"].as_str().unwrap();
        let response = app.client.post(app.url("/api/v1/auth/logout")).json(&serde_json::json!({ "refresh_token": next })).send().await.unwrap();
        assert_eq!(response.status(), 204);
        let (status, _) = app.post("", "/api/v1/auth/refresh", &serde_json::json!({ "refresh_token": next })).await;
        assert_eq!(status, 401);
        let (status, ended) = app.get(fresh["access_token"].as_str().unwrap(), "/api/v1/devices").await;
        assert_eq!((status, ended["code"].as_str()), (401, Some("session-revoked")), "logout ends the access token too");
        let (status, bad) = app.post("", "/api/v1/auth/login", &serde_json::json!({ "username": "helper_a", "password": "wrong password" })).await;
        assert_eq!((status, bad["code"].as_str()), (401, Some("credentials-invalid")));
        assert!(bad["message_zh"].as_str().unwrap().contains("登录"));
        zoufang_server::services::accounts::disable_user(&app.state, "test", "helper_b").await.unwrap();
        let (status, disabled) = app.post("", "/api/v1/auth/login", &serde_json::json!({ "username": "helper_b", "password": zoufang_e2e::PASSWORD })).await;
        assert_eq!((status, disabled["code"].as_str()), (401, Some("user-disabled")));
        app.teardown().await;
    }

    async fn requests_without_a_valid_token_are_refused(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let (status, body) = app.get("not-a-token", "/api/v1/households").await;
        assert_eq!((status, body["code"].as_str()), (401, Some("token-invalid")));
        let response = app.client.get(app.url("/api/v1/conflicts")).send().await.unwrap();
        assert_eq!(response.status(), 401);
        let helper = app.token("helper_a").await;
        let (status, body) = app.get(&helper, "/api/v1/conflicts").await;
        assert_eq!((status, body["code"].as_str()), (403, Some("role-not-allowed")));
        let (status, body) = app.get(&helper, "/api/v1/households?region=652822100202").await;
        assert_eq!((status, body["code"].as_str()), (403, Some("region-out-of-scope")));
        let (status, list) = app.get(&helper, "/api/v1/households").await;
        assert_eq!(status, 200);
        assert_eq!(list.as_array().unwrap().len(), 3);
        let other = app.village_b[0];
        let (status, _) = app.get(&helper, &format!("/api/v1/households/{other}")).await;
        assert_eq!(status, 404, "a household outside the scope is not shown");
        let outsider = app.token("other_supervisor").await;
        let (status, list) = app.get(&outsider, "/api/v1/conflicts").await;
        assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(0)));
        app.teardown().await;
    }

    async fn malformed_oversized_and_compressed_sync_bodies(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        let (status, body) = a.post_sync(b"garbage".to_vec()).await;
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, error["code"].as_str()), (400, Some("message-malformed")));
        let limit = app.state.settings.sync.max_body_bytes;
        let (status, body) = a.post_sync(vec![0u8; limit + 1]).await;
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status, error["code"].as_str()), (413, Some("payload-too-large")));
        let response = app
            .client
            .post(app.url("/api/v1/sync"))
            .bearer_auth(&a.token)
            .body(encode(&a.tablet.request().0))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "the device header is required");
        // A gzip-compressed request is accepted and answered.
        let (request, held) = a.tablet.request();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&encode(&request)).unwrap();
        let response = app
            .client
            .post(app.url("/api/v1/sync"))
            .bearer_auth(&a.token)
            .header("x-zoufang-device", a.device_id())
            .header("content-encoding", "gzip")
            .body(gz.finish().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let reply = response.bytes().await.unwrap();
        let (_, received) = a.tablet.receive(&request, &held, &reply).unwrap();
        assert_eq!(received, 3);
        app.teardown().await;
    }

    async fn health_readiness_metrics_and_openapi(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.telemetry.metrics_token = zoufang_server::settings::Secret::new("scrape-me");
        }).await else { return };
        for path in ["/healthz", "/readyz"] {
            let response = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
        }
        let mut a = app.tablet("helper_a").await;
        a.sync().await.unwrap();
        let anonymous = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "metrics are not public");
        let (status, _) = app.get(&a.token, "/metrics").await;
        assert_eq!(status, 403, "nor for a helper");
        let metrics = app.client.get(app.url("/metrics")).bearer_auth("scrape-me").send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("zoufang_sync_requests_total"), "{metrics}");
        assert!(metrics.contains("zoufang_sync_duration_seconds"));
        // Where a sync's time went, phase by phase, and on SQLite its writers' turns.
        for phase in ["read", "merge_and_store", "commit", "reply"] {
            assert!(metrics.contains(&format!("zoufang_sync_phase_seconds_count{{phase=\"{phase}\"}}")), "{phase}: {metrics}");
        }
        let turns = ["zoufang_write_turn_wait_seconds_count", "zoufang_write_turn_held_seconds_count", "zoufang_write_group_writers_count"];
        if backend == zoufang_e2e::Backend::Sqlite {
            for turn in turns {
                assert!(metrics.contains(turn), "{turn}: {metrics}");
            }
        }
        let spec: serde_json::Value = app.client.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
        assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
        for path in ["/api/v1/sync", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/devices", "/api/v1/conflicts",
                     "/api/v1/conflicts/{id}", "/api/v1/conflicts/{id}/resolve", "/api/v1/households", "/healthz", "/readyz", "/metrics"] {
            assert!(spec["paths"][path].is_object(), "{path} missing from the OpenAPI document");
        }
        app.teardown().await;
    }

    async fn the_audit_chain_detects_tampering(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        a.sync().await.unwrap();
        a.tablet.edit(&app.village_a[0], 1, |e| e.put(&zoufang_sync::DocPath::parse("housing.fuel").unwrap(), &"柴")).unwrap();
        a.sync().await.unwrap();
        let digest = app.state.digest.clone();
        let report = zoufang_server::store::audit::verify(&app.state.db, digest.as_ref()).await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert!(report.entries >= 8, "accounts, device and sync are audited: {report:?}");
        let backend = app.state.db.get_database_backend();
        app.state.db.execute_raw(Statement::from_string(backend, "UPDATE audit_log SET detail = '{}' WHERE action = 'sync.merge'")).await.unwrap();
        let report = zoufang_server::store::audit::verify(&app.state.db, digest.as_ref()).await.unwrap();
        assert!(!report.is_intact());
        assert_eq!(report.problem.as_deref(), Some("entry was altered"));
        app.teardown().await;
    }

    async fn compaction_folds_the_log_and_keeps_history(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut a = app.tablet("helper_a").await;
        a.sync().await.unwrap();
        let id = app.village_a[0];
        for i in 0..5 {
            a.tablet.edit(&id, i, |e| e.put(&zoufang_sync::DocPath::parse("income.wage").unwrap(), &(1000.0 + i as f64))).unwrap();
        }
        a.sync().await.unwrap();
        let changes_before = zoufang_server::store::documents::change_count(&app.state.db, &id).await.unwrap();
        let before = zoufang_server::store::documents::load(&app.state.db, &id).await.unwrap().unwrap();
        assert!(zoufang_server::store::documents::compact(&app.state.db, &id).await.unwrap());
        let after = zoufang_server::store::documents::load(&app.state.db, &id).await.unwrap().unwrap();
        assert_eq!(after.doc.get_heads(), before.doc.get_heads());
        assert_eq!(zoufang_server::store::documents::change_count(&app.state.db, &id).await.unwrap(), changes_before, "history kept");
        a.tablet.edit(&id, 9, |e| e.put(&zoufang_sync::DocPath::parse("income.wage").unwrap(), &2000.0)).unwrap();
        a.sync().await.unwrap();
        let reloaded = zoufang_server::store::documents::load(&app.state.db, &id).await.unwrap().unwrap();
        assert_eq!(zoufang_schemas::wire::Head(reloaded.doc.get_heads()[0].0), a.tablet.doc(&id).unwrap().heads()[0]);
        app.teardown().await;
    }
}
