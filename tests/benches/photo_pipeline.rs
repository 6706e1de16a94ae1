//! The photo pipeline's speed: thumbnail + preview per 12-megapixel JPEG against libvips'
//! `vipsthumbnail` on the same files in the same run, the time to refuse a decompression
//! bomb, and chunked upload throughput on loopback through the real server.
//!
//! Run: `cargo bench -p zoufang-e2e --bench photo_pipeline` (needs `vipsthumbnail`, Debian
//! package `libvips-tools`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code

use serde_json::json;
use sha2::{Digest, Sha256};
use std::process::Command;
use std::time::{Duration, Instant};
use zoufang_e2e::images::{noisy_jpeg, png_bomb};
use zoufang_e2e::{Backend, TestApp};
use zoufang_server::photos::process::{DecodeLimits, process};

const PHOTOS: u32 = 3;
const ROUNDS: usize = 3;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn vipsthumbnail(files: &[std::path::PathBuf], size: u32, out: &std::path::Path) -> Duration {
    let started = Instant::now();
    let status = Command::new("vipsthumbnail")
        .args(files)
        .arg("--size")
        .arg(size.to_string())
        .arg("-o")
        .arg(format!("{}/%s_{size}.jpg[Q=82,strip]", out.display()))
        .status()
        .expect("vipsthumbnail is needed: apt-get install libvips-tools");
    assert!(status.success());
    started.elapsed()
}

async fn upload_throughput(bytes: &[u8]) -> (f64, Duration) {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.photos.max_chunk_bytes = 1024 * 1024;
    })
    .await
    .unwrap();
    let token = app.token("helper_a").await;
    let hash = hex::encode(Sha256::digest(bytes));
    let started = Instant::now();
    let (status, _) = app
        .post(
            &token,
            "/api/v1/photos/uploads",
            &json!({ "hash": hash, "size": bytes.len() }),
        )
        .await;
    assert_eq!(status, 200);
    for (i, chunk) in bytes.chunks(1024 * 1024).enumerate() {
        let response = app
            .client
            .put(app.url(&format!(
                "/api/v1/photos/uploads/{hash}?offset={}",
                i * 1024 * 1024
            )))
            .bearer_auth(&token)
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let transfer = started.elapsed();
    let finishing = Instant::now();
    let (status, body) = app
        .post(
            &token,
            &format!("/api/v1/photos/uploads/{hash}/finish"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let finish = finishing.elapsed();
    app.teardown().await;
    (
        bytes.len() as f64 / transfer.as_secs_f64() / 1_048_576.0,
        finish,
    )
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = (0..PHOTOS)
        .map(|i| {
            let path = dir.path().join(format!("photo{i}.jpg"));
            std::fs::write(&path, noisy_jpeg(4000, 3000, i + 1, 0x07)).unwrap();
            path
        })
        .collect();
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .collect();
    println!(
        "Photo pipeline: {PHOTOS} JPEGs of 4000×3000 (12 MP, {:.1} MiB each on average), median of {ROUNDS} rounds\n",
        sizes.iter().sum::<u64>() as f64 / f64::from(PHOTOS) / 1_048_576.0
    );

    let limits = DecodeLimits::default();
    let ours = median(
        (0..ROUNDS)
            .map(|_| {
                let started = Instant::now();
                for file in &files {
                    let bytes = std::fs::read(file).unwrap();
                    let photo = process(&bytes, &limits).unwrap();
                    assert!(!photo.thumbnail.is_empty() && !photo.preview.is_empty());
                }
                started.elapsed() / PHOTOS
            })
            .collect(),
    );
    let out = tempfile::tempdir().unwrap();
    let vips = median(
        (0..ROUNDS)
            .map(|_| {
                (vipsthumbnail(&files, 256, out.path()) + vipsthumbnail(&files, 1280, out.path()))
                    / PHOTOS
            })
            .collect(),
    );
    let ratio = ours.as_secs_f64() / vips.as_secs_f64();
    println!(
        "| per 12 MP JPEG | zoufang (thumbnail + preview, one process) | vipsthumbnail (256 px + 1280 px) | zoufang / libvips | target |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| thumbnail + preview | {:.1} ms | {:.1} ms | {ratio:.2}× | ≤ 1.5× |",
        ours.as_secs_f64() * 1000.0,
        vips.as_secs_f64() * 1000.0
    );

    let bomb = png_bomb(100_000);
    let refused = median(
        (0..101)
            .map(|_| {
                let started = Instant::now();
                let err = process(&bomb, &limits).unwrap_err();
                assert_eq!(err.code(), "photo-too-many-pixels");
                started.elapsed()
            })
            .collect(),
    );
    println!(
        "\nDecompression bomb ({} bytes of PNG claiming 100000×100000 pixels = 10 gigapixels): refused in {:.1} µs, nothing allocated for its pixels",
        bomb.len(),
        refused.as_secs_f64() * 1e6
    );

    let big = std::fs::read(&files[0]).unwrap();
    let (throughput, finish) = upload_throughput(&big).await;
    println!(
        "Upload on loopback (SQLite, 1 MiB chunks, {:.1} MiB photo): {throughput:.0} MiB/s; finishing (hash check, decode, derived images, store) {:.0} ms",
        big.len() as f64 / 1_048_576.0,
        finish.as_secs_f64() * 1000.0
    );
    println!(
        "\nTarget met (thumbnail + preview within 1.5× of libvips): {}",
        if ratio <= 1.5 { "yes" } else { "no" }
    );
}
