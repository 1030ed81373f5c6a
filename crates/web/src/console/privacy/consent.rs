//! The consent section of the customer page: the state of each purpose with how and
//! when it was given, the whole history, the messages the ledger held back, and the
//! form that records a change with its source and evidence (posted to the customer
//! page's own route, `console::customer`).

use crate::AppState;
use crate::console::chrome::{Chrome, show_time};
use crate::console::form::{ConsentBox, Section};
use crate::console::session::ConsoleUser;
use crate::i18n::tables;
use app::privacy::consent::ConsentEntry;
use domain::privacy::consent::{ConsentPurpose, ConsentSource};

/// A purpose's name in the page's language.
pub fn purpose_label(chrome: &Chrome, code: &str) -> String {
    chrome.t(&format!("consent.purpose.{code}"))
}

/// A source's name in the page's language.
pub fn source_label(chrome: &Chrome, code: &str) -> String {
    chrome.t(&format!("consent.source.{code}"))
}

/// Given / withdrawn in the page's language.
pub fn answer_label(chrome: &Chrome, granted: bool) -> String {
    chrome.t(if granted {
        "consent.given"
    } else {
        "consent.withdrawn"
    })
}

/// Evidence the system writes itself (the customer form, the owner's page, imports),
/// shown in the page's language; what staff typed is shown as typed, numbers masked.
const SYSTEM_EVIDENCE: [(&str, &str); 5] = [
    ("customer form", "consent.evidence.customer_form"),
    (
        "signed in with a one-time code",
        "consent.evidence.owner_code",
    ),
    ("csv import", "consent.evidence.csv_import"),
    ("demo data", "consent.evidence.demo_data"),
    ("test fixture", "consent.evidence.demo_data"),
];

fn evidence(chrome: &Chrome, e: &ConsentEntry) -> String {
    if e.source == "legacy" {
        return chrome.t("consent.no_evidence");
    }
    match SYSTEM_EVIDENCE.iter().find(|(text, _)| *text == e.evidence) {
        Some((_, key)) => chrome.t(key),
        None => domain::privacy::text::mask_numbers(&e.evidence),
    }
}

/// The sections of the customer page about consent, and the form when the user may
/// record a change. Nothing when the user may not read the customer.
pub async fn sections(
    s: &AppState,
    user: &ConsoleUser,
    chrome: &Chrome,
    customer_id: i64,
) -> (Vec<Section>, Option<ConsentBox>) {
    let Ok(g) = user.session.principal.grant(app::privacy::consent::READ) else {
        return (Vec::new(), None);
    };
    let Ok(v) = app::privacy::consent::of_customer(&s.app, &g, customer_id).await else {
        return (Vec::new(), None);
    };
    let current = Section {
        title: chrome.t("consent.section"),
        headers: vec![
            chrome.t("consent.purpose"),
            chrome.t("consent.state"),
            chrome.t("consent.source"),
            chrome.t("consent.at"),
            chrome.t("consent.evidence"),
        ],
        rows: v
            .purposes
            .iter()
            .map(|p| match &p.latest {
                Some(e) => vec![
                    purpose_label(chrome, &p.purpose),
                    answer_label(chrome, e.granted),
                    source_label(chrome, &e.source),
                    show_time(e.at),
                    evidence(chrome, e),
                ],
                None => vec![
                    purpose_label(chrome, &p.purpose),
                    chrome.t("consent.never"),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            })
            .collect(),
    };
    let history = Section {
        title: chrome.t("consent.history"),
        headers: vec![
            chrome.t("consent.at"),
            chrome.t("consent.purpose"),
            chrome.t("consent.state"),
            chrome.t("consent.source"),
            chrome.t("consent.evidence"),
            chrome.t("consent.by"),
        ],
        rows: v
            .history
            .iter()
            .map(|e| {
                vec![
                    show_time(e.at),
                    purpose_label(chrome, &e.purpose),
                    answer_label(chrome, e.granted),
                    source_label(chrome, &e.source),
                    evidence(chrome, e),
                    chrome.t(&format!("role.{}", e.actor_role)),
                ]
            })
            .collect(),
    };
    let mut out = vec![current, history];
    if let Ok(ms) = app::privacy::consent::messages(&s.app, &g, customer_id).await
        && !ms.is_empty()
    {
        out.push(Section {
            title: chrome.t("consent.messages"),
            headers: vec![
                chrome.t("consent.message"),
                chrome.t("field.channel"),
                chrome.t("consent.message_status"),
            ],
            rows: ms
                .iter()
                .map(|m| {
                    let status = match m.suppressed_reason.as_deref() {
                        Some(r) => {
                            let purpose = r.trim_start_matches("consent:");
                            tables().fill(
                                chrome.lang,
                                "consent.suppressed_for",
                                &[("purpose", &purpose_label(chrome, purpose))],
                            )
                        }
                        None => chrome.t(&format!("outbox.status.{}", m.status)),
                    };
                    vec![
                        chrome.t(&format!("template.{}", m.template)),
                        chrome.t(&format!("channel.{}", m.channel)),
                        status,
                    ]
                })
                .collect(),
        });
    }
    let can_write = user
        .session
        .principal
        .grant(app::privacy::consent::WRITE)
        .is_ok();
    let form = can_write.then(|| ConsentBox {
        action: format!("/console/customers/{customer_id}/consent"),
        purposes: ConsentPurpose::ALL
            .iter()
            .map(|p| (p.code().to_string(), purpose_label(chrome, p.code())))
            .collect(),
        sources: ConsentSource::STAFF
            .iter()
            .map(|p| (p.code().to_string(), source_label(chrome, p.code())))
            .collect(),
    });
    (out, form)
}
