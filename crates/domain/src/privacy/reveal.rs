//! A reveal: one field's whole value, for one purpose from a fixed list plus the
//! caller's own words, visible for a limited time and audited once.

use super::policy::Field;
use crate::Violation;
use serde::Serialize;

/// How long a revealed value stays on the caller's screen: long enough for the call
/// or the hand-over, not for the rest of the day.
pub const VISIBLE_MS: i64 = 10 * 60 * 1000;

/// Why a whole value is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevealPurpose {
    /// Calling the customer back.
    Callback,
    /// Checking who is at the desk or on the phone.
    IdentityCheck,
    /// Driving to the address to pick up or return the car.
    PickupReturn,
    /// Correcting the record at the owner's request.
    Correction,
    /// A dispute over an approval, a bill or a claim.
    Dispute,
    /// A request by an authority with a legal basis.
    LegalRequest,
    /// Anything else: the note must say what.
    Other,
}

impl RevealPurpose {
    /// Every purpose, in the order forms list them.
    pub const ALL: [RevealPurpose; 7] = [
        RevealPurpose::Callback,
        RevealPurpose::IdentityCheck,
        RevealPurpose::PickupReturn,
        RevealPurpose::Correction,
        RevealPurpose::Dispute,
        RevealPurpose::LegalRequest,
        RevealPurpose::Other,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            RevealPurpose::Callback => "callback",
            RevealPurpose::IdentityCheck => "identity_check",
            RevealPurpose::PickupReturn => "pickup_return",
            RevealPurpose::Correction => "correction",
            RevealPurpose::Dispute => "dispute",
            RevealPurpose::LegalRequest => "legal_request",
            RevealPurpose::Other => "other",
        }
    }

    /// The purpose named by `code`.
    pub fn from_code(code: &str) -> Option<RevealPurpose> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// A checked reveal request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealRequest {
    /// The one field to show whole.
    pub field: Field,
    /// Why.
    pub purpose: RevealPurpose,
    /// The caller's own words (required for `other`).
    pub note: String,
}

impl RevealRequest {
    /// Reads a request: `field` must be one of `allowed`, `purpose` from the list, and
    /// the note 0–200 characters (2–200 for `other`). Every broken rule is returned.
    pub fn parse(
        field: &str,
        purpose: &str,
        note: &str,
        allowed: &[Field],
    ) -> Result<RevealRequest, Vec<Violation>> {
        let mut v = Vec::new();
        let f = Field::from_code(field.trim()).filter(|f| allowed.contains(f));
        if f.is_none() {
            v.push(Violation::new("field", "reveal.field"));
        }
        let p = RevealPurpose::from_code(purpose.trim());
        if p.is_none() {
            v.push(Violation::new("purpose", "reveal.purpose"));
        }
        let note = note.trim().to_string();
        let n = note.chars().count();
        if n > 200 || (p == Some(RevealPurpose::Other) && n < 2) {
            v.push(Violation::new("note", "reveal.note"));
        }
        match (f, p) {
            (Some(field), Some(purpose)) if v.is_empty() => Ok(RevealRequest {
                field,
                purpose,
                note,
            }),
            _ => Err(v),
        }
    }

    /// The reason written to the audit row: `purpose: note`.
    pub fn reason(&self) -> String {
        if self.note.is_empty() {
            self.purpose.code().to_string()
        } else {
            format!("{}: {}", self.purpose.code(), self.note)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CUSTOMER: [Field; 2] = [Field::CustomerPhone, Field::CustomerIdNumber];

    #[test]
    fn one_field_one_purpose() {
        let r = RevealRequest::parse("phone", "callback", " 回电 ", &CUSTOMER).unwrap();
        assert_eq!(r.field, Field::CustomerPhone);
        assert_eq!(r.reason(), "callback: 回电");
    }

    #[test]
    fn refuses_missing_purpose_unknown_field_and_bare_other() {
        let e = RevealRequest::parse("address", "", "", &CUSTOMER).unwrap_err();
        let fields: Vec<_> = e.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["field", "purpose"]);
        let e = RevealRequest::parse("phone", "other", "x", &CUSTOMER).unwrap_err();
        assert_eq!(e[0].field, "note");
    }
}
