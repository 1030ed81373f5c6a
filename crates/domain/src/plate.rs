//! Chinese licence plates (SPEC §15): 京A12345, and 8-character new-energy plates 粤BD12345.

use serde::{Serialize, Serializer};
use std::fmt;

/// The one-character province abbreviations that open a civil plate.
pub const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// A civil licence plate: province character, issuing-authority letter, then 5
/// characters (ordinary, 7 in all) or 6 (new-energy, 8 in all, D/F in the first or
/// last position after the letter). 学/警/挂 endings of special plates are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Plate(String);

/// Why a text is not a plate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlateError {
    /// Not 7 or 8 characters.
    #[error("a plate has 7 characters (8 for new-energy)")]
    Length,
    /// First character is not a province abbreviation.
    #[error("the plate must start with a province character such as 京 or 粤")]
    Province,
    /// Second character is not a letter A–Z.
    #[error("the second character must be a letter")]
    Authority,
    /// The serial has characters not allowed on plates.
    #[error("the serial may hold digits and letters except I and O")]
    Serial,
    /// 8 characters but not a new-energy pattern.
    #[error("an 8-character plate must be a new-energy plate (D or F)")]
    NewEnergy,
}

impl From<PlateError> for crate::Violation {
    fn from(e: PlateError) -> Self {
        let rule = match e {
            PlateError::Length => "plate.length",
            PlateError::Province => "plate.province",
            PlateError::Authority => "plate.authority",
            PlateError::Serial => "plate.serial",
            PlateError::NewEnergy => "plate.new_energy",
        };
        crate::Violation::new("plate", rule)
    }
}

fn serial_char(c: char) -> bool {
    (c.is_ascii_digit() || c.is_ascii_uppercase()) && c != 'I' && c != 'O'
}

impl Plate {
    /// Parses a plate, ignoring spaces, a middle dot and letter case.
    pub fn parse(s: &str) -> Result<Plate, PlateError> {
        let chars: Vec<char> = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '·' && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if chars.len() != 7 && chars.len() != 8 {
            return Err(PlateError::Length);
        }
        if !PROVINCES.contains(chars[0]) {
            return Err(PlateError::Province);
        }
        if !chars[1].is_ascii_uppercase() {
            return Err(PlateError::Authority);
        }
        let serial = &chars[2..];
        let last = serial[serial.len() - 1];
        let special_end = matches!(last, '学' | '警' | '挂');
        let body = if special_end {
            &serial[..serial.len() - 1]
        } else {
            serial
        };
        if !body.iter().all(|c| serial_char(*c)) {
            return Err(PlateError::Serial);
        }
        if chars.len() == 8 {
            // New energy: small cars D/F then 5 digits; large vehicles 5 digits then D/F.
            let small = matches!(serial[0], 'D' | 'F')
                && serial[1..]
                    .iter()
                    .all(|c| c.is_ascii_digit() || serial_char(*c));
            let large = matches!(last, 'D' | 'F') && serial[..5].iter().all(|c| c.is_ascii_digit());
            if !(small || large) || special_end {
                return Err(PlateError::NewEnergy);
            }
        }
        Ok(Plate(chars.into_iter().collect()))
    }

    /// The plate text without separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a new-energy (green) plate.
    pub fn is_new_energy(&self) -> bool {
        self.0.chars().count() == 8
    }

    /// The province character.
    pub fn province(&self) -> char {
        self.0.chars().next().unwrap_or('京')
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Plate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The plates [`Plate::parse`] accepts, as a regular expression without anchors for
/// the OpenAPI document: province, authority letter and serial in either letter case,
/// with spaces, `·` or `-` between the characters.
pub fn pattern_core() -> String {
    const SEP: &str = "[ \\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000\\u00B7-]*";
    const X: &str = "[0-9A-HJ-NP-Za-hj-np-z]";
    let join = |parts: &[&str]| parts.join(SEP);
    let province = format!("[{PROVINCES}]");
    let head = join(&[&province, "[A-Za-z]"]);
    let ordinary = join(&[X, X, X, X, "[0-9A-HJ-NP-Za-hj-np-z学警挂]"]);
    let small = join(&["[DFdf]", X, X, X, X, X]);
    let large = join(&["[0-9]", "[0-9]", "[0-9]", "[0-9]", "[0-9]", "[DFdf]"]);
    format!("{head}{SEP}(?:{ordinary}|{small}|{large})")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published pattern and the parser agree on plates and near-plates.
    #[test]
    fn the_pattern_accepts_what_the_parser_accepts() {
        let re = regex::Regex::new(&format!("^(?:{})$", pattern_core()))
            .unwrap_or_else(|e| panic!("{e}"));
        for s in [
            "京A12345",
            "粤BD12345",
            "粤b·d1234 5",
            "沪A1234学",
            "粤B12345D",
            "京a-1234f",
            "京A1234I",
            "京AI2345",
            "京112345",
            "A12345",
            "京A123456",
            "粤BD1234学",
            "京A 1 2 3 4 5",
            "粤B1234DD",
            "京A12O45",
        ] {
            assert_eq!(re.is_match(s), Plate::parse(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn ordinary_and_new_energy_plates() {
        assert_eq!(
            Plate::parse("京A12345").map(|p| p.is_new_energy()),
            Ok(false)
        );
        assert_eq!(
            Plate::parse("粤BD12345").map(|p| p.is_new_energy()),
            Ok(true)
        );
        assert_eq!(
            Plate::parse("粤b·d1234 5").map(|p| p.to_string()),
            Ok("粤BD12345".into())
        );
        assert_eq!(
            Plate::parse("沪A12345F").map(|p| p.is_new_energy()),
            Ok(true)
        );
        assert!(Plate::parse("京A1234学").is_ok());
    }

    #[test]
    fn rejects_bad_plates() {
        assert_eq!(Plate::parse("X A12345"), Err(PlateError::Province));
        assert_eq!(Plate::parse("京112345"), Err(PlateError::Authority));
        assert_eq!(Plate::parse("京A1234"), Err(PlateError::Length));
        assert_eq!(Plate::parse("京AI2345"), Err(PlateError::Serial));
        assert_eq!(Plate::parse("京A123456"), Err(PlateError::NewEnergy));
    }
}
