use super::*;
use crate::{HouseholdType, Relation};

fn keys(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

const MEMBER: &str = "0b6f5a3c-7d1e-4c2a-9f00-123456789abc";
const PHOTO: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn every_section_of_the_record_is_a_known_container() {
    for section in [
        "household",
        "members",
        "income",
        "guarantees",
        "housing",
        "water",
        "monitoring",
        "measures",
        "events",
        "visits",
        "evidence",
    ] {
        assert!(
            matches!(form().lookup(&[section]), Ok(Lookup::Container(_))),
            "{section}"
        );
    }
}

#[test]
fn scalars_take_only_their_type_codes_and_lengths() {
    let f = form();
    assert!(
        f.check_value(&keys("household.phone"), Scalar::Str("13900000000"))
            .is_ok()
    );
    assert!(
        f.check_value(&keys("household.phone"), Scalar::Null)
            .is_ok()
    );
    assert!(
        f.check_value(&keys("household.phone"), Scalar::Int(139))
            .is_err()
    );
    assert!(
        f.check_value(
            &keys("household.hh_type"),
            Scalar::Str(HouseholdType::Lifted.code())
        )
        .is_ok()
    );
    let code = f
        .check_value(&keys("household.hh_type"), Scalar::Int(42))
        .unwrap_err();
    assert_eq!(code.code(), "value-invalid");
    assert!(
        f.check_value(&keys("household.hh_type"), Scalar::Str("RICH"))
            .is_err()
    );
    assert!(
        f.check_value(&keys("household.hh_type"), Scalar::Null)
            .is_err(),
        "required"
    );
    assert!(
        f.check_value(&keys("income.wage"), Scalar::Int(12000))
            .is_ok()
    );
    assert!(
        f.check_value(&keys("income.wage"), Scalar::F64(12000.5))
            .is_ok()
    );
    assert!(
        f.check_value(&keys("income.wage"), Scalar::F64(f64::NAN))
            .is_err()
    );
    assert!(
        f.check_value(&keys("income.wage"), Scalar::Str("12000"))
            .is_err()
    );
    assert!(
        f.check_value(&keys("household.form_date"), Scalar::Str("2022-03-31"))
            .is_ok()
    );
    assert!(
        f.check_value(&keys("household.form_date"), Scalar::Str("2022-02-30"))
            .is_err()
    );
    assert!(
        f.check_value(&keys("household.address"), Scalar::Unsupported("a counter"))
            .is_err()
    );
    let long = "长".repeat(5000);
    assert!(
        f.check_value(&keys("household.address"), Scalar::Str(&long))
            .is_err()
    );
    assert!(
        f.check_value(&keys("household.region_code"), Scalar::Str("652822100201"))
            .is_ok()
    );
    assert!(
        f.check_value(&keys("household.region_code"), Scalar::Str("abc"))
            .is_err()
    );
}

#[test]
fn unknown_paths_and_keys_are_refused_with_codes() {
    let f = form();
    let unknown = f
        .check_value(&keys("household.injected_field"), Scalar::Str("x"))
        .unwrap_err();
    assert_eq!(unknown.code(), "field-unknown");
    assert_eq!(
        f.lookup(&keys("nosuch")).unwrap_err().code(),
        "field-unknown"
    );
    let bad_key = f.lookup(&["members", "not-a-uuid"]).unwrap_err();
    assert_eq!(bad_key.code(), "entry-key-invalid");
    assert_eq!(
        f.check_value(&["household"], Scalar::Str("x"))
            .unwrap_err()
            .code(),
        "container-replaced"
    );
    assert!(f.lookup(&keys("household.phone.deeper")).is_err());
}

#[test]
fn entries_and_sets_resolve_through_their_keys() {
    let f = form();
    let name = ["members", MEMBER, "name"];
    assert!(f.check_value(&name, Scalar::Str("买买提·吐尔逊")).is_ok());
    let relation = ["members", MEMBER, "relation"];
    assert!(
        f.check_value(&relation, Scalar::Str(Relation::Spouse.code()))
            .is_ok()
    );
    assert!(f.check_value(&relation, Scalar::Str("FRIEND")).is_err());
    let health = ["members", MEMBER, "health", "CHRONIC"];
    assert!(f.check_value(&health, Scalar::Bool(true)).is_ok());
    assert!(f.check_value(&health, Scalar::Str("yes")).is_err());
    assert!(f.lookup(&["members", MEMBER, "health", "FLYING"]).is_err());
    assert!(
        f.check_value(&["household", "risk_types", "ILLNESS"], Scalar::Bool(true))
            .is_ok()
    );
    assert!(
        f.check_value(&["housing", "photos", PHOTO], Scalar::Bool(true))
            .is_ok()
    );
    assert!(f.lookup(&["housing", "photos", "nothex"]).is_err());
    assert!(matches!(
        f.lookup(&["evidence", PHOTO]),
        Ok(Lookup::Container(_))
    ));
    let months = ["members", MEMBER, "months_worked"];
    assert!(f.check_value(&months, Scalar::Int(12)).is_ok());
    assert!(f.check_value(&months, Scalar::Int(13)).is_err());
    assert!(f.check_value(&months, Scalar::F64(1.5)).is_err());
}

#[test]
fn new_entries_must_carry_the_required_fields() {
    let required = form().required_fields(&["members", MEMBER]);
    for field in ["status", "name", "sex", "relation", "id_type"] {
        assert!(required.contains(field), "{field}");
    }
    assert!(form().required_fields(&["household", "phone"]).is_empty());
}

#[test]
fn the_form_has_no_unknown_node_and_every_text_is_bounded() {
    fn walk(node: &Node, path: &str) {
        match node {
            Node::Struct(s) => {
                for (name, field) in &s.fields {
                    walk(&field.node, &format!("{path}.{name}"));
                }
            }
            Node::Entries { entry, .. } => walk(entry, &format!("{path}.<key>")),
            Node::Set { .. } => {}
            Node::Value(ValueSpec::Text { max_chars }) => {
                assert!(*max_chars <= 2000, "{path}")
            }
            Node::Value(_) => {}
            Node::Unknown => panic!("{path} did not compile"),
        }
    }
    walk(form().root(), "");
}
