//! The plan's monthly deadlines for risk clues: departments push by the 5th, townships
//! verify by the 20th, the county reports by the 25th (days configurable), and what is
//! overdue on a given day.

use crate::settings::WorkflowSettings;
use crate::store::clues::{DECIDED, REPORTED};
use crate::store::entities::clue;
use chrono::{Datelike, NaiveDate};

/// A month's three deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Deadlines {
    /// Departments push the month's clues by this day.
    pub push: NaiveDate,
    /// Townships verify them by this day.
    pub verify: NaiveDate,
    /// The county reports them by this day.
    pub report: NaiveDate,
}

/// Parses `2026-11`.
pub fn parse_month(month: &str) -> Option<(i32, u32)> {
    let (y, m) = month.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    NaiveDate::from_ymd_opt(y, m, 1).map(|_| (y, m))
}

/// The month of a day, as `2026-11`.
pub fn month_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

fn day_in(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    // A configured day past the month's end means its last day.
    (1..=day.clamp(1, 31))
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
}

/// The deadlines of a month (`2026-11`).
pub fn of_month(month: &str, settings: &WorkflowSettings) -> Option<Deadlines> {
    let (y, m) = parse_month(month)?;
    Some(Deadlines {
        push: day_in(y, m, settings.clue_push_day)?,
        verify: day_in(y, m, settings.clue_verify_day)?,
        report: day_in(y, m, settings.clue_report_day)?,
    })
}

/// Whether a clue is late on `today`: not decided after the verification deadline, or not
/// reported after the report deadline. Returns which deadline it missed.
pub fn overdue(
    clue: &clue::Model,
    deadlines: &Deadlines,
    today: NaiveDate,
) -> Option<&'static str> {
    let decided = clue.status == DECIDED || clue.status == REPORTED;
    if !decided && today > deadlines.verify {
        return Some("VERIFY");
    }
    if clue.status != REPORTED && today > deadlines.report {
        return Some("REPORT");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::clues::{FOUND, PUSHED};

    fn settings() -> WorkflowSettings {
        WorkflowSettings {
            max_file_bytes: 1,
            clue_push_day: 5,
            clue_verify_day: 20,
            clue_report_day: 25,
            flag_scan_secs: 3600,
            elimination_notice_days: 5,
            holidays: Vec::new(),
            workdays: Vec::new(),
            thresholds: crate::settings::ThresholdDefaults {
                income: 6000.0,
                medical_lifted: 5000.0,
                medical_other: 20000.0,
                education: 10000.0,
            },
        }
    }

    fn clue(status: &str) -> clue::Model {
        clue::Model {
            id: 1,
            upload_id: 1,
            department: "HEALTH".into(),
            month: "2026-11".into(),
            doc_id: String::new(),
            member_key: String::new(),
            region_code: "652822100201".into(),
            id_number: String::new(),
            clue_type: "NEW_SERIOUS_ILLNESS".into(),
            reason: String::new(),
            amount: None,
            status: status.into(),
            finding: None,
            suggestion: None,
            found_by: None,
            found_at: None,
            decision: None,
            decision_note: None,
            decided_by: None,
            decided_at: None,
            reported_by: None,
            reported_at: None,
            created_at: 0,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn the_plan_gives_the_5th_the_20th_and_the_25th() {
        let d = of_month("2026-11", &settings()).unwrap();
        assert_eq!((d.push, d.verify, d.report), (day(5), day(20), day(25)));
        let mut late = settings();
        late.clue_report_day = 31;
        assert_eq!(
            of_month("2026-02", &late).unwrap().report,
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        assert_eq!(of_month("2026-13", &settings()), None);
        assert_eq!(of_month("26-11", &settings()), None);
    }

    #[test]
    fn overdue_starts_the_day_after_a_deadline() {
        let d = of_month("2026-11", &settings()).unwrap();
        assert_eq!(
            overdue(&clue(PUSHED), &d, day(20)),
            None,
            "the 20th itself is in time"
        );
        assert_eq!(overdue(&clue(PUSHED), &d, day(21)), Some("VERIFY"));
        assert_eq!(overdue(&clue(FOUND), &d, day(21)), Some("VERIFY"));
        assert_eq!(overdue(&clue(DECIDED), &d, day(21)), None);
        assert_eq!(overdue(&clue(DECIDED), &d, day(25)), None);
        assert_eq!(overdue(&clue(DECIDED), &d, day(26)), Some("REPORT"));
        assert_eq!(overdue(&clue(REPORTED), &d, day(30)), None);
    }
}
