//! Assistance plans as pure rules: which plan a household gets (a 脱贫户 an annual
//! consolidation plan, a 三类户 its 一户一册 plan), when a plan counts as drawn up, when the
//! quarter's implementation check is due, and the tasks that ask the village for them.

use chrono::NaiveDate;
use zoufang_schemas::{Quarter, Task, TaskKind};

/// A 脱贫户's annual consolidation plan (巩固计划).
pub const CONSOLIDATION: &str = "CONSOLIDATION";
/// A 三类户's plan (一户一册), from its identification.
pub const MONITORING: &str = "MONITORING";
/// Waiting for measures.
pub const OPEN: &str = "OPEN";
/// Measures drawn up for it.
pub const DRAWN: &str = "DRAWN";

/// What the rules read from a household's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing<'a> {
    /// A 脱贫户.
    pub lifted: bool,
    /// A 三类户 not marked eliminated.
    pub monitored: bool,
    /// Active measures.
    pub measures_active: i32,
    /// Active measures not done.
    pub measures_open: i32,
    /// The latest start month of an active measure, `2026-10`.
    pub latest_start: Option<&'a str>,
    /// The quarter every active measure has been checked through (`""`: one never was).
    pub checked_through: Option<&'a str>,
}

/// The plan a household gets this year, if any.
pub fn plan_kind(standing: &Standing<'_>) -> Option<&'static str> {
    if standing.monitored {
        Some(MONITORING)
    } else if standing.lifted {
        Some(CONSOLIDATION)
    } else {
        None
    }
}

/// Whether measures are drawn up for `year`: one is under way, or one starts in the year.
pub fn drawn(standing: &Standing<'_>, year: i32) -> bool {
    standing.measures_open > 0
        || standing
            .latest_start
            .is_some_and(|s| s.starts_with(&format!("{year}-")))
}

/// Whether the household's measures still need this quarter's implementation check.
pub fn check_due(standing: &Standing<'_>, quarter: &Quarter) -> bool {
    standing.measures_active > 0
        && standing
            .checked_through
            .is_none_or(|c| c < quarter.as_str())
}

/// The quarter of a day and its last day.
pub fn quarter_of(day: NaiveDate) -> Option<(Quarter, NaiveDate)> {
    use chrono::Datelike;
    let q = (day.month() - 1) / 3 + 1;
    let quarter = Quarter::parse(&format!("{}Q{q}", day.year())).ok()?;
    let (_, last) = crate::services::natural_ledger::quarter_days(&quarter)?;
    Some((quarter, last))
}

/// The task asking the village to draw up a plan (closed with the same id).
pub fn plan_task(doc: &str, year: i32, kind: &str, due: Option<NaiveDate>) -> Task {
    let title = if kind == MONITORING {
        "制定一户一册帮扶计划".to_owned()
    } else {
        format!("制定{year}年度巩固帮扶计划")
    };
    Task {
        id: format!("plan:{doc}:{year}"),
        kind: TaskKind::PlanMeasures,
        household: Some(doc.to_owned()),
        title,
        detail: Some("与户商定帮扶措施,录入责任部门、起止时间和资金".into()),
        due,
        quarter: None,
        clue: None,
        closed: false,
    }
}

/// The task asking the village for the quarter's implementation check.
pub fn check_task(doc: &str, quarter: &Quarter, due: NaiveDate) -> Task {
    Task {
        id: format!("check:{doc}:{}", quarter.as_str()),
        kind: TaskKind::CheckMeasures,
        household: Some(doc.to_owned()),
        title: format!("{}帮扶措施落实核查", quarter.as_str()),
        detail: Some("逐项核实帮扶措施是否落实(measure check)".into()),
        due: Some(due),
        quarter: Some(quarter.clone()),
        clue: None,
        closed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Quarter {
        Quarter::parse(text).unwrap()
    }

    #[test]
    fn plans_by_household_and_when_they_are_drawn() {
        let lifted = Standing {
            lifted: true,
            ..Standing::default()
        };
        assert_eq!(plan_kind(&lifted), Some(CONSOLIDATION));
        assert_eq!(
            plan_kind(&Standing {
                monitored: true,
                ..lifted
            }),
            Some(MONITORING)
        );
        assert_eq!(plan_kind(&Standing::default()), None, "一般户 get no plan");
        assert!(!drawn(&lifted, 2026));
        assert!(drawn(
            &Standing {
                measures_open: 1,
                ..lifted
            },
            2026
        ));
        assert!(drawn(
            &Standing {
                latest_start: Some("2026-03"),
                ..lifted
            },
            2026
        ));
        assert!(
            !drawn(
                &Standing {
                    latest_start: Some("2025-11"),
                    ..lifted
                },
                2026
            ),
            "last year's done measures"
        );
    }

    #[test]
    fn the_check_is_due_until_every_measure_is_checked_this_quarter() {
        let with = |checked| Standing {
            measures_active: 2,
            checked_through: checked,
            ..Standing::default()
        };
        assert!(
            check_due(&with(Some("")), &q("2026Q4")),
            "one never checked"
        );
        assert!(check_due(&with(Some("2026Q3")), &q("2026Q4")));
        assert!(!check_due(&with(Some("2026Q4")), &q("2026Q4")));
        assert!(
            !check_due(&Standing::default(), &q("2026Q4")),
            "no measures, nothing to check"
        );
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(
            quarter_of(day),
            Some((q("2026Q4"), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()))
        );
    }
}
