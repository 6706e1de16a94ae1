//! When a quarterly report is due: within the plan's five working days after the quarter,
//! on a calendar of weekdays, less the configured holidays, plus the configured make-up
//! working days (调休).

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Working days the plan gives after a quarter.
pub const WORKING_DAYS: u32 = 5;

/// The working-day calendar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calendar {
    /// Days off that fall on weekdays (national holidays).
    pub holidays: Vec<NaiveDate>,
    /// Weekend days worked instead.
    pub workdays: Vec<NaiveDate>,
}

impl Calendar {
    /// From the settings' `YYYY-MM-DD` lists (unreadable days are ignored and logged).
    pub fn from_settings(holidays: &[String], workdays: &[String]) -> Self {
        let days = |list: &[String]| {
            list.iter()
                .filter_map(|d| {
                    NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                        .inspect_err(|_| tracing::warn!(day = %d, "calendar day unreadable"))
                        .ok()
                })
                .collect()
        };
        Self {
            holidays: days(holidays),
            workdays: days(workdays),
        }
    }

    /// Whether `day` is a working day.
    pub fn works(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The `n`th working day after `day`.
    pub fn working_days_after(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut current = day;
        let mut counted = 0;
        while counted < n {
            current = current + Days::new(1);
            if self.works(current) {
                counted += 1;
            }
        }
        current
    }

    /// The day a quarter's report is due: the fifth working day after its last day.
    pub fn due(&self, quarter_end: NaiveDate) -> NaiveDate {
        self.working_days_after(quarter_end, WORKING_DAYS)
    }
}

/// The due date of `round`'s reports on the configured calendar.
pub fn due_of(state: &crate::state::AppState, round: &zoufang_schemas::Quarter) -> NaiveDate {
    let settings = &state.settings.workflow;
    let end = crate::services::natural_ledger::quarter_days(round)
        .map_or(NaiveDate::MIN, |(_, last)| last);
    Calendar::from_settings(&settings.holidays, &settings.workdays).due(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn five_working_days_skip_weekends_and_holidays_and_count_make_up_days() {
        let plain = Calendar::default();
        // 2026-12-31 is a Thursday: Fri 1, Mon 4, Tue 5, Wed 6, Thu 7.
        assert_eq!(plain.due(d(2026, 12, 31)), d(2027, 1, 7));
        let new_year = Calendar {
            holidays: vec![d(2027, 1, 1)],
            workdays: vec![],
        };
        assert_eq!(new_year.due(d(2026, 12, 31)), d(2027, 1, 8));
        // 2026-09-30 is a Wednesday; National Day week off, Sunday 10-11 worked.
        let golden_week = Calendar {
            holidays: (1..=7).map(|day| d(2026, 10, day)).collect(),
            workdays: vec![d(2026, 10, 11)],
        };
        assert_eq!(golden_week.due(d(2026, 9, 30)), d(2026, 10, 13));
        let read = Calendar::from_settings(&["2027-01-01".into(), "nonsense".into()], &[]);
        assert_eq!(read, new_year);
    }
}
