//! The server's periodic passes over the households: identification flags against this
//! year's thresholds, then plans and the quarter's implementation checks, every
//! `workflow.flag_scan_secs`. Of several nodes on one database one does them: the node
//! holding the passes' lease, kept from pass to pass and taken over by another node only
//! when its holder has stopped for longer than two intervals.

use crate::state::AppState;

/// The lease the periodic passes are done under.
pub const LEASE: &str = "periodic-passes";

/// Runs the passes now and then, for the whole database, while this node holds the lease.
pub fn spawn(state: AppState) {
    let every = std::time::Duration::from_secs(state.settings.workflow.flag_scan_secs.max(60));
    let node = uuid::Uuid::new_v4().to_string();
    let ttl = i64::try_from(every.as_secs() * 2).unwrap_or(i64::MAX / 4);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            match crate::store::leases::try_hold(&state.db, LEASE, &node, crate::store::now(), ttl)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    tracing::debug!("periodic passes: another node holds them");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "periodic passes: lease not read");
                    continue;
                }
            }
            let today = match crate::services::clues::day(None) {
                Ok(day) => day,
                Err(e) => {
                    tracing::warn!(error = %e, "periodic passes: no day");
                    continue;
                }
            };
            use chrono::Datelike;
            match crate::services::identification::scan::run(&state, "", today.year()).await {
                Ok(o) if o.opened + o.cleared > 0 => tracing::info!(
                    households = o.households,
                    flagged = o.flagged,
                    opened = o.opened,
                    cleared = o.cleared,
                    "households judged against their thresholds"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "identification pass failed"),
            }
            match crate::services::plans::pass::run(&state, "", today).await {
                Ok(o) if o.plans_opened + o.plans_drawn > 0 => tracing::info!(
                    households = o.households,
                    opened = o.plans_opened,
                    drawn = o.plans_drawn,
                    checks_due = o.checks_due,
                    "plans and implementation checks brought up to date"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "plan pass failed"),
            }
        }
    });
}
