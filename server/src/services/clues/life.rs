//! The life of a risk clue as pure transitions: pushed by a department → found at the door
//! by a helper → decided by the township (纳入 / 不符合 / 已帮扶) → reported by the county.
//! Each step names the roles that may take it and the state it needs; the I/O around it
//! lives in [`super::steps`].

use crate::store::clues::{DECIDED, FOUND, PUSHED, REPORTED};
use zoufang_schemas::{Role, VerifyStatus};

/// A step on a clue.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// What the helper found at the door, with an optional suggestion.
    Find {
        /// What was found.
        finding: String,
        /// The helper's suggestion.
        suggestion: Option<VerifyStatus>,
    },
    /// The township's decision.
    Decide {
        /// 纳入, 不符合 or 已帮扶.
        decision: VerifyStatus,
        /// Why.
        note: Option<String>,
    },
    /// The county reports the decided clue.
    Report,
}

/// Why a step is refused: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Whether the caller's role is at fault (403) rather than the clue's state (409).
    pub role: bool,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
        role: false,
    }
}

impl Step {
    /// The roles that take the step.
    pub fn roles(&self) -> &'static [Role] {
        match self {
            Step::Find { .. } => &[Role::Helper, Role::TownshipSupervisor],
            Step::Decide { .. } => &[Role::TownshipSupervisor],
            Step::Report => &[Role::CountyOfficer],
        }
    }

    /// The audit action.
    pub fn action(&self) -> &'static str {
        match self {
            Step::Find { .. } => "clue.find",
            Step::Decide { .. } => "clue.decide",
            Step::Report => "clue.report",
        }
    }
}

/// The state after `step` taken by `role` on a clue in `state`.
pub fn next(state: &str, step: &Step, role: Role) -> Result<&'static str, Refusal> {
    if !step.roles().contains(&role) {
        return Err(Refusal {
            code: "role-not-allowed",
            message: format!("a {role} may not take this step on a clue"),
            role: true,
        });
    }
    match step {
        Step::Find { finding, .. } => {
            if finding.trim().is_empty() {
                return Err(refuse("finding-missing", "say what was found at the door"));
            }
            match state {
                PUSHED | FOUND => Ok(FOUND),
                _ => Err(refuse(
                    "clue-already-decided",
                    "the township has decided this clue",
                )),
            }
        }
        Step::Decide { decision, .. } => {
            if *decision == VerifyStatus::Pending {
                return Err(refuse(
                    "decision-invalid",
                    "decide INCLUDED, NOT_ELIGIBLE or ALREADY_COVERED",
                ));
            }
            match state {
                FOUND => Ok(DECIDED),
                PUSHED => Err(refuse(
                    "clue-not-checked",
                    "the clue has not been checked at the door yet",
                )),
                _ => Err(refuse(
                    "clue-already-decided",
                    "the township has decided this clue",
                )),
            }
        }
        Step::Report => match state {
            DECIDED => Ok(REPORTED),
            REPORTED => Err(refuse("clue-already-reported", "the clue was reported")),
            _ => Err(refuse(
                "clue-not-decided",
                "the township has not decided this clue",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find() -> Step {
        Step::Find {
            finding: "住院自付 2 万元, 收入下降".into(),
            suggestion: Some(VerifyStatus::Included),
        }
    }

    fn decide(decision: VerifyStatus) -> Step {
        Step::Decide {
            decision,
            note: None,
        }
    }

    #[test]
    fn a_clue_goes_from_the_door_to_the_township_to_the_county() {
        assert_eq!(next(PUSHED, &find(), Role::Helper), Ok(FOUND));
        assert_eq!(
            next(FOUND, &find(), Role::Helper),
            Ok(FOUND),
            "a finding can be corrected"
        );
        assert_eq!(
            next(
                FOUND,
                &decide(VerifyStatus::Included),
                Role::TownshipSupervisor
            ),
            Ok(DECIDED)
        );
        assert_eq!(
            next(DECIDED, &Step::Report, Role::CountyOfficer),
            Ok(REPORTED)
        );
    }

    #[test]
    fn steps_out_of_role_or_order_are_refused_with_codes() {
        let code = |r: Result<&str, Refusal>| r.map_err(|e| e.code).err();
        assert_eq!(
            code(next(FOUND, &decide(VerifyStatus::Included), Role::Helper)),
            Some("role-not-allowed")
        );
        assert_eq!(
            code(next(PUSHED, &find(), Role::Department)),
            Some("role-not-allowed")
        );
        assert_eq!(
            code(next(DECIDED, &Step::Report, Role::TownshipSupervisor)),
            Some("role-not-allowed")
        );
        assert_eq!(
            code(next(
                PUSHED,
                &decide(VerifyStatus::NotEligible),
                Role::TownshipSupervisor
            )),
            Some("clue-not-checked")
        );
        assert_eq!(
            code(next(
                FOUND,
                &decide(VerifyStatus::Pending),
                Role::TownshipSupervisor
            )),
            Some("decision-invalid")
        );
        assert_eq!(
            code(next(DECIDED, &find(), Role::Helper)),
            Some("clue-already-decided")
        );
        assert_eq!(
            code(next(
                DECIDED,
                &decide(VerifyStatus::AlreadyCovered),
                Role::TownshipSupervisor
            )),
            Some("clue-already-decided")
        );
        assert_eq!(
            code(next(FOUND, &Step::Report, Role::CountyOfficer)),
            Some("clue-not-decided")
        );
        assert_eq!(
            code(next(REPORTED, &Step::Report, Role::CountyOfficer)),
            Some("clue-already-reported")
        );
        let blank = Step::Find {
            finding: "  ".into(),
            suggestion: None,
        };
        assert_eq!(
            code(next(PUSHED, &blank, Role::Helper)),
            Some("finding-missing")
        );
    }
}
