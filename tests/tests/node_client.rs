//! The JavaScript tablet (`clients/node`, on npm's `@automerge/automerge`) against the real
//! server: any automerge implementation can be a Zoufang tablet.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use zoufang_e2e::{PASSWORD, TestApp, on_both_databases};

fn client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../clients/node")
}

/// Runs `node demo.mjs` and returns its JSON output.
fn run_demo(server: &str, user: &str, phone: &str) -> Value {
    let dir = client_dir();
    assert!(
        dir.join("node_modules/@automerge/automerge").exists(),
        "the JavaScript client's packages are missing: run `npm ci --prefix clients/node` \
         (scripts/test does)"
    );
    let mut child = Command::new("node")
        .arg("demo.mjs")
        .args(["--server", server, "--user", user, "--phone", phone])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node must be installed to run the JavaScript tablet");
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node demo.mjs failed: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

on_both_databases! {
    async fn a_javascript_tablet_syncs_a_village_edits_a_household_and_syncs_again(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let address = app.address.clone();
        let out = tokio::task::spawn_blocking(move || run_demo(&address, "helper_a", "13700000007"))
            .await
            .unwrap();
        assert_eq!(out["scope"], "652822100201");
        assert_eq!(out["households"], 3, "{out}");
        assert_eq!(out["first"]["docs_received"], 3, "{out}");
        assert_eq!(out["first"]["round_trips"], 1);
        assert_eq!(out["second"]["docs_sent"], 1, "{out}");
        assert_eq!(out["second"]["refused"], serde_json::json!([]), "{out}");
        assert_eq!(out["check"]["docs_sent"], 0, "{out}");
        assert_eq!(out["check"]["docs_received"], 0);
        assert!(out["check"]["bytes_up"].as_u64().unwrap() < 200, "an up-to-date check is tiny: {out}");

        // The server merged the JavaScript change, signed by the registered actor.
        let id = out["edited"].as_str().unwrap();
        let county = app.token("county").await;
        let (status, shown) = app.get(&county, &format!("/api/v1/households/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(shown["record"]["household"]["phone"], "13700000007");
        let mut server_heads: Vec<String> =
            shown["heads"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_owned()).collect();
        let mut js_heads: Vec<String> =
            out["heads"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_owned()).collect();
        server_heads.sort();
        js_heads.sort();
        assert_eq!(server_heads, js_heads, "both hold the same document");

        // A Rust tablet of the same village receives the JavaScript edit.
        let mut rust = app.tablet("helper_a2").await;
        rust.sync().await.unwrap();
        let doc = zoufang_schemas::wire::DocId::parse(id).unwrap();
        let phone = rust.tablet.doc(&doc).unwrap().get(&zoufang_sync::DocPath::parse("household.phone").unwrap()).unwrap();
        assert_eq!(phone, Some(Value::String("13700000007".into())));
        app.teardown().await;
    }

    async fn the_javascript_tablet_receives_its_village_compressed(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let proxy = zoufang_e2e::proxy::Proxy::start(&app.address).await;
        let address = proxy.address.clone();
        let out = tokio::task::spawn_blocking(move || run_demo(&address, "helper_a", "13700000008"))
            .await
            .unwrap();
        assert_eq!(out["first"]["docs_received"], 3, "{out}");
        let codings = proxy.reply_codings();
        assert!(
            codings.iter().any(|c| ["gzip", "br", "zstd", "deflate"].contains(&c.as_str())),
            "the replies came compressed: {codings:?}"
        );
        app.teardown().await;
    }
}
