//! The server's periodic passes over the households: identification flags against this
//! year's thresholds, then plans and the quarter's implementation checks, every
//! `workflow.flag_scan_secs`.

use crate::state::AppState;

/// Runs the passes now and then, for the whole database.
pub fn spawn(state: AppState) {
    let every = std::time::Duration::from_secs(state.settings.workflow.flag_scan_secs.max(60));
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
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
