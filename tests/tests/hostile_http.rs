//! HTTP-level hostility: compression bombs on every accepted encoding, compressed bodies
//! where none are read, and what every response must carry: security headers, `no-store`
//! on tokens and personal data, JSON errors with codes for unknown routes and methods, and
//! readiness without internals.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::io::Write;
use std::time::{Duration, Instant};
use zoufang_e2e::hostile::assert_healthy;
use zoufang_e2e::{TestApp, on_both_databases};

/// 1 GiB of zeros, compressed: 64 MiB compressed once, repeated as gzip members and zstd
/// frames (decoders read on from one to the next); brotli in one stream.
fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let repeats = 16;
    let mut brotli = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut brotli, 1 << 16, 5, 22);
        for _ in 0..repeats {
            writer.write_all(&zeros).unwrap();
        }
    }
    let zstd_frame = zstd::encode_all(&zeros[..], 3).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&zeros).unwrap();
    let gzip_member = gzip.finish().unwrap();
    vec![
        ("br", brotli),
        ("zstd", zstd_frame.repeat(repeats)),
        ("gzip", gzip_member.repeat(repeats)),
    ]
}

on_both_databases! {
    async fn compression_bombs_are_refused_while_inflating_and_the_server_stays_up(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let tablet = app.tablet("helper_a").await;
        for (encoding, bomb) in bombs() {
            assert!(bomb.len() < 2 * 1024 * 1024, "{encoding}: a small body ({} bytes)", bomb.len());
            let started = Instant::now();
            let response = app.client.post(app.url("/api/v1/sync"))
                .bearer_auth(&tablet.token)
                .header("x-zoufang-device", tablet.device_id())
                .header("content-type", "application/cbor")
                .header("content-encoding", encoding)
                .body(bomb.clone())
                .send().await.unwrap();
            assert_eq!(response.status(), 413, "{encoding}");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["code"], "payload-too-large");
            assert!(started.elapsed() < Duration::from_secs(5), "{encoding}: refused in {:?}", started.elapsed());
            // Elsewhere compressed bodies are not read at all.
            let response = app.client.post(app.url("/api/v1/auth/login"))
                .header("content-type", "application/json")
                .header("content-encoding", encoding)
                .body(bomb)
                .send().await.unwrap();
            assert_eq!(response.status(), 415, "{encoding}");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["code"], "content-encoding-unsupported");
        }
        assert_healthy(&app).await;
        app.teardown().await;
    }

    async fn responses_carry_security_headers_and_errors_are_json_with_codes(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let login = app.client.post(app.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": "helper_a", "password": zoufang_e2e::PASSWORD }))
            .send().await.unwrap();
        assert_eq!(login.headers()["cache-control"], "no-store", "tokens are never cached");
        let token: serde_json::Value = login.json().await.unwrap();
        let token = token["access_token"].as_str().unwrap();
        let household = app.village_a[0];
        let response = app.client.get(app.url(&format!("/api/v1/households/{household}"))).bearer_auth(token).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["cache-control"], "no-store", "nor personal data");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));

        let response = app.client.get(app.url("/api/v1/nothing-here")).send().await.unwrap();
        assert_eq!(response.status(), 404);
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not-found");
        let response = app.client.delete(app.url("/api/v1/sync")).send().await.unwrap();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "POST");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "method-not-allowed");
        let response = app.client.get(app.url(&format!("/api/v1/conflicts/{}/resolve", 7))).send().await.unwrap();
        assert_eq!(response.status(), 405, "a path with a parameter is matched too");
        app.teardown().await;
    }

    async fn readiness_says_the_database_is_away_without_saying_why(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let response = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        app.state.db.clone().close().await.unwrap();
        let response = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(response.status(), 503);
        let body = response.text().await.unwrap();
        let shown: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(shown["code"], "database-unreachable");
        for internal in ["pool", "sqlx", "connection", "closed", "postgres", "sqlite"] {
            assert!(!body.to_lowercase().contains(internal), "{internal} in {body}");
        }
        app.teardown().await;
    }
}
