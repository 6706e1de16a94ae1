#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
//! Malformed and oversized messages fail cleanly with a typed error: a corpus of fixtures
//! (every payload that ever broke a peer belongs here) plus random mutations.

use automerge::ActorId;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use zoufang_schemas::sample::{SampleRng, household};
use zoufang_schemas::wire::{self, DocId};
use zoufang_schemas::{RegionCode, Role};
use zoufang_sync::DocPath;
use zoufang_sync::codec::{Limits, ProtocolError, decode_reply, decode_request, encode};
use zoufang_sync::memory::{MemoryServer, MemoryTablet};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/malformed")
}

/// A valid request with one updated document, and its server.
fn valid_request() -> (MemoryServer, Vec<u8>) {
    let mut server = MemoryServer::new(ActorId::from([0u8; 16]));
    let id = DocId([3; 16]);
    let village = RegionCode::parse("652822100201").unwrap();
    server
        .create(id, &household(&mut SampleRng::new(2), &village), 1)
        .unwrap();
    server.register("t", Role::Helper, &[ActorId::from([1u8; 16])], [id]);
    let mut tablet = MemoryTablet::new("t", ActorId::from([1u8; 16]));
    tablet.sync(&mut server).unwrap();
    tablet
        .edit(&id, 2, |e| {
            e.put(&DocPath::parse("household.phone").unwrap(), &"13800000000")
        })
        .unwrap();
    let (request, _) = tablet.request();
    (server, encode(&request))
}

fn cbor(value: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).unwrap();
    out
}

/// The corpus: name → bytes. Written to the fixtures folder with ZOUFANG_WRITE_FIXTURES=1.
fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    use ciborium::Value as V;
    let (_, valid) = valid_request();
    let request: wire::SyncRequest = ciborium::from_reader(valid.as_slice()).unwrap();
    let mut wrong_version = request.clone();
    wrong_version.v = 99;
    let mut garbage_change = request.clone();
    garbage_change.updates[0].changes = vec![serde_bytes::ByteBuf::from(
        b"not an automerge change".to_vec(),
    )];
    let mut truncated_change = request.clone();
    let change = truncated_change.updates[0].changes[0].to_vec();
    truncated_change.updates[0].changes = vec![serde_bytes::ByteBuf::from(
        change[..change.len() / 2].to_vec(),
    )];
    let mut duplicate = request.clone();
    duplicate.updates.push(duplicate.updates[0].clone());
    // Map {"v": 2, "digest": bytes(2^62 claimed)}: a length far beyond the input.
    let mut huge_bytes = cbor(&V::Map(vec![(
        V::Text("v".into()),
        V::Integer(wire::PROTOCOL_VERSION.into()),
    )]));
    huge_bytes[0] = 0xa2;
    huge_bytes.extend_from_slice(&[
        0x66, b'd', b'i', b'g', b'e', b's', b't', 0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0,
    ]);
    // Map {"v": 2, "updates": array(2^60 claimed)}.
    let mut huge_array = cbor(&V::Map(vec![(
        V::Text("v".into()),
        V::Integer(wire::PROTOCOL_VERSION.into()),
    )]));
    huge_array[0] = 0xa2;
    huge_array.extend_from_slice(&[
        0x67, b'u', b'p', b'd', b'a', b't', b'e', b's', 0x9b, 0x10, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let deep = [vec![0x81u8; 100_000], vec![0x01]].concat();
    let wrong_types = cbor(&V::Map(vec![(V::Text("v".into()), V::Text("one".into()))]));
    vec![
        ("empty", Vec::new()),
        ("not-cbor", b"hello, server".to_vec()),
        ("truncated-request", valid[..valid.len() / 2].to_vec()),
        ("wrong-version", encode(&wrong_version)),
        ("garbage-change-bytes", encode(&garbage_change)),
        ("truncated-change", encode(&truncated_change)),
        ("duplicate-document", encode(&duplicate)),
        ("huge-byte-string-length", huge_bytes),
        ("huge-array-length", huge_array),
        ("deep-nesting", deep),
        ("wrong-field-types", wrong_types),
    ]
}

fn expected_request_code(name: &str) -> &'static str {
    match name {
        "wrong-version" => "protocol-version-unsupported",
        "garbage-change-bytes" | "truncated-change" => "change-invalid",
        "duplicate-document" => "document-repeated",
        _ => "message-malformed",
    }
}

#[test]
fn the_committed_corpus_is_current() {
    let dir = fixtures();
    for (name, bytes) in corpus() {
        let file = dir.join(format!("{name}.cbor"));
        if std::env::var_os("ZOUFANG_WRITE_FIXTURES").is_some() {
            std::fs::write(&file, &bytes).unwrap();
        }
        let committed =
            std::fs::read(&file).unwrap_or_else(|_| panic!("{} missing", file.display()));
        // Change bytes carry no clock here (fixed actors and times), so the corpus is stable.
        assert_eq!(
            committed, bytes,
            "{name} differs: regenerate with ZOUFANG_WRITE_FIXTURES=1"
        );
    }
}

#[test]
fn every_fixture_fails_cleanly_with_a_typed_error() {
    let mut seen = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let err = decode_request(&bytes, &Limits::default()).expect_err(&name);
        assert_eq!(err.code(), expected_request_code(&name), "{name}: {err}");
        assert!(
            decode_reply(&bytes, &Limits::default()).is_err(),
            "{name} as a reply"
        );
        let (mut server, _) = valid_request();
        assert!(
            server.handle("t", &bytes).is_err(),
            "{name} through the server"
        );
        seen += 1;
    }
    assert!(seen >= 11, "the corpus has {seen} files");
}

/// Requests that decode but once crashed automerge while applying: the server refuses the
/// update with `change-invalid` and keeps its copy.
#[test]
fn crashers_are_refused_and_leave_the_server_copy_untouched() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crashers");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let (mut server, _) = valid_request();
        let id = DocId([3; 16]);
        let before = server.doc(&id).unwrap().heads();
        let reply = decode_reply(&server.handle("t", &bytes).unwrap(), &Limits::default()).unwrap();
        assert_eq!(reply.refused[0].code, "change-invalid");
        assert!(reply.refused[0].server_copy.is_some());
        assert_eq!(server.doc(&id).unwrap().heads(), before);
        seen += 1;
    }
    assert!(seen >= 1);
}

#[test]
fn an_oversized_message_is_refused_before_decoding() {
    let (_, valid) = valid_request();
    let limits = Limits {
        max_message_bytes: valid.len() - 1,
        ..Limits::default()
    };
    let err = decode_request(&valid, &limits).unwrap_err();
    assert_eq!(
        err,
        ProtocolError::TooLarge {
            size: valid.len(),
            limit: valid.len() - 1
        }
    );
    assert_eq!(err.code(), "message-too-large");
    let limits = Limits {
        max_changes_per_document: 0,
        ..Limits::default()
    };
    assert_eq!(
        decode_request(&valid, &limits).unwrap_err().code(),
        "message-limit-exceeded"
    );
}

#[test]
fn the_valid_request_decodes() {
    let (mut server, valid) = valid_request();
    let decoded = decode_request(&valid, &Limits::default()).unwrap();
    assert_eq!(decoded.changes.len(), 1);
    assert!(server.handle("t", &valid).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_requests_never_panic(flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>()) {
        let (mut server, mut bytes) = valid_request();
        for (at, byte) in flips {
            let len = bytes.len();
            bytes[at % len] = byte;
        }
        bytes.truncate(cut % (bytes.len() + 1) + 1);
        let _ = decode_request(&bytes, &Limits::default());
        let _ = decode_reply(&bytes, &Limits::default());
        let _ = server.handle("t", &bytes);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(decoded) = decode_request(&bytes, &Limits::default()) {
            // Whatever decodes is a well-formed request that survives a round trip.
            let again = decode_request(&encode(&decoded.request), &Limits::default()).unwrap();
            prop_assert_eq!(again.request, decoded.request);
        }
        let _ = decode_reply(&bytes, &Limits::default());
    }
}

#[test]
fn a_large_request_reports_its_first_bad_change_in_request_order() {
    // Enough changes to be parsed on several threads; two bad changes, in different
    // halves: the one earlier in the request is reported, every time.
    let (_, valid) = valid_request();
    let request: wire::SyncRequest = ciborium::from_reader(valid.as_slice()).unwrap();
    let template = request.updates[0].clone();
    let mut large = request.clone();
    large.updates = (0..400u16)
        .map(|n| {
            let mut update = template.clone();
            let mut id = [0u8; 16];
            id[..2].copy_from_slice(&n.to_be_bytes());
            update.doc = DocId(id);
            update.changes = vec![template.changes[0].clone(); 3];
            update
        })
        .collect();
    let good = decode_request(&encode(&large), &Limits::default()).unwrap();
    assert_eq!(good.changes.len(), 400);
    assert!(good.changes.iter().all(|(_, c)| c.len() == 3));
    let garbage = serde_bytes::ByteBuf::from(b"not a change".to_vec());
    large.updates[150].changes[2] = garbage.clone();
    large.updates[350].changes[0] = garbage;
    let first_bad = large.updates[150].doc;
    for _ in 0..5 {
        match decode_request(&encode(&large), &Limits::default()) {
            Err(ProtocolError::BadChange { doc, index, .. }) => {
                assert_eq!((doc, index), (first_bad, 2));
            }
            other => panic!("expected a bad change, got {other:?}"),
        }
    }
}
