//! Resident ID numbers (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence
//! whose parity gives the sex, and an ISO 7064 MOD 11-2 check character.

use crate::enums::Sex;
use chrono::NaiveDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// Why an ID number is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Not 18 characters.
    #[error("ID number must have 18 characters, has {0}")]
    Length(usize),
    /// A non-digit among the first 17, or a last character other than a digit or X.
    #[error("ID number has a character that is not a digit (only the last may be X)")]
    Characters,
    /// The embedded birth date is not a date.
    #[error("ID number's birth date {0} is not a date")]
    BirthDate(String),
    /// The check character does not match.
    #[error("ID number's check character should be {expected}, is {found}")]
    CheckDigit {
        /// The computed check character.
        expected: char,
        /// The one in the number.
        found: char,
    },
}

/// A structurally valid resident ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentId {
    /// The number, with an upper-case X.
    pub number: String,
    /// The embedded birth date.
    pub birth_date: NaiveDate,
    /// The sex given by the sequence number's parity.
    pub sex: Sex,
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(char::from(CHECK_CHARS[(sum % 11) as usize]))
}

/// Parses and checks an 18-character resident ID number. A lower-case x is accepted.
pub fn parse_resident_id(input: &str) -> Result<ResidentId, IdNumberError> {
    let number = input.trim().to_ascii_uppercase();
    let bytes = number.as_bytes();
    if bytes.len() != 18 {
        return Err(IdNumberError::Length(number.chars().count()));
    }
    let last_ok = bytes[17].is_ascii_digit() || bytes[17] == b'X';
    if !bytes[..17].iter().all(u8::is_ascii_digit) || !last_ok {
        return Err(IdNumberError::Characters);
    }
    let birth = &number[6..14];
    let birth_date = NaiveDate::parse_from_str(birth, "%Y%m%d")
        .map_err(|_| IdNumberError::BirthDate(birth.to_owned()))?;
    let expected = check_char(&bytes[..17]).ok_or(IdNumberError::Characters)?;
    let found = char::from(bytes[17]);
    if expected != found {
        return Err(IdNumberError::CheckDigit { expected, found });
    }
    let sex = if (bytes[16] - b'0') % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    };
    Ok(ResidentId {
        number,
        birth_date,
        sex,
    })
}

/// Builds a valid number from a region, birth date and 3-digit sequence (demo data, tests).
pub fn compose_resident_id(region6: &str, birth_date: NaiveDate, sequence: u16) -> Option<String> {
    if region6.len() != 6 || sequence > 999 {
        return None;
    }
    let first17 = format!("{region6}{}{sequence:03}", birth_date.format("%Y%m%d"));
    let check = check_char(first17.as_bytes())?;
    Some(format!("{first17}{check}"))
}

/// Masks an ID number for public notices: `6528********1234`.
pub fn mask_id_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standard_example_number() {
        // The worked example of GB 11643: 11010519491231002X.
        let id = parse_resident_id("11010519491231002x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id.number, "11010519491231002X");
        assert_eq!(id.sex, Sex::Female);
        assert_eq!(
            id.birth_date,
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap_or_default()
        );
    }

    #[test]
    fn rejects_a_wrong_check_digit_naming_the_right_one() {
        let err = parse_resident_id("110105194912310021").err();
        assert_eq!(
            err,
            Some(IdNumberError::CheckDigit {
                expected: 'X',
                found: '1'
            })
        );
    }

    #[test]
    fn rejects_bad_length_characters_and_dates() {
        assert_eq!(
            parse_resident_id("1234").err(),
            Some(IdNumberError::Length(4))
        );
        assert_eq!(
            parse_resident_id("11010519491231X02X").err(),
            Some(IdNumberError::Characters)
        );
        assert!(matches!(
            parse_resident_id("110105194902300021"),
            Err(IdNumberError::BirthDate(_))
        ));
    }

    #[test]
    fn composed_numbers_parse_back_with_their_sex() {
        let birth = NaiveDate::from_ymd_opt(1980, 2, 29).unwrap_or_default();
        let male = compose_resident_id("652822", birth, 13).unwrap_or_default();
        let female = compose_resident_id("652822", birth, 14).unwrap_or_default();
        assert_eq!(parse_resident_id(&male).map(|i| i.sex), Ok(Sex::Male));
        assert_eq!(parse_resident_id(&female).map(|i| i.sex), Ok(Sex::Female));
        assert_eq!(parse_resident_id(&male).map(|i| i.birth_date), Ok(birth));
    }

    #[test]
    fn masks_keep_four_characters_at_each_end() {
        assert_eq!(mask_id_number("652822198002290131"), "6528**********0131");
        assert_eq!(mask_id_number("123"), "***");
    }
}
