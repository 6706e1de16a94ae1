//! Console pages: one module per capability, each a handful of handlers that check the
//! session, call the services the API calls, and render one template.

pub mod accounts;
pub mod auth;
pub mod clues;
pub mod conflicts;
pub mod county;
pub mod elimination;
pub mod households;
pub mod identification;
pub mod imports;
pub mod measures;
pub mod natural_changes;
pub mod plans;
pub mod reports;
pub mod reviews;

use crate::console::session::ConsoleUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::reviews as review_store;

/// A round given in a query, or the latest round with visits in the user's scope, or the
/// current quarter.
pub async fn round_or_latest(
    state: &AppState,
    who: &ConsoleUser,
    given: Option<&str>,
) -> Result<String, ApiError> {
    if let Some(round) = given.map(str::trim).filter(|r| !r.is_empty()) {
        return Ok(crate::services::review::parse_round(round)?
            .as_str()
            .to_owned());
    }
    if let Some(latest) = review_store::latest_round(&state.db, who.user.scope.as_str()).await? {
        return Ok(latest);
    }
    Ok(current_quarter(crate::store::now()))
}

/// The quarter of a Unix time (UTC).
pub fn current_quarter(unix: i64) -> String {
    use chrono::Datelike;
    let date = chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default();
    format!("{}Q{}", date.year(), date.month0() / 3 + 1)
}

/// A Unix time as people read it (UTC+8, Xinjiang offices keep Beijing time).
pub fn local_time(unix: i64) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600);
    match (chrono::DateTime::from_timestamp(unix, 0), offset) {
        (Some(t), Some(offset)) => t
            .with_timezone(&offset)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_times_read_as_expected() {
        assert_eq!(current_quarter(0), "1970Q1");
        // 2022-07-01T00:00:00Z
        assert_eq!(current_quarter(1_656_633_600), "2022Q3");
        // 2022-06-30T23:59:59Z
        assert_eq!(current_quarter(1_656_633_599), "2022Q2");
        assert_eq!(local_time(1_656_633_600), "2022-07-01 08:00");
    }
}
