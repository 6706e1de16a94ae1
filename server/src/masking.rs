//! Personal data by role. ID numbers, phone numbers and bank accounts are shown whole only
//! to the roles that collect and verify a household's data in their own area (helpers,
//! township supervisors, county officers); prefecture officers and administrators see
//! them masked (6528********1234, 138****5678); a department sees only the household's
//! identification and its members' names, sex, relation and masked ID numbers. Every
//! unmasked read of a record is audited by the caller.

use serde_json::Value;
use zoufang_schemas::Role;
use zoufang_schemas::id_number::mask_id_number;

/// How much of a record a role sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Everything.
    Full,
    /// Personal numbers masked.
    Masked,
    /// Identification only, numbers masked.
    Identification,
}

impl Exposure {
    /// The exposure of a role.
    pub fn of(role: Role) -> Self {
        match role {
            Role::Helper | Role::TownshipSupervisor | Role::CountyOfficer => Exposure::Full,
            Role::PrefectureOfficer | Role::Admin => Exposure::Masked,
            Role::Department => Exposure::Identification,
        }
    }
}

/// A phone number as public lists show it: 138****5678.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// A bank account with only its last four digits.
pub fn mask_account(account: &str) -> String {
    let chars: Vec<char> = account.chars().collect();
    let keep = chars.len().min(4);
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{}{tail}", "*".repeat(chars.len() - keep))
}

fn mask_field(object: &mut serde_json::Map<String, Value>, key: &str, mask: fn(&str) -> String) {
    if let Some(Value::String(text)) = object.get_mut(key) {
        *text = mask(text);
    }
}

/// The household fields a department sees.
const IDENTIFICATION: &[&str] = &[
    "region_code",
    "national_number",
    "hh_type",
    "monitor_category",
];
/// The member fields a department sees.
const MEMBER_IDENTIFICATION: &[&str] =
    &["status", "name", "sex", "relation", "id_type", "id_number"];

/// Applies `exposure` to a record's JSON (the household document's tree).
pub fn apply(exposure: Exposure, record: &mut Value) {
    if exposure == Exposure::Full {
        return;
    }
    let Some(root) = record.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(household)) = root.get_mut("household") {
        mask_field(household, "phone", mask_phone);
        mask_field(household, "bank_account", mask_account);
        if exposure == Exposure::Identification {
            household.retain(|k, _| IDENTIFICATION.contains(&k.as_str()));
        }
    }
    if let Some(Value::Object(members)) = root.get_mut("members") {
        for member in members.values_mut().filter_map(Value::as_object_mut) {
            mask_field(member, "id_number", mask_id_number);
            mask_field(member, "phone", mask_phone);
            if exposure == Exposure::Identification {
                member.retain(|k, _| MEMBER_IDENTIFICATION.contains(&k.as_str()));
            }
        }
    }
    if exposure == Exposure::Identification {
        root.retain(|k, _| matches!(k.as_str(), "schema_version" | "household" | "members"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Value {
        json!({
            "schema_version": 1,
            "household": { "region_code": "652822100201", "hh_type": "LIFTED", "phone": "13812345678",
                           "bank_account": "6228480012345678", "address": "幸福路1号" },
            "members": { "m": { "name": "买买提", "id_number": "652822199001011234", "phone": "13900001111",
                                "sex": "MALE", "relation": "SELF", "health": { "CHRONIC": true } } },
            "income": { "wage": 12000.0 }
        })
    }

    #[test]
    fn numbers_are_masked_as_public_lists_show_them() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_id_number("652822199001011234"), "6528**********1234");
        assert_eq!(mask_account("6228480012345678"), "************5678");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn each_role_sees_its_exposure() {
        let mut full = record();
        apply(Exposure::of(Role::CountyOfficer), &mut full);
        assert_eq!(full, record());
        let mut masked = record();
        apply(Exposure::of(Role::PrefectureOfficer), &mut masked);
        assert_eq!(masked["household"]["phone"], "138****5678");
        assert_eq!(masked["members"]["m"]["id_number"], "6528**********1234");
        assert_eq!(masked["income"]["wage"], 12000.0);
        let mut department = record();
        apply(Exposure::of(Role::Department), &mut department);
        assert!(department.get("income").is_none());
        assert!(department["household"].get("address").is_none());
        assert!(department["members"]["m"].get("health").is_none());
        assert_eq!(department["members"]["m"]["name"], "买买提");
        assert_eq!(
            department["members"]["m"]["id_number"],
            "6528**********1234"
        );
    }
}
