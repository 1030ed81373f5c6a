//! Vehicle identification number (SPEC §3, §15).

use serde::{Serialize, Serializer};
use std::fmt;

/// A VIN: 17 characters, digits and capital letters without I, O, Q, with a correct
/// ISO 3779 / GB 16735 check digit in position 9. Lower case input is accepted and
/// upper-cased.
///
/// White space around a VIN: [`Vin::parse`] trims it, for people typing or pasting
/// into a form, scanning a paper document or importing a spreadsheet; [`Vin::parse_exact`]
/// refuses it (`vin.whitespace`), for the JSON API, where a padded VIN is a bug in the
/// calling system that silent trimming would hide.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vin(String);

/// Why a text is not a VIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VinError {
    /// Not exactly 17 characters.
    #[error("a VIN has 17 characters, this has {0}")]
    Length(usize),
    /// A character outside 0-9, A-Z, or one of I, O, Q.
    #[error("character {0:?} at position {1} is not allowed in a VIN")]
    Character(char, usize),
    /// White space before or after the 17 characters (only [`Vin::parse_exact`]).
    #[error("white space around the VIN")]
    Whitespace,
    /// Position 9 does not match the computed check digit.
    #[error("check digit is {found}, expected {expected}")]
    CheckDigit {
        /// The character in position 9.
        found: char,
        /// The computed check character.
        expected: char,
    },
}

/// The shape of a VIN as an ECMA-262 pattern for the API description: 17 letters
/// and digits without I, O and Q (either case; [`Vin::parse`] upper-cases). The
/// check digit in position 9 is not expressible as a pattern, so the description
/// also carries [`EXAMPLE`], a VIN that passes it.
pub const PATTERN: &str = "^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$";

/// A VIN with a correct check digit, for examples in the API description.
pub const EXAMPLE: &str = "1M8GDM9AXKP042788";

impl From<VinError> for crate::Violation {
    fn from(e: VinError) -> Self {
        let (rule, detail) = match &e {
            VinError::Length(n) => ("vin.length", n.to_string()),
            VinError::Character(c, p) => ("vin.character", format!("{c}@{p}")),
            VinError::CheckDigit { expected, .. } => ("vin.check_digit", expected.to_string()),
            VinError::Whitespace => return crate::Violation::new("vin", "vin.whitespace"),
        };
        crate::Violation::new("vin", rule).with_detail(detail)
    }
}

/// Weights of ISO 3779 for positions 1–17.
const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/// The transliterated value of a VIN character, or None where it is not allowed.
fn value_of(c: char) -> Option<u32> {
    Some(match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A' | 'J' => 1,
        'B' | 'K' | 'S' => 2,
        'C' | 'L' | 'T' => 3,
        'D' | 'M' | 'U' => 4,
        'E' | 'N' | 'V' => 5,
        'F' | 'W' => 6,
        'G' | 'P' | 'X' => 7,
        'H' | 'Y' => 8,
        'R' | 'Z' => 9,
        _ => return None,
    })
}

/// The check character for 17 VIN characters (position 9 is ignored).
pub fn check_digit(chars: &[char; 17]) -> Option<char> {
    let mut sum = 0u32;
    for (i, c) in chars.iter().enumerate() {
        sum += value_of(*c)? * WEIGHTS[i];
    }
    let r = sum % 11;
    Some(if r == 10 {
        'X'
    } else {
        char::from_digit(r, 10).unwrap_or('0')
    })
}

impl Vin {
    /// Parses and checks a VIN as sent by another system: white space around it is
    /// refused rather than trimmed (see the type's comment).
    pub fn parse_exact(s: &str) -> Result<Vin, VinError> {
        if s.trim() != s {
            return Err(VinError::Whitespace);
        }
        Vin::parse(s)
    }

    /// Parses and checks a VIN typed by a person: white space around it is trimmed.
    pub fn parse(s: &str) -> Result<Vin, VinError> {
        let up: Vec<char> = s.trim().chars().map(|c| c.to_ascii_uppercase()).collect();
        if up.len() != 17 {
            return Err(VinError::Length(up.len()));
        }
        let mut arr = ['0'; 17];
        for (i, c) in up.iter().enumerate() {
            if value_of(*c).is_none() {
                return Err(VinError::Character(*c, i + 1));
            }
            arr[i] = *c;
        }
        let expected = check_digit(&arr).ok_or(VinError::Character('?', 0))?;
        if arr[8] != expected {
            return Err(VinError::CheckDigit {
                found: arr[8],
                expected,
            });
        }
        Ok(Vin(arr.iter().collect()))
    }

    /// Builds a valid VIN from 16 free characters (positions 1–8 and 10–17) by
    /// computing the check digit; used by demo data and tests.
    pub fn with_check_digit(first8: &str, last8: &str) -> Result<Vin, VinError> {
        let mut s = String::with_capacity(17);
        s.push_str(first8);
        s.push('0');
        s.push_str(last8);
        let up: Vec<char> = s.chars().map(|c| c.to_ascii_uppercase()).collect();
        if up.len() != 17 {
            return Err(VinError::Length(up.len()));
        }
        let mut arr = ['0'; 17];
        for (i, c) in up.iter().enumerate() {
            if value_of(*c).is_none() {
                return Err(VinError::Character(*c, i + 1));
            }
            arr[i] = *c;
        }
        let d = check_digit(&arr).ok_or(VinError::Character('?', 0))?;
        arr[8] = d;
        Vin::parse(&arr.iter().collect::<String>())
    }

    /// The VIN text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// World manufacturer identifier: the first three characters (LSV, LFV, …).
    pub fn wmi(&self) -> &str {
        &self.0[..3]
    }
}

impl fmt::Display for Vin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Vin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_published_example_is_valid() {
        assert!(Vin::parse_exact(EXAMPLE).is_ok());
        assert_eq!(EXAMPLE.len(), 17);
    }

    #[test]
    fn accepts_a_known_valid_vin() {
        // Standard textbook example with check digit X.
        assert!(Vin::parse("1M8GDM9AXKP042788").is_ok());
        assert_eq!(
            Vin::parse("1m8gdm9axkp042788").map(|v| v.to_string()),
            Ok("1M8GDM9AXKP042788".into())
        );
    }

    #[test]
    fn rejects_wrong_check_digit_length_and_letters() {
        assert_eq!(
            Vin::parse("1M8GDM9A1KP042788"),
            Err(VinError::CheckDigit {
                found: '1',
                expected: 'X'
            })
        );
        assert_eq!(Vin::parse("LSVAB"), Err(VinError::Length(5)));
        assert!(matches!(
            Vin::parse("LSVIB1234567890AB"),
            Err(VinError::Character('I', 4))
        ));
        assert!(matches!(
            Vin::parse("LSVOB1234567890AB"),
            Err(VinError::Character('O', 4))
        ));
    }

    #[test]
    fn exact_parse_refuses_padding_that_parse_trims() {
        assert_eq!(
            Vin::parse_exact(" 1M8GDM9AXKP042788"),
            Err(VinError::Whitespace)
        );
        assert_eq!(
            Vin::parse_exact("1M8GDM9AXKP042788\t"),
            Err(VinError::Whitespace)
        );
        assert!(Vin::parse_exact("1M8GDM9AXKP042788").is_ok());
        assert!(Vin::parse(" 1M8GDM9AXKP042788 ").is_ok());
        let v: crate::Violation = VinError::Whitespace.into();
        assert_eq!(v.rule, "vin.whitespace");
    }

    #[test]
    fn builds_chinese_maker_vins() {
        let v = Vin::with_check_digit("LSVAM4BQ", "AN123456");
        assert!(matches!(v, Err(VinError::Character('Q', 8))));
        let v = Vin::with_check_digit("LSVAM4B2", "AN123456").map(|v| v.wmi().to_string());
        assert_eq!(v, Ok("LSV".into()));
    }

    proptest! {
        #[test]
        fn never_panics_and_accepted_vins_round_trip(s in any::<String>()) {
            if let Ok(vin) = Vin::parse(&s) {
                prop_assert_eq!(Vin::parse_exact(&vin.to_string()), Ok(vin.clone()));
                prop_assert_eq!(vin.as_str().len(), 17);
            }
            let _ = Vin::parse_exact(&s);
        }

        #[test]
        fn any_generated_vin_parses_and_any_changed_check_digit_fails(
            a in "[A-HJ-NPR-Z0-9]{8}", b in "[A-HJ-NPR-Z0-9]{8}", wrong in "[0-9X]") {
            let vin = Vin::with_check_digit(&a, &b).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let reparsed = Vin::parse(vin.as_str());
            prop_assert_eq!(reparsed, Ok(vin.clone()));
            prop_assert_eq!(Vin::parse_exact(&vin.to_string()), Ok(vin.clone()));
            let mut chars: Vec<char> = vin.as_str().chars().collect();
            let w = wrong.chars().next().unwrap_or('0');
            if chars[8] != w {
                chars[8] = w;
                let changed: String = chars.into_iter().collect();
                let is_check_digit_error = matches!(Vin::parse(&changed), Err(VinError::CheckDigit { .. }));
                prop_assert!(is_check_digit_error);
            }
        }
    }
}
