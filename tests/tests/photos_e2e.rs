//! Photo evidence end to end: resumable chunked uploads and their errors, validation and
//! derived images, EXIF for reviewers, links and the scope rule, the missing list in sync
//! replies, and the tablet's upload queue over a connection cut mid-upload.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zoufang_e2e::cli_tablet::CliTablet;
use zoufang_e2e::images::{jpeg, png_bomb, with_exif, with_quirky_exif};
use zoufang_e2e::proxy::{Mode, Proxy};
use zoufang_e2e::{TestApp, on_both_databases};

const CHUNK: usize = 64 * 1024;

fn hash_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn small_chunks(backend: zoufang_e2e::Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| {
        s.photos.max_chunk_bytes = CHUNK;
        s.photos.max_bytes = 4 * 1024 * 1024;
    })
    .await
}

async fn put_chunk(
    app: &TestApp,
    token: &str,
    hash: &str,
    offset: u64,
    chunk: &[u8],
) -> (u16, Value) {
    let response = app
        .client
        .put(app.url(&format!("/api/v1/photos/uploads/{hash}?offset={offset}")))
        .bearer_auth(token)
        .body(chunk.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Uploads `bytes` in order through the API; returns the finish response.
async fn upload(app: &TestApp, token: &str, bytes: &[u8]) -> (u16, Value) {
    let hash = hash_of(bytes);
    let (status, started) = app
        .post(
            token,
            "/api/v1/photos/uploads",
            &json!({ "hash": hash, "size": bytes.len() }),
        )
        .await;
    assert_eq!(status, 200, "{started}");
    let mut offset = started["offset"].as_u64().unwrap() as usize;
    while offset < bytes.len() {
        let end = (offset + CHUNK).min(bytes.len());
        let (status, body) = put_chunk(app, token, &hash, offset as u64, &bytes[offset..end]).await;
        assert_eq!(status, 200, "{body}");
        offset = body["offset"].as_u64().unwrap() as usize;
    }
    app.post(
        token,
        &format!("/api/v1/photos/uploads/{hash}/finish"),
        &json!({}),
    )
    .await
}

async fn get_bytes(app: &TestApp, token: &str, path: &str) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// Uploads and staged chunks left in the database.
async fn staged_rows(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    use zoufang_server::store::entities::{photo_upload, photo_upload_chunk};
    photo_upload::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
        + photo_upload_chunk::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap()
}

on_both_databases! {
    async fn chunks_out_of_order_overlapping_or_oversized_are_refused_with_codes(backend: Backend) {
        let Some(app) = small_chunks(backend).await else { return };
        let token = app.token("helper_a").await;
        let photo = jpeg(200, 150, 1);
        assert!(photo.len() < CHUNK);
        let hash = hash_of(&photo);
        let (status, started) = app
            .post(&token, "/api/v1/photos/uploads", &json!({ "hash": hash, "size": photo.len() }))
            .await;
        assert_eq!((status, started["offset"].as_u64()), (200, Some(0)));
        assert_eq!(started["max_chunk_bytes"], CHUNK);

        let (status, body) = put_chunk(&app, &token, &hash, 10, &photo[10..20]).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("upload-offset-mismatch")), "out of order");
        let (status, body) = put_chunk(&app, &token, &hash, 0, &photo[..1000]).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = put_chunk(&app, &token, &hash, 500, &photo[500..1500]).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("upload-offset-mismatch")), "overlapping");
        let too_big = vec![0u8; CHUNK + 1];
        let (status, body) = put_chunk(&app, &token, &hash, 1000, &too_big).await;
        assert_eq!((status, body["code"].as_str()), (413, Some("chunk-too-large")));
        let past_end = vec![0u8; photo.len() - 1000 + 1];
        let (status, body) = put_chunk(&app, &token, &hash, 1000, &past_end).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("upload-exceeds-size")), "{body}");
        let (status, shown) = app.get(&token, &format!("/api/v1/photos/uploads/{hash}")).await;
        assert_eq!((status, shown["offset"].as_u64()), (200, Some(1000)), "refused chunks stored nothing");
        let (status, body) = app.post(&token, &format!("/api/v1/photos/uploads/{hash}/finish"), &json!({})).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("upload-incomplete")));

        let (status, body) = app
            .post(&token, "/api/v1/photos/uploads", &json!({ "hash": hash_of(b"x"), "size": 5 * 1024 * 1024 }))
            .await;
        assert_eq!((status, body["code"].as_str()), (413, Some("photo-too-large")));
        let (status, body) = app
            .post(&token, "/api/v1/photos/uploads", &json!({ "hash": "photo.jpg", "size": 10 }))
            .await;
        assert_eq!((status, body["code"].as_str()), (400, Some("photo-hash-invalid")));
        app.teardown().await;
    }

    async fn a_wrong_hash_a_foreign_format_and_a_bomb_leave_nothing_stored(backend: Backend) {
        let Some(app) = small_chunks(backend).await else { return };
        let token = app.token("helper_a").await;

        // The bytes announced under another photo's hash.
        let photo = jpeg(300, 200, 2);
        let claimed = hash_of(b"another photo");
        let (status, _) = app
            .post(&token, "/api/v1/photos/uploads", &json!({ "hash": claimed, "size": photo.len() }))
            .await;
        assert_eq!(status, 200);
        let mut offset = 0;
        while offset < photo.len() {
            let end = (offset + CHUNK).min(photo.len());
            put_chunk(&app, &token, &claimed, offset as u64, &photo[offset..end]).await;
            offset = end;
        }
        let (status, body) = app.post(&token, &format!("/api/v1/photos/uploads/{claimed}/finish"), &json!({})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("photo-hash-mismatch")), "{body}");
        let (status, _) = app.get(&token, &format!("/api/v1/photos/uploads/{claimed}")).await;
        assert_eq!(status, 404, "the failed upload is gone");

        // A PDF named like a photo, and a GIF.
        for bytes in [b"%PDF-1.7 pretending to be photo.jpg".to_vec(), b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec()] {
            let (status, body) = upload(&app, &token, &bytes).await;
            assert_eq!((status, body["code"].as_str()), (415, Some("photo-unsupported-type")), "{body}");
        }

        // 100,000 × 100,000 pixels claimed by a 70-byte PNG: refused from the header.
        let bomb = png_bomb(100_000);
        let started = std::time::Instant::now();
        let (status, body) = upload(&app, &token, &bomb).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("photo-too-many-pixels")), "{body}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));

        assert_eq!(staged_rows(&app).await, 0, "no staged bytes are left behind");
        let blobs = app.state.settings.data_dir.join("blobs");
        let stored = walk(&blobs);
        assert!(stored.is_empty(), "nothing reached the blob store: {stored:?}");
        app.teardown().await;
    }

    async fn a_photo_is_kept_byte_for_byte_with_upright_derived_images_and_exif_for_its_scope(backend: Backend) {
        let Some(app) = small_chunks(backend).await else { return };
        let tablet = CliTablet::new();
        tablet.login(&app.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let photo = with_exif(&jpeg(1600, 1200, 3));
        let file = tablet.home().join("IMG_0001.jpg");
        std::fs::write(&file, &photo).unwrap();
        let household = app.village_a[0].to_string();
        let added = tablet.ok(&["photo", "add", &household, "HOUSING", file.to_str().unwrap()]).await;
        let hash = added["id"].as_str().unwrap().to_owned();
        assert_eq!(hash, hash_of(&photo));
        let synced = tablet.ok(&["sync"]).await;
        assert_eq!(synced["photos_uploaded"], 1, "{synced}");
        assert_eq!(tablet.ok(&["status"]).await["pending_photos"], 0);

        let supervisor = app.token("supervisor").await;
        let (status, info) = app.get(&supervisor, &format!("/api/v1/photos/{hash}")).await;
        assert_eq!(status, 200, "{info}");
        assert_eq!(info["media_type"], "image/jpeg");
        assert_eq!((info["width"].as_i64(), info["height"].as_i64()), (Some(1600), Some(1200)));
        assert_eq!(info["camera"], "ZouCam T1");
        assert_eq!(info["taken_at"], "2026-11-20 10:30:00");
        assert_eq!(info["orientation"], 6);
        assert!((info["gps_lat"].as_f64().unwrap() - 41.76).abs() < 0.001, "{info}");
        assert!((info["gps_lon"].as_f64().unwrap() - 86.15).abs() < 0.001, "{info}");

        let (status, original) = get_bytes(&app, &supervisor, &format!("/api/v1/photos/{hash}/original")).await;
        assert_eq!(status, 200);
        assert!(original == photo, "the original is kept byte for byte");
        for (variant, long_side) in [("thumbnail", 256), ("preview", 1280)] {
            let (status, bytes) = get_bytes(&app, &supervisor, &format!("/api/v1/photos/{hash}/{variant}")).await;
            assert_eq!(status, 200);
            let image = image::load_from_memory(&bytes).unwrap();
            assert_eq!(image.height(), long_side, "{variant} turned upright (portrait)");
            assert!(image.width() < image.height());
            assert!(exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&bytes)).is_err(),
                "{variant} carries no metadata");
        }

        // Out of scope: another village's helper and another township's supervisor.
        for user in ["helper_b", "other_supervisor"] {
            let token = app.token(user).await;
            let (status, body) = app.get(&token, &format!("/api/v1/photos/{hash}")).await;
            assert_eq!((status, body["code"].as_str()), (403, Some("photo-not-in-scope")), "{user}");
            let (status, _) = get_bytes(&app, &token, &format!("/api/v1/photos/{hash}/original")).await;
            assert_eq!(status, 403);
        }

        // The same photo again is never uploaded again.
        let token = app.token("helper_a").await;
        let (status, again) = app
            .post(&token, "/api/v1/photos/uploads", &json!({ "hash": hash, "size": photo.len() }))
            .await;
        assert_eq!((status, again["complete"].as_bool()), (200, Some(true)));
        app.teardown().await;
    }

    async fn exif_with_a_makers_quirk_keeps_its_time_place_camera_and_orientation(backend: Backend) {
        let Some(app) = small_chunks(backend).await else { return };
        let token = app.token("helper_a").await;
        let photo = with_quirky_exif(&jpeg(800, 600, 5));
        assert!(
            exif::Reader::new().read_from_container(&mut std::io::Cursor::new(&photo)).is_err(),
            "a strict reader refuses this EXIF"
        );
        let (status, info) = upload(&app, &token, &photo).await;
        assert_eq!(status, 200, "{info}");
        assert_eq!(info["camera"], "ZouCam T1");
        assert_eq!(info["taken_at"], "2026-11-20 10:30:00");
        assert_eq!(info["orientation"], 6);
        assert!((info["gps_lat"].as_f64().unwrap() - 41.76).abs() < 0.001, "{info}");
        let hash = hash_of(&photo);
        let (status, preview) = get_bytes(&app, &token, &format!("/api/v1/photos/{hash}/preview")).await;
        assert_eq!(status, 200);
        let image = image::load_from_memory(&preview).unwrap();
        assert!(image.width() < image.height(), "turned upright");
        app.teardown().await;
    }

    async fn an_upload_cut_mid_way_resumes_from_the_servers_offset(backend: Backend) {
        let Some(app) = small_chunks(backend).await else { return };
        let proxy = Proxy::start(&app.address).await;
        let tablet = CliTablet::new();
        tablet.login(&proxy.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let photo = jpeg(1200, 900, 4);
        assert!(photo.len() > 4 * CHUNK, "several chunks: {}", photo.len());
        let file = tablet.home().join("water.jpg");
        std::fs::write(&file, &photo).unwrap();
        let household = app.village_a[1].to_string();
        let added = tablet.ok(&["photo", "add", &household, "WATER", file.to_str().unwrap()]).await;
        let hash = added["id"].as_str().unwrap().to_owned();

        // Documents go first; the photo is then cut off part-way.
        let mut other = app.tablet("helper_a2").await;
        let base = proxy.forwarded.load(std::sync::atomic::Ordering::SeqCst);
        proxy.set_mode(Mode::CutRequestAfter(2 * CHUNK as u64 + CHUNK as u64 / 2)).await;
        // Each connection gets the cut; the document exchange is small and passes whole.
        let cut = tablet.run(&["sync"], "").await;
        assert_eq!(cut.status, 3, "{} {}", cut.out, cut.err);
        let token = app.token("helper_a").await;
        // The upload belongs to the tablet's device: asked without it, there is none.
        let (status, _) = app.get(&token, &format!("/api/v1/photos/uploads/{hash}")).await;
        assert_eq!(status, 404);
        let (_, devices) = app.get(&token, "/api/v1/devices").await;
        let device = devices[0]["id"].as_str().unwrap().to_owned();
        let response = app
            .client
            .get(app.url(&format!("/api/v1/photos/uploads/{hash}")))
            .bearer_auth(&token)
            .header("x-zoufang-device", &device)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let partial: Value = response.json().await.unwrap();
        let reached = partial["offset"].as_u64().unwrap();
        assert!(reached > 0 && reached < photo.len() as u64, "part of it arrived: {reached}");
        assert_eq!(reached % CHUNK as u64, 0, "only whole chunks are kept");

        // The household already references the photo: another device receiving it is told
        // the photo is missing; its next sync, with nothing new, lists nothing.
        let (request, held) = other.tablet.request();
        let (_, body) = other.post_sync(zoufang_sync::codec::encode(&request)).await;
        let reply = zoufang_sync::codec::decode_reply(&body, &Default::default()).unwrap();
        assert!(reply.missing_blobs.iter().any(|h| h.as_str() == hash), "{:?}", reply.missing_blobs);
        other.tablet.receive(&request, &held, &body).unwrap();

        proxy.set_mode(Mode::Pass).await;
        let resumed = tablet.ok(&["sync"]).await;
        assert_eq!(resumed["photos_uploaded"], 1, "{resumed}");
        let sent = proxy.forwarded.load(std::sync::atomic::Ordering::SeqCst) - base;
        let overhead = 16 * 1024; // request headers and the small document exchanges
        assert!(
            sent <= photo.len() as u64 + CHUNK as u64 + overhead,
            "bytes sent in total {sent} ≤ file {} + one chunk {CHUNK}",
            photo.len()
        );
        let (status, info) = app.get(&token, &format!("/api/v1/photos/{hash}")).await;
        assert_eq!((status, info["size"].as_u64()), (200, Some(photo.len() as u64)));
        let (_, reply) = other.post_sync(zoufang_sync::codec::encode(&other.tablet.request().0)).await;
        let reply = zoufang_sync::codec::decode_reply(&reply, &Default::default()).unwrap();
        assert!(reply.missing_blobs.is_empty(), "{:?}", reply.missing_blobs);
        app.teardown().await;
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

on_both_databases! {
    async fn photos_are_stored_in_an_s3_compatible_object_store(backend: Backend) {
        let Some((endpoint, bucket)) = zoufang_e2e::fresh_s3_bucket().await else { return };
        let (endpoint_for_app, bucket_for_app) = (endpoint.clone(), bucket.clone());
        let Some(app) = TestApp::spawn_with(backend, move |s| {
            s.photos.max_chunk_bytes = CHUNK;
            s.photos.storage = "s3".into();
            s.photos.s3.endpoint = endpoint_for_app;
            s.photos.s3.bucket = bucket_for_app;
            s.photos.s3.allow_http = true;
            s.photos.s3.access_key_id = zoufang_server::settings::Secret::new("test");
            s.photos.s3.secret_access_key = zoufang_server::settings::Secret::new("test");
        })
        .await else { return };
        let tablet = CliTablet::new();
        tablet.login(&app.address, "helper_a").await;
        tablet.ok(&["sync"]).await;
        let photo = jpeg(900, 600, 5);
        let file = tablet.home().join("house.jpg");
        std::fs::write(&file, &photo).unwrap();
        let added = tablet.ok(&["photo", "add", &app.village_a[2].to_string(), "HOUSING", file.to_str().unwrap()]).await;
        let hash = added["id"].as_str().unwrap().to_owned();
        assert_eq!(tablet.ok(&["sync"]).await["photos_uploaded"], 1);

        // The objects are in the bucket, not on the local disk.
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&endpoint)
            .with_bucket_name(&bucket)
            .with_region("us-east-1")
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .build()
            .unwrap();
        use object_store::ObjectStoreExt;
        for key in [format!("originals/{hash}"), format!("thumbnails/{hash}.jpg"), format!("previews/{hash}.jpg")] {
            store.head(&object_store::path::Path::from(key.as_str())).await.unwrap();
        }
        let stored = store
            .get(&object_store::path::Path::from(format!("originals/{hash}").as_str()))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(stored.as_ref() == photo.as_slice(), "the original is kept byte for byte");
        assert!(walk(&app.state.settings.data_dir.join("blobs")).is_empty());

        let token = app.token("supervisor").await;
        let (status, thumb) = get_bytes(&app, &token, &format!("/api/v1/photos/{hash}/thumbnail")).await;
        assert_eq!(status, 200);
        assert_eq!(image::load_from_memory(&thumb).unwrap().width(), 256);
        app.teardown().await;
    }
}
