use super::*;

fn clean() -> Facts {
    Facts::default()
}

#[test]
fn a_visit_goes_from_submitted_to_accepted_with_the_record_pinned_on_verification() {
    let (s, e) = transition(
        State::Submitted,
        &Action::VillageReview,
        Role::Helper,
        clean(),
    )
    .unwrap();
    assert_eq!((s, e), (State::VillageReviewed, vec![]));
    let (s, e) = transition(
        s,
        &Action::TownshipVerify,
        Role::TownshipSupervisor,
        clean(),
    )
    .unwrap();
    assert_eq!((s, e), (State::TownshipVerified, vec![Effect::PinRecord]));
    let (s, e) = transition(s, &Action::CountyAccept, Role::CountyOfficer, clean()).unwrap();
    assert_eq!((s, e), (State::CountyAccepted, vec![]));
    assert!(s.is_verified());
}

#[test]
fn each_step_belongs_to_its_roles() {
    let refused = |state, action: Action, role| {
        transition(state, &action, role, clean())
            .unwrap_err()
            .code()
    };
    assert_eq!(
        refused(State::VillageReviewed, Action::TownshipVerify, Role::Helper),
        "review-role-not-allowed"
    );
    assert_eq!(
        refused(
            State::TownshipVerified,
            Action::CountyAccept,
            Role::TownshipSupervisor
        ),
        "review-role-not-allowed"
    );
    assert_eq!(
        refused(State::Submitted, Action::VillageReview, Role::Department),
        "review-role-not-allowed"
    );
    assert_eq!(
        refused(
            State::Submitted,
            Action::Return { reason: "x".into() },
            Role::Helper
        ),
        "review-role-not-allowed"
    );
    assert!(
        transition(
            State::Submitted,
            &Action::VillageReview,
            Role::TownshipSupervisor,
            clean()
        )
        .is_ok()
    );
}

#[test]
fn steps_out_of_order_are_refused() {
    for (state, action) in [
        (State::Submitted, Action::TownshipVerify),
        (State::Submitted, Action::CountyAccept),
        (State::VillageReviewed, Action::VillageReview),
        (
            State::CountyAccepted,
            Action::Return {
                reason: "晚了".into(),
            },
        ),
        (State::Returned, Action::TownshipVerify),
        (State::Submitted, Action::Resubmit),
    ] {
        let refused = transition(state, &action, Role::Admin, clean()).unwrap_err();
        assert_eq!(
            refused.code(),
            "review-state-invalid",
            "{state:?} {action:?}"
        );
    }
}

#[test]
fn verification_needs_no_conflicts_no_errors_and_acknowledged_warnings() {
    let verify = |facts| {
        transition(
            State::VillageReviewed,
            &Action::TownshipVerify,
            Role::TownshipSupervisor,
            facts,
        )
        .map(|(s, _)| s)
        .map_err(|r| r.code())
    };
    assert_eq!(
        verify(Facts {
            open_conflicts: 1,
            ..clean()
        }),
        Err("review-open-conflicts")
    );
    assert_eq!(
        verify(Facts {
            errors: 2,
            ..clean()
        }),
        Err("review-validation-errors")
    );
    assert_eq!(
        verify(Facts {
            unacknowledged_warnings: 1,
            ..clean()
        }),
        Err("review-warnings-unacknowledged")
    );
    assert_eq!(verify(clean()), Ok(State::TownshipVerified));
}

#[test]
fn a_record_changed_after_verification_is_not_accepted() {
    let facts = Facts {
        changed_since_verification: true,
        ..clean()
    };
    let refused = transition(
        State::TownshipVerified,
        &Action::CountyAccept,
        Role::CountyOfficer,
        facts,
    )
    .unwrap_err();
    assert_eq!(refused.code(), "review-changed-since-verification");
}

#[test]
fn a_return_needs_a_reason_opens_a_task_and_a_resubmission_closes_it() {
    let blank = Action::Return {
        reason: "  ".into(),
    };
    assert_eq!(
        transition(State::Submitted, &blank, Role::TownshipSupervisor, clean())
            .unwrap_err()
            .code(),
        "review-reason-required"
    );
    let back = Action::Return {
        reason: "住房照片不清楚".into(),
    };
    let (s, e) = transition(State::TownshipVerified, &back, Role::CountyOfficer, clean()).unwrap();
    assert_eq!(
        (s, e),
        (
            State::Returned,
            vec![Effect::OpenReturnTask("住房照片不清楚".into())]
        )
    );
    let (s, e) = transition(s, &Action::Resubmit, Role::Helper, clean()).unwrap();
    assert_eq!((s, e), (State::Submitted, vec![Effect::CloseReturnTask]));
}

#[test]
fn states_round_trip_through_their_codes() {
    for state in State::ALL {
        assert_eq!(State::from_code(state.code()), Some(state));
        assert!(!state.label_zh().is_empty());
    }
    assert_eq!(State::from_code("DONE"), None);
}
