//! The pick-up address as the hand-over page shows it: masked, or whole on the answer
//! to a reveal, and the reveal form offered to the driver and the scheduling advisor.
//! Its own file so the page (`handover`) and the reveal action (`reveal`) need not
//! import each other.

use crate::console::form::t;
use crate::i18n::Lang;
use domain::privacy::reveal::RevealPurpose;

/// The reveal form as the page shows it.
pub(super) struct RevealForm {
    /// The purposes: (code, translated label).
    pub(super) purposes: Vec<(String, String)>,
}

/// The form, when the caller may reveal and has not just done so.
pub(super) fn form(lang: Lang, offered: bool) -> Option<RevealForm> {
    offered.then(|| RevealForm {
        purposes: RevealPurpose::ALL
            .iter()
            .map(|p| {
                let code = p.code();
                (
                    code.to_string(),
                    t(lang, &format!("privacy.purpose.{code}")),
                )
            })
            .collect(),
    })
}

/// The address to show: the revealed whole value on the answer to a reveal, else the
/// masked one the view model carries.
pub(super) fn address(revealed: &Option<app::customer::Revealed>, masked: &str) -> String {
    match revealed {
        Some(r) => r.value.clone().unwrap_or_else(|| masked.to_string()),
        None => masked.to_string(),
    }
}
