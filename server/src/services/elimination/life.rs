//! The life of a risk elimination case as pure transitions: 提名公示 (nominated by the
//! village, with a public notice of at least five days) → 核查核准 (verified by the
//! township once the notice has run) → 核实确认 (confirmed by the county) → 公告标注
//! (announced and marked by the county: the household is marked 风险消除). A case may be
//! withdrawn before it is marked, and rolled back after (the household returns to
//! monitoring). A household without labour force is never marked, and an ASSISTED
//! elimination needs a measure carried out. The I/O lives in [`super::cases`].

use chrono::NaiveDate;
use zoufang_schemas::{EliminationMode, HouseholdRecord, MeasureStatus, Role};

/// Nominated, its public notice running or run.
pub const NOMINATED: &str = "NOMINATED";
/// Verified by the township.
pub const VERIFIED: &str = "VERIFIED";
/// Confirmed by the county.
pub const CONFIRMED: &str = "CONFIRMED";
/// Announced and marked: the household is 风险消除.
pub const MARKED: &str = "MARKED";
/// Taken back before marking.
pub const WITHDRAWN: &str = "WITHDRAWN";
/// Marked, then returned to monitoring.
pub const ROLLED_BACK: &str = "ROLLED_BACK";

/// States a case is still on its way in.
pub const OPEN: &[&str] = &[NOMINATED, VERIFIED, CONFIRMED];

/// Roles that nominate.
pub const NOMINATORS: &[Role] = &[Role::Helper, Role::TownshipSupervisor];

/// Shortest public notice the plan allows, in days.
pub const MIN_NOTICE_DAYS: u32 = 5;

/// A step after the nomination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// 核查核准, by the township.
    Verify,
    /// 核实确认, by the county.
    Confirm,
    /// 公告标注, by the county: the household is marked.
    Mark,
    /// Taken back before marking (its nominating helper, the township or the county).
    Withdraw,
    /// A marked household returns to monitoring (the county).
    RollBack,
}

impl Step {
    /// Parses a step as the API names it.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "verify" => Step::Verify,
            "confirm" => Step::Confirm,
            "mark" => Step::Mark,
            "withdraw" => Step::Withdraw,
            "rollback" => Step::RollBack,
            _ => return None,
        })
    }

    /// The step's code in the history.
    pub fn code(self) -> &'static str {
        match self {
            Step::Verify => "VERIFY",
            Step::Confirm => "CONFIRM",
            Step::Mark => "MARK",
            Step::Withdraw => "WITHDRAW",
            Step::RollBack => "ROLL_BACK",
        }
    }

    /// The audit action.
    pub fn action(self) -> &'static str {
        match self {
            Step::Verify => "elimination.verify",
            Step::Confirm => "elimination.confirm",
            Step::Mark => "elimination.mark",
            Step::Withdraw => "elimination.withdraw",
            Step::RollBack => "elimination.roll_back",
        }
    }

    /// The roles that take it.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Step::Verify => &[Role::TownshipSupervisor],
            Step::Confirm | Step::Mark | Step::RollBack => &[Role::CountyOfficer],
            Step::Withdraw => &[Role::Helper, Role::TownshipSupervisor, Role::CountyOfficer],
        }
    }

    fn taken_in(self) -> &'static [&'static str] {
        match self {
            Step::Verify => &[NOMINATED],
            Step::Confirm => &[VERIFIED],
            Step::Mark => &[CONFIRMED],
            Step::Withdraw => OPEN,
            Step::RollBack => &[MARKED],
        }
    }

    fn to_state(self) -> &'static str {
        match self {
            Step::Verify => VERIFIED,
            Step::Confirm => CONFIRMED,
            Step::Mark => MARKED,
            Step::Withdraw => WITHDRAWN,
            Step::RollBack => ROLLED_BACK,
        }
    }
}

pub use crate::services::refusal::Refusal;
use crate::services::refusal::refuse;

/// What the rules read from the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Household {
    /// Monitored (a category) and not marked eliminated.
    pub monitored: bool,
    /// Without labour force: the household flag, or no member counted as labour.
    pub no_labour: bool,
    /// At least one measure carried out (`DONE`).
    pub measure_done: bool,
}

impl Household {
    /// What the rules read from a record.
    pub fn of(record: &HouseholdRecord) -> Self {
        let monitored = record.household.monitor_category.is_some()
            && record.monitoring.risk_eliminated != Some(true);
        let no_labour = record.household.no_labour == Some(true)
            || !record.active_members().any(|(_, m)| m.has_labour());
        let measure_done = record
            .measures
            .values()
            .any(|m| m.is_active() && m.progress == MeasureStatus::Done);
        Self {
            monitored,
            no_labour,
            measure_done,
        }
    }
}

/// Whether the household may be marked eliminated in `mode` (checked at nomination and
/// again at marking).
pub fn check_household(household: Household, mode: EliminationMode) -> Result<(), Refusal> {
    if household.no_labour {
        return Err(refuse(
            409,
            "no-labour-force",
            "a household without labour force is not marked 风险消除: it stays monitored",
        ));
    }
    if mode == EliminationMode::Assisted && !household.measure_done {
        return Err(refuse(
            409,
            "measure-missing",
            "an ASSISTED elimination needs at least one measure carried out",
        ));
    }
    Ok(())
}

/// Checks a nomination by `role` of a household with no open case.
pub fn check_nomination(
    role: Role,
    household: Household,
    mode: EliminationMode,
) -> Result<(), Refusal> {
    if !NOMINATORS.contains(&role) {
        return Err(refuse(
            403,
            "role-not-allowed",
            format!("a {role} does not nominate"),
        ));
    }
    if !household.monitored {
        return Err(refuse(
            409,
            "household-not-monitored",
            "only a monitored household, not yet marked, is nominated",
        ));
    }
    check_household(household, mode)
}

/// The last day of the public notice of a nomination on `nominated_on`: the notice runs
/// the `days` days after it (at least five); the next step is allowed the day after.
pub fn notice_ends(nominated_on: NaiveDate, days: u32) -> NaiveDate {
    nominated_on + chrono::Days::new(u64::from(days.max(MIN_NOTICE_DAYS)))
}

/// What a step needs to know about its case.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    /// The case's state.
    pub status: &'a str,
    /// Its mode.
    pub mode: EliminationMode,
    /// The notice's last day.
    pub notice_ends: NaiveDate,
    /// The caller nominated it.
    pub own: bool,
}

/// Where `step` by `role` on `today` takes `case` of `household`.
pub fn next(
    case: Case<'_>,
    step: Step,
    role: Role,
    today: NaiveDate,
    household: Household,
) -> Result<&'static str, Refusal> {
    if !step.roles().contains(&role)
        || (step == Step::Withdraw && role == Role::Helper && !case.own)
    {
        return Err(refuse(
            403,
            "role-not-allowed",
            format!("a {role} may not {}", step.code()),
        ));
    }
    if !step.taken_in().contains(&case.status) {
        return Err(refuse(
            409,
            "case-out-of-order",
            format!(
                "the case is {}; {} is not its next step",
                case.status,
                step.code()
            ),
        ));
    }
    if step == Step::Verify && today <= case.notice_ends {
        return Err(refuse(
            409,
            "notice-period-running",
            format!("the public notice runs until {}", case.notice_ends),
        ));
    }
    if step == Step::Mark {
        check_household(household, case.mode)?;
    }
    Ok(step.to_state())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    const FIT: Household = Household {
        monitored: true,
        no_labour: false,
        measure_done: true,
    };

    fn case(status: &str) -> Case<'_> {
        Case {
            status,
            mode: EliminationMode::Assisted,
            notice_ends: notice_ends(day(1), 5),
            own: false,
        }
    }

    #[test]
    fn the_notice_runs_five_days_at_least_and_verification_waits_for_it() {
        assert_eq!(notice_ends(day(1), 5), day(6));
        assert_eq!(
            notice_ends(day(1), 2),
            day(6),
            "never shorter than five days"
        );
        assert_eq!(notice_ends(day(1), 7), day(8));
        let on = |d| {
            next(
                case(NOMINATED),
                Step::Verify,
                Role::TownshipSupervisor,
                day(d),
                FIT,
            )
        };
        assert_eq!(on(6).unwrap_err().code, "notice-period-running");
        assert_eq!(on(7), Ok(VERIFIED));
    }

    #[test]
    fn four_steps_in_order_each_by_its_role() {
        let t = day(20);
        assert_eq!(
            next(case(VERIFIED), Step::Confirm, Role::CountyOfficer, t, FIT),
            Ok(CONFIRMED)
        );
        assert_eq!(
            next(case(CONFIRMED), Step::Mark, Role::CountyOfficer, t, FIT),
            Ok(MARKED)
        );
        assert_eq!(
            next(case(MARKED), Step::RollBack, Role::CountyOfficer, t, FIT),
            Ok(ROLLED_BACK)
        );
        for (status, step) in [
            (NOMINATED, Step::Confirm),
            (VERIFIED, Step::Mark),
            (NOMINATED, Step::Mark),
            (CONFIRMED, Step::Verify),
            (NOMINATED, Step::RollBack),
            (MARKED, Step::Withdraw),
            (WITHDRAWN, Step::Verify),
        ] {
            let role = *step.roles().last().unwrap();
            assert_eq!(
                next(case(status), step, role, t, FIT).unwrap_err().code,
                "case-out-of-order",
                "{status} {step:?}"
            );
        }
        for (status, step, role) in [
            (NOMINATED, Step::Verify, Role::Helper),
            (NOMINATED, Step::Verify, Role::CountyOfficer),
            (VERIFIED, Step::Confirm, Role::TownshipSupervisor),
            (CONFIRMED, Step::Mark, Role::PrefectureOfficer),
            (MARKED, Step::RollBack, Role::TownshipSupervisor),
        ] {
            let refusal = next(case(status), step, role, t, FIT).unwrap_err();
            assert_eq!(
                (refusal.code, refusal.status),
                ("role-not-allowed", 403),
                "{step:?} by {role}"
            );
        }
    }

    #[test]
    fn no_labour_force_is_never_marked_and_assisted_needs_a_measure_done() {
        let t = day(20);
        let idle = Household {
            no_labour: true,
            ..FIT
        };
        assert_eq!(
            next(case(CONFIRMED), Step::Mark, Role::CountyOfficer, t, idle)
                .unwrap_err()
                .code,
            "no-labour-force"
        );
        assert_eq!(
            check_nomination(Role::Helper, idle, EliminationMode::Natural)
                .unwrap_err()
                .code,
            "no-labour-force"
        );
        let no_measure = Household {
            measure_done: false,
            ..FIT
        };
        assert_eq!(
            check_nomination(Role::Helper, no_measure, EliminationMode::Assisted)
                .unwrap_err()
                .code,
            "measure-missing"
        );
        assert_eq!(
            check_nomination(Role::Helper, no_measure, EliminationMode::Natural),
            Ok(())
        );
        let natural = Case {
            mode: EliminationMode::Natural,
            ..case(CONFIRMED)
        };
        assert_eq!(
            next(natural, Step::Mark, Role::CountyOfficer, t, no_measure),
            Ok(MARKED)
        );
        let unmonitored = Household {
            monitored: false,
            ..FIT
        };
        assert_eq!(
            check_nomination(
                Role::TownshipSupervisor,
                unmonitored,
                EliminationMode::Natural
            )
            .unwrap_err()
            .code,
            "household-not-monitored"
        );
        assert_eq!(
            check_nomination(Role::CountyOfficer, FIT, EliminationMode::Natural)
                .unwrap_err()
                .code,
            "role-not-allowed"
        );
    }

    #[test]
    fn a_helper_withdraws_only_their_own_nomination() {
        let t = day(20);
        assert_eq!(
            next(case(NOMINATED), Step::Withdraw, Role::Helper, t, FIT)
                .unwrap_err()
                .code,
            "role-not-allowed"
        );
        let own = Case {
            own: true,
            ..case(NOMINATED)
        };
        assert_eq!(
            next(own, Step::Withdraw, Role::Helper, t, FIT),
            Ok(WITHDRAWN)
        );
        assert_eq!(
            next(case(CONFIRMED), Step::Withdraw, Role::CountyOfficer, t, FIT),
            Ok(WITHDRAWN)
        );
        for text in ["verify", "confirm", "mark", "withdraw", "rollback"] {
            assert!(Step::parse(text).is_some());
        }
        assert_eq!(Step::parse("skip"), None);
    }
}
