//! Hostile input, generated: stable-toolchain fuzzing with proptest of every parser that
//! reads what a client sends — the sync request decoder (behind every body coding), the
//! form's field checks, the photo pipeline (sniffing, dimensions, EXIF, decoding) and the
//! import and department-file readers (CSV and XLSX). Each target runs on random bytes and
//! on valid inputs mutated byte by byte; none may panic, and a refusal is an error value.
//! `ZOUFANG_FUZZ_CASES` sets the cases per target (CI runs the default briefly); every crash
//! found becomes a fixture test below.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use proptest::prelude::*;
use zoufang_schemas::wire::DocId;
use zoufang_server::photos::{exif, process};
use zoufang_server::routes::body::{Coding, inflate};
use zoufang_sync::codec::{Limits, decode_request, encode};

fn cases() -> u32 {
    std::env::var("ZOUFANG_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// A byte string, or a valid one with some bytes changed, cut or repeated.
fn mutated(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = valid.len().max(1);
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        (
            proptest::collection::vec((0..len, any::<u8>()), 1..16),
            0..=len
        )
            .prop_map(move |(edits, cut)| {
                let mut bytes = valid.clone();
                for (at, byte) in edits {
                    if let Some(b) = bytes.get_mut(at) {
                        *b = byte;
                    }
                }
                bytes.truncate(cut.max(1));
                bytes
            }),
    ]
}

fn valid_request() -> Vec<u8> {
    let mut server =
        zoufang_sync::memory::MemoryServer::new(zoufang_sync::automerge::ActorId::random());
    let doc = DocId([7; 16]);
    let record = zoufang_schemas::HouseholdRecord::new(
        zoufang_schemas::RegionCode::parse("652822100201").unwrap(),
        zoufang_schemas::HouseholdType::General,
    );
    server.create(doc, &record, 1_800_000_000).unwrap();
    let actor = zoufang_sync::automerge::ActorId::random();
    server.register(
        "t",
        zoufang_schemas::Role::Helper,
        std::slice::from_ref(&actor),
        vec![doc],
    );
    let mut tablet = zoufang_sync::memory::MemoryTablet::new("t", actor);
    tablet.sync(&mut server).unwrap();
    tablet
        .edit(&doc, 1_800_000_001, |e| {
            e.put(
                &zoufang_sync::DocPath::parse("household.phone").unwrap(),
                &"13900000000",
            )
        })
        .unwrap();
    let (request, _) = tablet.request();
    encode(&request)
}

fn valid_photo() -> Vec<u8> {
    zoufang_e2e::images::with_exif(&zoufang_e2e::images::jpeg(48, 32, 3))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_sync_request_decoder_refuses_what_it_cannot_read(bytes in mutated(valid_request())) {
        let _ = decode_request(&bytes, &Limits::default());
    }

    #[test]
    fn every_body_coding_inflates_within_its_limit(bytes in mutated(valid_request()), coding in 0..5u8) {
        let coding = [Coding::Identity, Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd][usize::from(coding)];
        if let Ok(inflated) = inflate(coding, &bytes, 1 << 20) {
            prop_assert!(inflated.len() <= 1 << 20);
            let _ = decode_request(&inflated, &Limits::default());
        }
    }

    #[test]
    fn the_forms_field_checks_take_any_path_and_value(
        keys in proptest::collection::vec("[a-z_.0-9-]{0,24}", 0..5),
        value in prop_oneof![
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number)),
            ".{0,64}".prop_map(serde_json::Value::from),
        ],
    ) {
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let _ = zoufang_schemas::form::form().check_value(&keys, zoufang_schemas::form::Scalar::from_json(&value));
    }

    #[test]
    fn the_photo_pipeline_refuses_what_is_not_a_photo(bytes in mutated(valid_photo())) {
        let _ = exif::read_exif(&bytes);
        if let Ok((format, _)) = process::sniff(&bytes) {
            let _ = process::dimensions(&bytes, format);
        }
        let limits = process::DecodeLimits { max_pixels: 1 << 20, max_alloc: 64 << 20 };
        let _ = process::process(&bytes, &limits);
    }
}

fn import_case(bytes: &[u8], extension: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("f.{extension}"));
    std::fs::write(&path, bytes).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        if let Ok(mut table) = zoufang_server::services::imports::table::open(&path).await {
            for _ in 0..10_000 {
                match table.next().await {
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
        }
    });
}

fn valid_csv() -> Vec<u8> {
    let mut sheet =
        zoufang_e2e::import_files::Sheet::new(zoufang_e2e::import_files::NATIONAL_HEADERS);
    sheet.row(&[
        "N001",
        "652822100201",
        "一般户",
        "13900000001",
        "艾力·买买提",
        "男",
        &zoufang_e2e::import_files::id_number(1980, 1),
        "户主",
        "维吾尔族",
    ]);
    sheet.csv_gb18030()
}

fn valid_xlsx() -> Vec<u8> {
    let mut sheet = zoufang_e2e::import_files::Sheet::new(&["证件号码", "线索类型", "线索描述"]);
    sheet.row(&[
        &zoufang_e2e::import_files::id_number(1980, 1),
        "新患大病",
        "住院",
    ]);
    sheet.xlsx()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 4 + 1, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_csv_reader_refuses_what_it_cannot_read(bytes in mutated(valid_csv())) {
        import_case(&bytes, "csv");
    }

    #[test]
    fn the_xlsx_reader_refuses_what_it_cannot_read(bytes in mutated(valid_xlsx())) {
        import_case(&bytes, "xlsx");
    }
}
