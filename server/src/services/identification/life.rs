//! The life of an identification proposal as pure transitions: proposed (by a helper, a
//! township, an included risk clue or from a flag) → approved or rejected by the county, or
//! withdrawn before that. What a proposal must hold, and what a clue suggests, live here
//! too; the I/O around them lives in [`super::proposals`].

use zoufang_schemas::{ClueType, HouseholdType, MonitorCategory, RiskType, Role};

/// Waiting for the county.
pub const PROPOSED: &str = "PROPOSED";
/// The county identified the household: the server wrote its category.
pub const APPROVED: &str = "APPROVED";
/// The county decided against it.
pub const REJECTED: &str = "REJECTED";
/// Taken back before a decision.
pub const WITHDRAWN: &str = "WITHDRAWN";

/// Most risk types a household has.
pub const MAX_RISK_TYPES: usize = 5;
/// Longest reason or note kept, in characters.
pub const MAX_TEXT: usize = 2000;

/// Roles that propose.
pub const PROPOSERS: &[Role] = &[Role::Helper, Role::TownshipSupervisor];
/// Roles that decide.
pub const DECIDERS: &[Role] = &[Role::CountyOfficer];
/// Roles that withdraw (a helper only their own proposal).
pub const WITHDRAWERS: &[Role] = &[Role::Helper, Role::TownshipSupervisor];

pub use crate::services::refusal::Refusal;
use crate::services::refusal::refuse;

/// What a proposal says.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The category proposed (a clue's proposal may leave it to the county).
    pub category: Option<MonitorCategory>,
    /// Risk types, one to five.
    pub risk_types: Vec<RiskType>,
    /// Why.
    pub reason: String,
}

/// Checks what a helper or township proposes.
pub fn check(proposal: &Proposal) -> Result<(), Refusal> {
    if proposal.category.is_none() {
        return Err(refuse(
            400,
            "category-missing",
            "name the monitoring category",
        ));
    }
    check_risks(&proposal.risk_types)?;
    if proposal.reason.trim().is_empty() {
        return Err(refuse(
            400,
            "reason-missing",
            "say why the household should be monitored",
        ));
    }
    if proposal.reason.chars().count() > MAX_TEXT {
        return Err(refuse(
            400,
            "reason-too-long",
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

fn check_risks(risks: &[RiskType]) -> Result<(), Refusal> {
    if risks.is_empty() {
        return Err(refuse(
            400,
            "risk-types-missing",
            "name at least one risk type",
        ));
    }
    if risks.len() > MAX_RISK_TYPES {
        return Err(refuse(
            400,
            "risk-types-too-many",
            format!("a household has at most {MAX_RISK_TYPES} risk types"),
        ));
    }
    Ok(())
}

/// A decision or a withdrawal.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The county's decision; approving may set the category the proposal left open (or
    /// change the one proposed).
    Decide {
        /// Identify the household (true) or not.
        approve: bool,
        /// The category decided.
        category: Option<MonitorCategory>,
    },
    /// The proposer (or the township) takes the proposal back.
    Withdraw,
}

impl Step {
    /// The roles that take the step.
    pub fn roles(&self) -> &'static [Role] {
        match self {
            Step::Decide { .. } => DECIDERS,
            Step::Withdraw => WITHDRAWERS,
        }
    }

    /// The audit action.
    pub fn action(&self) -> &'static str {
        match self {
            Step::Decide { approve: true, .. } => "identification.approve",
            Step::Decide { approve: false, .. } => "identification.reject",
            Step::Withdraw => "identification.withdraw",
        }
    }
}

/// Where `step` takes a proposal in `status` with `proposal`'s content, taken by `role`
/// (`own`: the caller proposed it); with the category an approval writes.
pub fn next(
    status: &str,
    proposal: &Proposal,
    step: &Step,
    role: Role,
    own: bool,
) -> Result<(&'static str, Option<MonitorCategory>), Refusal> {
    if !step.roles().contains(&role) || (*step == Step::Withdraw && role == Role::Helper && !own) {
        return Err(refuse(
            403,
            "role-not-allowed",
            format!("a {role} may not {}", step.action()),
        ));
    }
    if status != PROPOSED {
        return Err(refuse(
            409,
            "proposal-closed",
            format!("the proposal is {status}, no longer open"),
        ));
    }
    match step {
        Step::Withdraw => Ok((WITHDRAWN, None)),
        Step::Decide { approve: false, .. } => Ok((REJECTED, None)),
        Step::Decide {
            approve: true,
            category,
        } => {
            let category = category.or(proposal.category).ok_or_else(|| {
                refuse(
                    400,
                    "category-missing",
                    "name the category the household is monitored as",
                )
            })?;
            check_risks(&proposal.risk_types)?;
            Ok((APPROVED, Some(category)))
        }
    }
}

/// The risk type a clue points at.
pub fn risk_of(clue: ClueType) -> RiskType {
    match clue {
        ClueType::HighMedicalOop | ClueType::NewSeriousIllness => RiskType::Illness,
        ClueType::Dropout | ClueType::HighEduCost => RiskType::Education,
        ClueType::HouseUnsafe => RiskType::HousingUnsafe,
        ClueType::WaterAffected => RiskType::WaterUnsafe,
        ClueType::Disaster => RiskType::Disaster,
        ClueType::Accident => RiskType::Accident,
        ClueType::JobLoss => RiskType::EmploymentUnstable,
        ClueType::IndustryFailure => RiskType::IndustryFailure,
        ClueType::NewDisability => RiskType::Disability,
        ClueType::Death => RiskType::LackLabor,
        ClueType::Other => RiskType::Other,
    }
}

/// The category a clue suggests: a 脱贫户 falls back as 脱贫不稳定户; a sudden event
/// (illness, disaster, accident, disability, death) makes 突发严重困难户; anything else
/// 边缘易致贫户. The county decides.
pub fn suggested_category(hh_type: HouseholdType, clue: ClueType) -> MonitorCategory {
    let sudden = matches!(
        clue,
        ClueType::HighMedicalOop
            | ClueType::NewSeriousIllness
            | ClueType::Disaster
            | ClueType::Accident
            | ClueType::NewDisability
            | ClueType::Death
    );
    match hh_type {
        HouseholdType::Lifted => MonitorCategory::UnstableLifted,
        HouseholdType::General if sudden => MonitorCategory::SuddenHardship,
        HouseholdType::General => MonitorCategory::Marginal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposal() -> Proposal {
        Proposal {
            category: Some(MonitorCategory::Marginal),
            risk_types: vec![RiskType::Illness],
            reason: "住院自付高".into(),
        }
    }

    fn decide(approve: bool) -> Step {
        Step::Decide {
            approve,
            category: None,
        }
    }

    #[test]
    fn a_proposal_names_category_risks_and_reason() {
        assert_eq!(check(&proposal()), Ok(()));
        let code = |p: Proposal| check(&p).unwrap_err().code;
        assert_eq!(
            code(Proposal {
                category: None,
                ..proposal()
            }),
            "category-missing"
        );
        assert_eq!(
            code(Proposal {
                risk_types: vec![],
                ..proposal()
            }),
            "risk-types-missing"
        );
        let six = RiskType::ALL[..6].to_vec();
        assert_eq!(
            code(Proposal {
                risk_types: six,
                ..proposal()
            }),
            "risk-types-too-many"
        );
        assert_eq!(
            code(Proposal {
                reason: "  ".into(),
                ..proposal()
            }),
            "reason-missing"
        );
        assert_eq!(
            code(Proposal {
                reason: "长".repeat(2001),
                ..proposal()
            }),
            "reason-too-long"
        );
    }

    #[test]
    fn only_the_county_decides_and_only_once() {
        let p = proposal();
        assert_eq!(
            next(PROPOSED, &p, &decide(true), Role::CountyOfficer, false),
            Ok((APPROVED, Some(MonitorCategory::Marginal)))
        );
        assert_eq!(
            next(PROPOSED, &p, &decide(false), Role::CountyOfficer, false),
            Ok((REJECTED, None))
        );
        for role in [
            Role::Helper,
            Role::TownshipSupervisor,
            Role::Department,
            Role::PrefectureOfficer,
        ] {
            let refusal = next(PROPOSED, &p, &decide(true), role, true).unwrap_err();
            assert_eq!(
                (refusal.code, refusal.status),
                ("role-not-allowed", 403),
                "{role}"
            );
        }
        for closed in [APPROVED, REJECTED, WITHDRAWN] {
            let refusal = next(closed, &p, &decide(true), Role::CountyOfficer, false).unwrap_err();
            assert_eq!((refusal.code, refusal.status), ("proposal-closed", 409));
        }
    }

    #[test]
    fn the_county_may_set_the_category_a_clue_left_open() {
        let open = Proposal {
            category: None,
            ..proposal()
        };
        assert_eq!(
            next(PROPOSED, &open, &decide(true), Role::CountyOfficer, false)
                .unwrap_err()
                .code,
            "category-missing"
        );
        let step = Step::Decide {
            approve: true,
            category: Some(MonitorCategory::SuddenHardship),
        };
        assert_eq!(
            next(PROPOSED, &open, &step, Role::CountyOfficer, false),
            Ok((APPROVED, Some(MonitorCategory::SuddenHardship)))
        );
        let no_risk = Proposal {
            risk_types: vec![],
            ..proposal()
        };
        assert_eq!(
            next(
                PROPOSED,
                &no_risk,
                &decide(true),
                Role::CountyOfficer,
                false
            )
            .unwrap_err()
            .code,
            "risk-types-missing"
        );
    }

    #[test]
    fn a_helper_withdraws_only_their_own() {
        let p = proposal();
        assert_eq!(
            next(PROPOSED, &p, &Step::Withdraw, Role::Helper, true),
            Ok((WITHDRAWN, None))
        );
        assert_eq!(
            next(PROPOSED, &p, &Step::Withdraw, Role::Helper, false)
                .unwrap_err()
                .code,
            "role-not-allowed"
        );
        assert_eq!(
            next(
                PROPOSED,
                &p,
                &Step::Withdraw,
                Role::TownshipSupervisor,
                false
            ),
            Ok((WITHDRAWN, None))
        );
        assert_eq!(
            next(PROPOSED, &p, &Step::Withdraw, Role::CountyOfficer, false)
                .unwrap_err()
                .code,
            "role-not-allowed"
        );
    }

    #[test]
    fn clues_suggest_a_category_and_a_risk() {
        use ClueType::*;
        assert_eq!(
            suggested_category(HouseholdType::Lifted, Dropout),
            MonitorCategory::UnstableLifted
        );
        assert_eq!(
            suggested_category(HouseholdType::General, Accident),
            MonitorCategory::SuddenHardship
        );
        assert_eq!(
            suggested_category(HouseholdType::General, JobLoss),
            MonitorCategory::Marginal
        );
        assert_eq!(risk_of(HighMedicalOop), RiskType::Illness);
        assert_eq!(risk_of(WaterAffected), RiskType::WaterUnsafe);
        assert_eq!(risk_of(Death), RiskType::LackLabor);
    }
}
