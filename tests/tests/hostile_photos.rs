//! Photos under attack: a reference written to someone else's photo grants nothing, an
//! upload belongs to whoever started it, staging is bounded per user and expires, the
//! upload endpoints never tell a stranger that a photo exists, and an original that is
//! also HTML is only ever served as an attachment under a policy that runs nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zoufang_e2e::cli_tablet::CliTablet;
use zoufang_e2e::hostile::stored;
use zoufang_e2e::images::jpeg;
use zoufang_e2e::{HttpTablet, TestApp, on_both_databases};
use zoufang_schemas::{EntryStatus, PhotoHash, PhotoRef, PhotoSubject};

fn hash_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// helper_a takes a photo of a village A household and syncs it to the server.
async fn a_photo_of_village_a(app: &TestApp, bytes: &[u8]) -> String {
    let tablet = CliTablet::new();
    tablet.login(&app.address, "helper_a").await;
    tablet.ok(&["sync"]).await;
    let file = tablet.home().join("house.jpg");
    std::fs::write(&file, bytes).unwrap();
    let household = app.village_a[0].to_string();
    let added = tablet
        .ok(&[
            "photo",
            "add",
            &household,
            "HOUSING",
            file.to_str().unwrap(),
        ])
        .await;
    let synced = tablet.ok(&["sync"]).await;
    assert_eq!(synced["photos_uploaded"], 1, "{synced}");
    added["id"].as_str().unwrap().to_owned()
}

/// `tablet` writes a reference to `hash` into one of its households and syncs it.
async fn reference(tablet: &mut HttpTablet, household: zoufang_schemas::wire::DocId, hash: &str) {
    tablet.sync().await.unwrap();
    let photo = PhotoRef {
        status: EntryStatus::Active,
        subject: PhotoSubject::Housing,
        visit: None,
        size: None,
        taken_at: None,
        caption: None,
    };
    let hash = PhotoHash::parse(hash).unwrap();
    tablet
        .tablet
        .edit(&household, 1_800_000_000, |e| {
            e.add_photo(&hash, &photo, None)
        })
        .unwrap();
    tablet.sync().await.unwrap();
    assert!(
        tablet.tablet.refused.is_empty(),
        "the reference itself is a valid edit"
    );
}

async fn start(
    app: &TestApp,
    token: &str,
    hash: &str,
    size: usize,
    device: Option<&str>,
) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/api/v1/photos/uploads"))
        .bearer_auth(token)
        .json(&json!({ "hash": hash, "size": size }));
    if let Some(device) = device {
        request = request.header("x-zoufang-device", device);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn put(app: &TestApp, token: &str, hash: &str, offset: usize, bytes: &[u8]) -> (u16, Value) {
    let response = app
        .client
        .put(app.url(&format!("/api/v1/photos/uploads/{hash}?offset={offset}")))
        .bearer_auth(token)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn referencing_another_villages_photo_grants_nothing_until_the_bytes_are_shown(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let photo = jpeg(320, 240, 7);
        let hash = a_photo_of_village_a(&app, &photo).await;
        let mut intruder = app.tablet("helper_b").await;
        reference(&mut intruder, app.village_b[0], &hash).await;
        let token = intruder.token.clone();
        for path in [format!("/api/v1/photos/{hash}"), format!("/api/v1/photos/{hash}/original"), format!("/api/v1/photos/{hash}/preview")] {
            let (status, body) = app.get(&token, &path).await;
            assert_eq!((status, body["code"].as_str()), (403, Some("photo-not-in-scope")), "{path}");
        }
        // Nor do the upload endpoints or the sync reply tell that the photo is stored.
        let (status, body) = start(&app, &token, &hash, photo.len(), None).await;
        assert_eq!((status, body["complete"].as_bool(), body["offset"].as_u64()), (200, Some(false), Some(0)));
        let (request, _) = intruder.tablet.request();
        let (_, reply) = intruder.post_sync(zoufang_sync::codec::encode(&request)).await;
        let reply = zoufang_e2e::hostile::reply(&reply);
        assert!(reply.missing_blobs.iter().any(|h| h.as_str() == hash), "asked to upload it, like any photo the server lacks");
        // Uploading the very bytes proves the photo is theirs too.
        let (status, _) = put(&app, &token, &hash, 0, &photo).await;
        assert_eq!(status, 200);
        let (status, body) = app.post(&token, &format!("/api/v1/photos/uploads/{hash}/finish"), &json!({})).await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = app.get(&token, &format!("/api/v1/photos/{hash}/original")).await;
        assert_eq!(status, 200);
        // The village's own supervisor saw it all along.
        let supervisor = app.token("supervisor").await;
        let (status, _) = app.get(&supervisor, &format!("/api/v1/photos/{hash}")).await;
        assert_eq!(status, 200);
        app.teardown().await;
    }

    async fn an_upload_belongs_to_the_user_and_device_that_started_it(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let photo = jpeg(400, 300, 8);
        let hash = hash_of(&photo);
        let owner = app.token("helper_a").await;
        let (status, _) = start(&app, &owner, &hash, photo.len(), Some("tablet-1")).await;
        assert_eq!(status, 200);
        let response = app.client.put(app.url(&format!("/api/v1/photos/uploads/{hash}?offset=0"))).bearer_auth(&owner).header("x-zoufang-device", "tablet-1").body(photo[..1000].to_vec()).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let colleague = app.token("helper_a2").await;
        let (status, _) = app.get(&colleague, &format!("/api/v1/photos/uploads/{hash}")).await;
        assert_eq!(status, 404, "another user does not see the upload");
        let (status, _) = put(&app, &colleague, &hash, 1000, b"spoiled").await;
        assert_eq!(status, 404, "nor extend it");
        let (status, _) = put(&app, &owner, &hash, 1000, b"spoiled").await;
        assert_eq!(status, 404, "nor does the same user from another device");
        let (status, body) = start(&app, &owner, &hash, photo.len(), Some("tablet-2")).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("upload-of-another-device")));
        let response = app.client.get(app.url(&format!("/api/v1/photos/uploads/{hash}"))).bearer_auth(&owner).header("x-zoufang-device", "tablet-1").send().await.unwrap();
        let status: Value = response.json().await.unwrap();
        assert_eq!(status["offset"], 1000, "the owner's upload is untouched");
        app.teardown().await;
    }

    async fn staged_bytes_are_bounded_per_user_and_stale_uploads_expire(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.photos.max_staged_bytes_per_user = 3 * 1024 * 1024;
            s.photos.upload_expiry_secs = 3600;
        }).await else { return };
        let token = app.token("helper_a").await;
        for n in 0..3u8 {
            let (status, body) = start(&app, &token, &hash_of(&[n]), 1024 * 1024, None).await;
            assert_eq!(status, 200, "{body}");
        }
        let (status, body) = start(&app, &token, &hash_of(b"one more"), 1024, None).await;
        assert_eq!((status, body["code"].as_str()), (413, Some("upload-quota-exceeded")));
        let other = app.token("helper_a2").await;
        let (status, _) = start(&app, &other, &hash_of(b"one more"), 1024, None).await;
        assert_eq!(status, 200, "the quota is per user");
        // Uploads untouched for longer than the expiry are forgotten with their bytes.
        use sea_orm::{ConnectionTrait, Statement};
        app.state.db.execute_raw(Statement::from_string(app.state.db.get_database_backend(), "UPDATE photo_uploads SET updated_at = 0")).await.unwrap();
        let expired = zoufang_server::services::photos::expire_stale_uploads(&app.state).await.unwrap();
        assert_eq!(expired, 4);
        assert_eq!(stored(&app).await.photos.2, 0);
        let (status, _) = start(&app, &token, &hash_of(b"one more"), 1024, None).await;
        assert_eq!(status, 200, "the quota is free again");
        app.teardown().await;
    }

    async fn an_html_polyglot_original_is_served_only_as_an_inert_attachment(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // A JPEG with an HTML page in a comment segment.
        let plain = jpeg(200, 200, 9);
        let html = b"<html><body><script>alert(document.cookie)</script></body></html>";
        let mut polyglot = plain[..2].to_vec();
        polyglot.extend_from_slice(&[0xff, 0xfe]);
        polyglot.extend_from_slice(&((html.len() + 2) as u16).to_be_bytes());
        polyglot.extend_from_slice(html);
        polyglot.extend_from_slice(&plain[2..]);
        let hash = a_photo_of_village_a(&app, &polyglot).await;
        let supervisor = app.token("supervisor").await;
        let response = app.client.get(app.url(&format!("/api/v1/photos/{hash}/original"))).bearer_auth(&supervisor).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
        assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
        assert!(headers["cache-control"].to_str().unwrap().contains("no-store"));
        assert_eq!(response.bytes().await.unwrap().to_vec(), polyglot, "kept byte for byte all the same");
        app.teardown().await;
    }
}
