//! Phone numbers (SPEC §3, §15): Chinese mobile numbers and international E.164.

use serde::{Serialize, Serializer};
use std::fmt;

/// A phone number in E.164 form (`+8613812345678`). Chinese mobile numbers may be
/// given bare (11 digits starting with 1) and are stored with +86.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

/// Why a text is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Not a Chinese mobile number (11 digits, starting 1[3-9]).
    #[error("a Chinese mobile number has 11 digits and starts with 13–19")]
    ChineseMobile,
    /// Not E.164: + followed by 8 to 15 digits, first not 0.
    #[error("an international number is + and 8 to 15 digits")]
    E164,
}

impl From<PhoneError> for crate::Violation {
    fn from(e: PhoneError) -> Self {
        let rule = match e {
            PhoneError::ChineseMobile => "phone.cn_mobile",
            PhoneError::E164 => "phone.e164",
        };
        crate::Violation::new("phone", rule)
    }
}

/// What [`Phone::parse`] accepts, as an ECMA-262 pattern for the API description
/// (without the spaces and dashes the parser also forgives): a Chinese mobile number,
/// bare or with +86 / 0086, or any other country's E.164 number (+, 8 to 15 digits,
/// first not 0; a +86 number must be a Chinese mobile). Kept beside the parser so the
/// two change together; the tests below hold them to each other.
pub const PATTERN: &str =
    r"^(?:(?:\+86|0086)?1[3-9][0-9]{9}|\+(?:[1-79][0-9]|8[0-57-9])[0-9]{6,13})$";

/// A Chinese mobile number the parser accepts, for examples in the API description.
pub const EXAMPLE: &str = "13812345678";

fn cn_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

impl Phone {
    /// Parses a phone number, ignoring spaces and dashes.
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if let Some(rest) = t.strip_prefix("+86").or_else(|| t.strip_prefix("0086")) {
            return if cn_mobile(rest) {
                Ok(Phone(format!("+86{rest}")))
            } else {
                Err(PhoneError::ChineseMobile)
            };
        }
        if let Some(rest) = t.strip_prefix('+') {
            let ok = (8..=15).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_digit())
                && !rest.starts_with('0');
            return if ok {
                Ok(Phone(t))
            } else {
                Err(PhoneError::E164)
            };
        }
        if cn_mobile(&t) {
            Ok(Phone(format!("+86{t}")))
        } else {
            Err(PhoneError::ChineseMobile)
        }
    }

    /// The number in E.164.
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// The number as people write it: 11 digits for Chinese mobiles, E.164 otherwise.
    pub fn display_whole(&self) -> &str {
        self.0.strip_prefix("+86").unwrap_or(&self.0)
    }

    /// The masked form shown in lists: 138****5678.
    pub fn masked(&self) -> String {
        crate::mask::mask_middle(self.display_whole(), 3, 4)
    }
}

impl fmt::Display for Phone {
    /// Masked by default, so a number never leaks through a careless format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for Phone {
    /// Masked by default; whole values are served only through audited paths.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_example_is_valid() {
        assert_eq!(
            Phone::parse(EXAMPLE).map(|p| p.e164().to_string()),
            Ok("+8613812345678".into())
        );
    }

    #[test]
    fn chinese_mobiles_and_e164() {
        assert_eq!(
            Phone::parse("138 1234 5678").map(|p| p.e164().to_string()),
            Ok("+8613812345678".into())
        );
        assert_eq!(
            Phone::parse("+86 13812345678").map(|p| p.masked()),
            Ok("138****5678".into())
        );
        assert_eq!(
            Phone::parse("+4915112345678").map(|p| p.e164().to_string()),
            Ok("+4915112345678".into())
        );
        assert_eq!(Phone::parse("12812345678"), Err(PhoneError::ChineseMobile));
        assert_eq!(Phone::parse("1381234567"), Err(PhoneError::ChineseMobile));
        assert_eq!(Phone::parse("+0123"), Err(PhoneError::E164));
        assert_eq!(Phone::parse("+86123"), Err(PhoneError::ChineseMobile));
    }

    #[test]
    fn display_and_serialisation_are_masked() {
        let p = Phone::parse("13812345678").unwrap_or_else(|_| unreachable!());
        assert_eq!(p.to_string(), "138****5678");
        assert_eq!(p.display_whole(), "13812345678");
    }
}
