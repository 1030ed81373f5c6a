//! The owner's service page (one template: book or my appointments; the progress page
//! has its own, `owner_track.html`)
//! and what the owner pages of every area share: the signed-in owner, their language.

use crate::AppState;
use crate::extract::{SESSION_COOKIE, cookie};
use crate::i18n::{I18n, Lang, tables};
use app::auth::Session;
use askama::Template;
use axum::http::request::Parts;
use domain::permission::Action;

/// The owner's service page (book or list).
#[derive(Template, Default)]
#[template(path = "owner_page.html")]
pub(crate) struct Page {
    pub(crate) lang: Lang,
    pub(crate) t: Option<&'static I18n>,
    pub(crate) title: String,
    pub(crate) kind: &'static str,
    pub(crate) signed_in: bool,
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) csrf: String,
    /// The one-time token of this rendering's booking forms.
    pub(crate) form_token: String,
    pub(crate) vehicles: Vec<(i64, String)>,
    pub(crate) service_types: Vec<(String, String)>,
    pub(crate) vehicle_id: i64,
    pub(crate) service_type: String,
    pub(crate) station_id: String,
    pub(crate) start: String,
    pub(crate) concern: String,
    pub(crate) offers: Vec<(i64, String, String)>,
    pub(crate) items: Vec<Item>,
}

/// One of the owner's appointments as listed.
#[derive(Default)]
pub(crate) struct Item {
    pub(crate) id: i64,
    pub(crate) text: String,
    /// Still booked: may be rescheduled or cancelled.
    pub(crate) open: bool,
}

/// The electronic bill as the owner's progress page shows it.
#[derive(Default)]
pub(crate) struct BillShow {
    pub(crate) number: String,
    /// Name, quantity, amount, and whether the line is a free comeback.
    pub(crate) lines: Vec<(String, String, String, bool)>,
    pub(crate) net: String,
    pub(crate) vat_rate: String,
    pub(crate) vat: String,
    pub(crate) gross: String,
    pub(crate) outstanding: String,
    pub(crate) paid: bool,
    pub(crate) paid_at: String,
    /// The last online payment failed or was left pending.
    pub(crate) last_failed: bool,
}

/// The owner's rating once given, on the progress page.
#[derive(Default)]
pub(crate) struct RatingShow {
    pub(crate) stars: String,
    pub(crate) comment: String,
}

impl Page {
    pub(crate) fn new(lang: Lang, title_key: &str, kind: &'static str) -> Page {
        Page {
            lang,
            t: Some(tables()),
            title: tables().t(lang, title_key).to_string(),
            kind,
            form_token: app::idempotency::form_token(),
            ..Default::default()
        }
    }
}

/// Template helper: the tables (always set).
pub(crate) trait Tables {
    fn tr<'a>(&'a self, lang: &Lang, key: &'a str) -> &'a str;
}

pub(crate) async fn owner(s: &AppState, parts: &Parts) -> Option<Session> {
    let token = cookie(parts, SESSION_COOKIE)?;
    let session = app::auth::session(&s.app, token).await.ok()??;
    session.principal.grant(Action::AppointmentBook).ok()?;
    (session.principal.role == domain::role::Role::Owner).then_some(session)
}

pub(crate) fn lang_of(parts: &Parts) -> Lang {
    crate::console::session::visitor_lang(parts)
}
