//! The review of one household's visit in one round, as a pure state machine:
//! `(state, action, reviewer, facts) → (state, effects)` or a refusal with a stable code.
//! Services load the facts, call [`transition`], and carry out the effects.
//!
//! ```text
//!   submitted ──village review──▶ village reviewed ──township verify──▶ township verified
//!       ▲                               │                                   │
//!       │ resubmitted                   │ return (reason)        county accept│
//!   returned ◀──────────────────────────┴───────────────────────────────────┤
//!                                                                           ▼
//!                                                                    county accepted
//! ```

use zoufang_schemas::Role;

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// A visit of the round was recorded.
    Submitted,
    /// The village checked it.
    VillageReviewed,
    /// The township verified it: the record is pinned.
    TownshipVerified,
    /// The county accepted the verified record.
    CountyAccepted,
    /// Sent back to the village with a reason.
    Returned,
}

impl State {
    /// Every state.
    pub const ALL: [State; 5] = [
        State::Submitted,
        State::VillageReviewed,
        State::TownshipVerified,
        State::CountyAccepted,
        State::Returned,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            State::Submitted => "SUBMITTED",
            State::VillageReviewed => "VILLAGE_REVIEWED",
            State::TownshipVerified => "TOWNSHIP_VERIFIED",
            State::CountyAccepted => "COUNTY_ACCEPTED",
            State::Returned => "RETURNED",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            State::Submitted => "已提交",
            State::VillageReviewed => "村级已审核",
            State::TownshipVerified => "乡镇已核实",
            State::CountyAccepted => "县级已确认",
            State::Returned => "已退回",
        }
    }

    /// The state with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Verified data: the record is pinned.
    pub fn is_verified(self) -> bool {
        matches!(self, State::TownshipVerified | State::CountyAccepted)
    }
}

/// What a reviewer (or the household's tablets) does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The village checked the visit.
    VillageReview,
    /// The township verifies: the record as it stands is pinned.
    TownshipVerify,
    /// The county accepts the verified record.
    CountyAccept,
    /// Sent back to the village, with the reason the helpers see.
    Return {
        /// Why.
        reason: String,
    },
    /// The helpers recorded a new visit of the round after a return.
    Resubmit,
}

impl Action {
    /// The states this step starts from.
    pub fn starts_from(&self) -> &'static [State] {
        match self {
            Action::VillageReview => &[State::Submitted],
            Action::TownshipVerify => &[State::VillageReviewed],
            Action::CountyAccept => &[State::TownshipVerified],
            Action::Return { .. } => &[
                State::Submitted,
                State::VillageReviewed,
                State::TownshipVerified,
            ],
            Action::Resubmit => &[State::Returned],
        }
    }

    /// Stable code, as recorded in the review's history.
    pub fn code(&self) -> &'static str {
        match self {
            Action::VillageReview => "village-review",
            Action::TownshipVerify => "township-verify",
            Action::CountyAccept => "county-accept",
            Action::Return { .. } => "return",
            Action::Resubmit => "resubmit",
        }
    }
}

/// What the household's record says, as far as a transition cares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// Open same-field conflicts of the household.
    pub open_conflicts: usize,
    /// Validation errors of the record.
    pub errors: usize,
    /// Doubtful-data warnings nobody acknowledged for this round.
    pub unacknowledged_warnings: usize,
    /// The record changed after it was verified.
    pub changed_since_verification: bool,
}

/// What carrying out a transition involves besides the new state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Pin the record as it stands (heads and the record at them).
    PinRecord,
    /// Give the village's tablets a task: redo the visit, for this reason.
    OpenReturnTask(String),
    /// The return task is done.
    CloseReturnTask,
}

/// Why a transition is refused. Every variant has a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The reviewer's role does not take this step.
    #[error("a {role} does not {action}")]
    RoleNotAllowed {
        /// The role code.
        role: &'static str,
        /// The action code.
        action: &'static str,
    },
    /// The review is not in a state this step starts from.
    #[error("a review that is {state} cannot be taken through {action}")]
    WrongState {
        /// The state code.
        state: &'static str,
        /// The action code.
        action: &'static str,
    },
    /// Open conflicts must be resolved first.
    #[error("the household has {0} open conflicts: resolve them first")]
    OpenConflicts(usize),
    /// Validation errors must be corrected first.
    #[error("the household's record has {0} validation errors")]
    ValidationErrors(usize),
    /// Warnings must be acknowledged first.
    #[error("{0} doubtful-data warnings are not acknowledged")]
    WarningsUnacknowledged(usize),
    /// The record changed after verification: verify it again.
    #[error("the record changed after it was verified: verify it again")]
    ChangedSinceVerification,
    /// A return needs a reason.
    #[error("say why the visit is returned")]
    ReasonRequired,
}

impl Refusal {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::RoleNotAllowed { .. } => "review-role-not-allowed",
            Refusal::WrongState { .. } => "review-state-invalid",
            Refusal::OpenConflicts(_) => "review-open-conflicts",
            Refusal::ValidationErrors(_) => "review-validation-errors",
            Refusal::WarningsUnacknowledged(_) => "review-warnings-unacknowledged",
            Refusal::ChangedSinceVerification => "review-changed-since-verification",
            Refusal::ReasonRequired => "review-reason-required",
        }
    }
}

/// Roles above the village that review (in their scope).
fn above_village(role: Role) -> bool {
    matches!(
        role,
        Role::TownshipSupervisor | Role::CountyOfficer | Role::PrefectureOfficer | Role::Admin
    )
}

/// Whether `role` may take `action` at all. Resubmission comes from the household's own
/// tablets (any role that writes households).
fn may_take(role: Role, action: &Action) -> bool {
    match action {
        Action::VillageReview => role == Role::Helper || above_village(role),
        Action::TownshipVerify | Action::Return { .. } => above_village(role),
        Action::CountyAccept => {
            matches!(
                role,
                Role::CountyOfficer | Role::PrefectureOfficer | Role::Admin
            )
        }
        Action::Resubmit => role != Role::Department,
    }
}

/// Takes `action` on a review in `state`.
pub fn transition(
    state: State,
    action: &Action,
    role: Role,
    facts: Facts,
) -> Result<(State, Vec<Effect>), Refusal> {
    if !may_take(role, action) {
        return Err(Refusal::RoleNotAllowed {
            role: role.code(),
            action: action.code(),
        });
    }
    let wrong = || Refusal::WrongState {
        state: state.code(),
        action: action.code(),
    };
    match (state, action) {
        (State::Submitted, Action::VillageReview) => Ok((State::VillageReviewed, Vec::new())),
        (State::VillageReviewed, Action::TownshipVerify) => {
            if facts.open_conflicts > 0 {
                return Err(Refusal::OpenConflicts(facts.open_conflicts));
            }
            if facts.errors > 0 {
                return Err(Refusal::ValidationErrors(facts.errors));
            }
            if facts.unacknowledged_warnings > 0 {
                return Err(Refusal::WarningsUnacknowledged(
                    facts.unacknowledged_warnings,
                ));
            }
            Ok((State::TownshipVerified, vec![Effect::PinRecord]))
        }
        (State::TownshipVerified, Action::CountyAccept) => {
            if facts.changed_since_verification {
                return Err(Refusal::ChangedSinceVerification);
            }
            Ok((State::CountyAccepted, Vec::new()))
        }
        (
            State::Submitted | State::VillageReviewed | State::TownshipVerified,
            Action::Return { reason },
        ) => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(Refusal::ReasonRequired);
            }
            Ok((
                State::Returned,
                vec![Effect::OpenReturnTask(reason.to_owned())],
            ))
        }
        (State::Returned, Action::Resubmit) => {
            Ok((State::Submitted, vec![Effect::CloseReturnTask]))
        }
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests;
