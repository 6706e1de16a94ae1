//! The load generator's short version: a dozen tablets log in at once and sync edits and
//! photos against a real server process for a few seconds, with hostile requests mixed
//! in; every honest request succeeds, every hostile one is refused with its code, and
//! nothing acknowledged is lost.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::Path;
use std::time::Duration;
use zoufang_e2e::fleet::{self, FleetConfig};
use zoufang_e2e::on_both_databases;

on_both_databases! {
    async fn a_short_load_run_has_no_errors_refuses_every_hostile_request_and_loses_nothing(backend: Backend) {
        let config = FleetConfig {
            tablets: 12,
            households: 8,
            duration: Duration::from_secs(4),
            photo_every: 3,
            hostile_every: Duration::from_millis(80),
            pause: Duration::ZERO,
        };
        let binary = Path::new(env!("CARGO_BIN_EXE_zoufang-node"));
        let Some(report) = fleet::run(binary, backend, &config).await.unwrap() else { return };
        report.print();
        assert!(report.login.errors.is_empty(), "{:?}", report.login.errors);
        assert_eq!(report.login.attempted, 13, "every tablet and the intruder logged in at once");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert!(report.merges >= 12, "every tablet synced at least once: {}", report.merges);
        assert!(report.photos >= 1, "photos were uploaded and referenced");
        assert!(report.hostile.unexpected.is_empty(), "{:?}", report.hostile.unexpected);
        assert!(report.hostile.sent.len() >= 5, "the hostile kinds were tried: {:?}", report.hostile.sent);
        assert_eq!(report.hostile.refused, report.hostile.sent.values().sum::<usize>());
        assert!(report.first_download.1 < report.first_download.2, "the first download arrived compressed");
        assert_eq!(report.lost, 0, "every acknowledged change is stored");
        assert!(report.audit_intact, "the audit chain verifies");
    }
}
