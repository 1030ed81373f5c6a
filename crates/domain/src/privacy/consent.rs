//! The consent ledger (个人信息保护法 Art 13–16; SPEC §15): what a customer agreed to,
//! per purpose, with where the agreement came from and its evidence.
//!
//! The ledger is append-only: a change is a new entry, a withdrawal is an entry with
//! `granted = false`, and the current state of a purpose is its latest entry. No entry
//! means no consent. Every outbound message asks [`allows`] at send time with the
//! [`ConsentPurpose`] its kind needs ([`purpose_of_template`]).

use crate::Violation;
use serde::Serialize;

/// What a customer may agree to, separately (bundled consent is not consent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// Service messages: reminders and progress of their own appointments and orders.
    ServiceContact,
    /// Marketing and campaigns.
    Marketing,
    /// Satisfaction surveys and follow-up calls (回访).
    Surveys,
    /// Sharing their data with insurers and partners.
    DataSharing,
}

impl ConsentPurpose {
    /// Every purpose, in the order pages list them.
    pub const ALL: [ConsentPurpose; 4] = [
        ConsentPurpose::ServiceContact,
        ConsentPurpose::Marketing,
        ConsentPurpose::Surveys,
        ConsentPurpose::DataSharing,
    ];

    /// The stable code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            ConsentPurpose::ServiceContact => "service_contact",
            ConsentPurpose::Marketing => "marketing",
            ConsentPurpose::Surveys => "surveys",
            ConsentPurpose::DataSharing => "data_sharing",
        }
    }

    /// The purpose named by `code`.
    pub fn from_code(code: &str) -> Option<ConsentPurpose> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// Where a consent entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentSource {
    /// Given at the service desk (the customer form).
    Desk,
    /// Changed by the owner on their phone page.
    OwnerPhone,
    /// Given on a call; the evidence names the recording.
    Call,
    /// Carried in by a CSV import.
    Import,
    /// Migrated from the old yes/no flags: there is no evidence of how it was given.
    Legacy,
    /// Withdrawn because head office carried out the owner's deletion request (the
    /// evidence names the request).
    PrivacyRequest,
}

impl ConsentSource {
    /// Every source.
    pub const ALL: [ConsentSource; 6] = [
        ConsentSource::Desk,
        ConsentSource::OwnerPhone,
        ConsentSource::Call,
        ConsentSource::Import,
        ConsentSource::Legacy,
        ConsentSource::PrivacyRequest,
    ];

    /// The sources staff may record by hand (the owner's page records `owner_phone`
    /// itself; imports and the migration write theirs).
    pub const STAFF: [ConsentSource; 2] = [ConsentSource::Desk, ConsentSource::Call];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ConsentSource::Desk => "desk",
            ConsentSource::OwnerPhone => "owner_phone",
            ConsentSource::Call => "call",
            ConsentSource::Import => "import",
            ConsentSource::Legacy => "legacy",
            ConsentSource::PrivacyRequest => "privacy_request",
        }
    }

    /// The source named by `code`.
    pub fn from_code(code: &str) -> Option<ConsentSource> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// The purposes withdrawn, by new ledger entries, when an owner's contact details are
/// erased on their deletion request: nothing more is sent to them for marketing or
/// surveys and nothing is shared. Service contact is left as it was, so the answer to
/// that very request (a service message) still reaches them; with the contact details
/// gone there is nobody left to send anything else to.
pub const WITHDRAWN_ON_ERASURE: [ConsentPurpose; 3] = [
    ConsentPurpose::Marketing,
    ConsentPurpose::Surveys,
    ConsentPurpose::DataSharing,
];

/// Longest evidence text kept.
pub const EVIDENCE_MAX: usize = 500;

/// A checked change to record: one purpose, given or withdrawn, from a source, with
/// its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentChange {
    /// Which purpose.
    pub purpose: ConsentPurpose,
    /// Given (`true`) or withdrawn (`false`).
    pub granted: bool,
    /// Where it came from.
    pub source: ConsentSource,
    /// What proves it (a form reference, the call recording's reference).
    pub evidence: String,
}

impl ConsentChange {
    /// Reads a change recorded by staff: `purpose` from the list, `granted` given,
    /// `source` one of `allowed`, evidence up to [`EVIDENCE_MAX`] characters and
    /// required for a call (the recording reference). Every broken rule is returned.
    pub fn parse(
        purpose: &str,
        granted: Option<bool>,
        source: &str,
        evidence: &str,
        allowed: &[ConsentSource],
    ) -> Result<ConsentChange, Vec<Violation>> {
        let mut v = Vec::new();
        let p = ConsentPurpose::from_code(purpose.trim());
        if p.is_none() {
            v.push(Violation::new("purpose", "consent.purpose"));
        }
        if granted.is_none() {
            v.push(Violation::new("granted", "consent.granted"));
        }
        let s = ConsentSource::from_code(source.trim()).filter(|s| allowed.contains(s));
        if s.is_none() {
            v.push(Violation::new("source", "consent.source"));
        }
        let evidence = crate::text::clean(evidence, EVIDENCE_MAX, crate::text::Lines::One);
        let evidence = match evidence {
            Ok(e) => e.unwrap_or_default(),
            Err(_) => {
                v.push(Violation::new("evidence", "consent.evidence"));
                String::new()
            }
        };
        if evidence.chars().count() > EVIDENCE_MAX
            || (s == Some(ConsentSource::Call) && evidence.chars().count() < 2)
        {
            v.push(Violation::new("evidence", "consent.evidence"));
        }
        match (p, granted, s) {
            (Some(purpose), Some(granted), Some(source)) if v.is_empty() => Ok(ConsentChange {
                purpose,
                granted,
                source,
                evidence,
            }),
            _ => Err(v),
        }
    }
}

/// One entry as the ledger holds it (the part the rules need).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Ledger order (the entry's id): later entries win.
    pub seq: i64,
    /// Which purpose.
    pub purpose: ConsentPurpose,
    /// Given or withdrawn.
    pub granted: bool,
}

/// The current state of `purpose`: its latest entry's answer, or no consent when the
/// ledger has none.
pub fn allows(entries: &[Entry], purpose: ConsentPurpose) -> bool {
    entries
        .iter()
        .filter(|e| e.purpose == purpose)
        .max_by_key(|e| e.seq)
        .is_some_and(|e| e.granted)
}

/// The consent an outbound message needs, by its template: `None` for what the
/// customer asked for themselves (a sign-in code), surveys for surveys and follow-up
/// calls, marketing for campaigns, service contact for everything else (an unknown
/// kind is held to the service rule rather than sent freely).
pub fn purpose_of_template(template: &str) -> Option<ConsentPurpose> {
    if template == "otp" {
        None
    } else if template.starts_with("survey") || template.starts_with("follow_up") {
        Some(ConsentPurpose::Surveys)
    } else if template.starts_with("campaign") || template.starts_with("marketing") {
        Some(ConsentPurpose::Marketing)
    } else {
        Some(ConsentPurpose::ServiceContact)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_names_every_broken_field() {
        let e = ConsentChange::parse("marketing", Some(false), "", "", &ConsentSource::STAFF)
            .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "source");
        let e = ConsentChange::parse("x", None, "legacy", "", &ConsentSource::STAFF).unwrap_err();
        let f: Vec<_> = e.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(f, ["purpose", "granted", "source"]);
        let e = ConsentChange::parse("surveys", Some(true), "call", " ", &ConsentSource::STAFF)
            .unwrap_err();
        assert_eq!(e[0].field, "evidence");
        let ok = ConsentChange::parse(
            "surveys",
            Some(true),
            "call",
            " REC-1 ",
            &ConsentSource::STAFF,
        )
        .unwrap();
        assert_eq!(ok.evidence, "REC-1");
        assert_eq!(ok.source, ConsentSource::Call);
    }

    #[test]
    fn templates_need_their_purpose() {
        assert_eq!(purpose_of_template("otp"), None);
        assert_eq!(
            purpose_of_template("appointment_reminder"),
            Some(ConsentPurpose::ServiceContact)
        );
        assert_eq!(
            purpose_of_template("survey_invite"),
            Some(ConsentPurpose::Surveys)
        );
        assert_eq!(
            purpose_of_template("campaign_offer"),
            Some(ConsentPurpose::Marketing)
        );
    }

    #[test]
    fn erasure_withdraws_what_is_not_service_and_the_answer_still_reaches() {
        assert!(!WITHDRAWN_ON_ERASURE.contains(&ConsentPurpose::ServiceContact));
        for p in [
            ConsentPurpose::Marketing,
            ConsentPurpose::Surveys,
            ConsentPurpose::DataSharing,
        ] {
            assert!(WITHDRAWN_ON_ERASURE.contains(&p), "{p:?}");
        }
        assert_eq!(
            purpose_of_template("privacy_request_answered"),
            Some(ConsentPurpose::ServiceContact)
        );
    }

    #[test]
    fn codes_round_trip() {
        for p in ConsentPurpose::ALL {
            assert_eq!(ConsentPurpose::from_code(p.code()), Some(p));
        }
        for s in ConsentSource::ALL {
            assert_eq!(ConsentSource::from_code(s.code()), Some(s));
        }
    }

    fn purpose() -> impl Strategy<Value = ConsentPurpose> {
        (0usize..4).prop_map(|i| ConsentPurpose::ALL[i])
    }

    proptest! {
        /// The current state is the answer of the last entry of that purpose, whatever
        /// the other purposes hold, and an empty history is no consent.
        #[test]
        fn latest_entry_wins(history in proptest::collection::vec((purpose(), any::<bool>()), 0..30), asked in purpose()) {
            let entries: Vec<Entry> = history.iter().enumerate()
                .map(|(i, (p, g))| Entry { seq: i as i64, purpose: *p, granted: *g })
                .collect();
            let expected = history.iter().rev().find(|(p, _)| *p == asked).is_some_and(|(_, g)| *g);
            prop_assert_eq!(allows(&entries, asked), expected);
            // Appending a withdrawal always ends consent; appending a grant always gives it.
            let mut more = entries.clone();
            more.push(Entry { seq: 1000, purpose: asked, granted: false });
            prop_assert!(!allows(&more, asked));
            more.push(Entry { seq: 1001, purpose: asked, granted: true });
            prop_assert!(allows(&more, asked));
        }
    }
}
