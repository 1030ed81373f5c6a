//! The hand-over page of one pick-up: driver, checklist, photos (a plain
//! `multipart/form-data` upload, checked like the API: type, size, magic bytes), the
//! owner's confirmation at the car with a signature reference, cancel with a reason, and
//! the history.

use super::*;
use crate::AppState;
use crate::console::chrome::{Chrome, show_time, urlencode};
use crate::console::form::{FormData, error_page, render, t};
use crate::console::session::ConsoleUser;
use crate::console::session::grant;
use crate::error::page_error;
use crate::i18n::tables;
use app::AppError;
use app::pickup::{CHECKLIST, ChecklistItem, ConfirmInput, MAX_PHOTO_BYTES, PhotoError};
use app::pickup::{READ, WRITE};
use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::{Violation, Violations};
use std::collections::HashMap;

/// Largest upload request read: a photo at the limit plus the form around it; larger
/// ones up to twice the limit are still read so the page can say why it was refused.
pub const UPLOAD_READ_LIMIT: usize = 2 * MAX_PHOTO_BYTES + 64 * 1024;

// ----- the hand-over page -----

/// One checklist line as shown and edited.
pub(super) struct ItemRow {
    code: &'static str,
    label: String,
    /// `ok`, `issue` or "" (not recorded).
    state: String,
    state_label: String,
    note: String,
}

/// The hand-over page.
#[derive(Template)]
#[template(path = "pickup_detail.html")]
pub(super) struct DetailPage {
    chrome: Chrome,
    title: String,
    notice: Option<String>,
    error: Option<String>,
    /// The rule of a refused upload (`photo.type`, `photo.magic`, `photo.size`, …).
    error_rule: Option<String>,
    base: String,
    facts: Vec<(String, String)>,
    /// The car: (its page, its plate or VIN).
    vehicle: (String, String),
    /// The appointment or order served: (href, text).
    source: Option<(String, String)>,
    scheduled: bool,
    can_write: bool,
    drivers: Vec<(i64, String)>,
    driver_id: i64,
    items: Vec<ItemRow>,
    missing: String,
    photos: Vec<(i64, String)>,
    photos_full: bool,
    timeline: Vec<(String, String, String, String)>,
    /// The address reveal form (its driver and scheduling advisor), when offered.
    reveal: Option<super::address::RevealForm>,
}

/// What to show besides the page itself.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) notice: Option<String>,
    pub(super) error: Option<String>,
    pub(super) error_rule: Option<String>,
    /// The address just revealed, shown on this one answer only.
    pub(super) revealed: Option<app::customer::Revealed>,
}

pub(super) async fn detail_page(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    let lang = user.lang;
    let chrome = user
        .chrome("pickups")
        .crumb("/console/pickups", t(lang, "pk.title"));
    let g = match grant(user, READ) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let v = match app::pickup::get(&s.app, &g, id).await {
        Ok(v) => v,
        Err(e) => return error_page(chrome, &e),
    };
    let history = app::pickup::history(&s.app, &g, id)
        .await
        .unwrap_or_default();
    let p = &v.pickup;
    let drivers = drivers(s, lang, p.station_id).await;
    let names = app::pickup::names(&s.app, &g, p, &super::named::drivers_named(&history))
        .await
        .unwrap_or_default();
    let name_of = |d: i64| {
        drivers
            .iter()
            .chain(&names.staff)
            .find(|n| n.0 == d)
            .map(|n| n.1.clone())
            .unwrap_or_else(|| t(lang, "pk.driver_unknown"))
    };
    let station = if lang == crate::i18n::Lang::En {
        names.station_en.clone()
    } else {
        names.station_zh.clone()
    };
    let appointment_at = names.appointment_at.map(show_time).unwrap_or_default();
    let mut facts = vec![
        (t(lang, "pk.kind"), t(lang, &format!("pk.kind.{}", p.kind))),
        (
            t(lang, "pk.state"),
            t(lang, &format!("pk.state.{}", p.state)),
        ),
        (t(lang, "field.station_id"), station),
        (
            t(lang, "pk.address"),
            super::address::address(&outcome.revealed, &p.address),
        ),
        (t(lang, "pk.window"), window(p.window_start, p.window_end)),
        (
            t(lang, "pk.driver"),
            p.driver_id
                .map(name_of)
                .unwrap_or_else(|| t(lang, "pk.no_driver")),
        ),
    ];
    if let (Some(by), Some(at)) = (&p.confirmed_by, p.confirmed_at) {
        let channel = history
            .iter()
            .rev()
            .find(|e| e.kind == "owner_confirmed")
            .and_then(|e| e.data["channel"].as_str().map(str::to_string))
            .unwrap_or_else(|| app::pickup::CHANNEL_AT_CAR.into());
        facts.push((
            t(lang, "pk.confirmed"),
            format!(
                "{by} · {} · {}",
                show_time(at),
                t(lang, &format!("pk.channel.{channel}"))
            ),
        ));
        if let Some(sig) = &p.signature_ref {
            facts.push((t(lang, "field.signature_ref"), sig.clone()));
        }
    }
    if let Some(r) = &outcome.revealed {
        facts.push((t(lang, "field.visible_until"), show_time(r.visible_until)));
    }
    if let Some(r) = &p.cancel_reason {
        facts.push((t(lang, "pk.cancel_reason"), r.clone()));
    }
    // The car names the order (orders have no number of their own): its plate, else VIN.
    let car = names.plate.clone().unwrap_or_else(|| names.vin.clone());
    let source = match (p.appointment_id, p.repair_order_id) {
        (Some(a), _) => Some((
            format!("/console/appointments/{a}"),
            tables().fill(lang, "pk.for_appointment", &[("at", &appointment_at)]),
        )),
        (None, Some(o)) => Some((
            format!("/console/orders/{o}"),
            tables().fill(lang, "pk.for_order", &[("car", &car)]),
        )),
        _ => None,
    };
    let recorded = app::pickup::checklist_of(p);
    let items = CHECKLIST
        .iter()
        .map(|code| {
            let r = recorded.iter().find(|i| i.code == *code);
            let state = match r {
                Some(i) if i.ok => "ok",
                Some(_) => "issue",
                None => "",
            };
            ItemRow {
                code,
                label: t(lang, &format!("field.item_{code}")),
                state: state.into(),
                state_label: t(
                    lang,
                    &format!(
                        "pk.item_state.{}",
                        if state.is_empty() { "none" } else { state }
                    ),
                ),
                note: r.and_then(|i| i.note.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let missing: Vec<String> = app::pickup::missing_items(p)
        .into_iter()
        .map(|c| t(lang, &format!("field.item_{c}")))
        .collect();
    let actors: Vec<(&str, i64)> = history
        .iter()
        .map(|e| (e.actor_role.as_str(), e.actor_id))
        .collect();
    let people = app::people::actor_names(&s.app, &actors)
        .await
        .unwrap_or_default();
    let served = super::named::Served {
        appointment_at: &appointment_at,
        order_car: &car,
    };
    let timeline = super::named::timeline(lang, &history, &name_of, &served, &people);
    // A hand-over is known by what it does and to which car: "送车上门 · 京A12345".
    let kind = t(lang, &format!("pk.kind.{}", p.kind));
    let page = DetailPage {
        chrome: chrome.crumb(format!("/console/pickups/{id}"), car.clone()),
        title: format!("{kind} · {car}"),
        notice: outcome.notice,
        error: outcome.error,
        error_rule: outcome.error_rule,
        base: format!("/console/pickups/{id}"),
        facts,
        vehicle: (format!("/console/vehicles/{}", p.vehicle_id), car.clone()),
        source,
        scheduled: p.state == "scheduled",
        can_write: grant(user, WRITE).is_ok(),
        driver_id: p.driver_id.unwrap_or_default(),
        drivers,
        items,
        missing: missing.join(", "),
        photos_full: v.photos.len() >= app::pickup::MAX_PHOTOS,
        photos: v
            .photos
            .iter()
            .map(|ph| {
                (
                    ph.id,
                    format!(
                        "{} · {} KiB",
                        ph.content_type,
                        (ph.size_bytes + 1023) / 1024
                    ),
                )
            })
            .collect(),
        timeline,
        reveal: super::address::form(lang, v.can_reveal && outcome.revealed.is_none()),
    };
    render(&page, status)
}

/// Notices a page may be asked to show after a change.
pub(super) const NOTICES: [&str; 6] = [
    "scheduled",
    "driver",
    "checklist",
    "photo",
    "confirmed",
    "cancelled",
];

pub(super) async fn detail(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = q
        .get("notice")
        .and_then(|n| NOTICES.iter().find(|k| *k == n))
        .map(|k| t(user.lang, &format!("pk.notice.{k}")));
    let outcome = Outcome {
        notice,
        ..Default::default()
    };
    detail_page(&s, &user, id, outcome, StatusCode::OK).await
}

/// After a change: back to the page with a notice (303), or the page with the error.
pub(super) async fn after(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    notice: &str,
    r: Result<(), AppError>,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!(
            "/console/pickups/{id}?notice={}",
            urlencode(notice)
        ))
        .into_response(),
        Err(e) => {
            let (msg, status) = page_error(user.lang, &e);
            let outcome = Outcome {
                error: Some(msg),
                ..Default::default()
            };
            detail_page(s, user, id, outcome, status).await
        }
    }
}

pub(super) async fn driver(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match (
        grant(&user, WRITE),
        form.get("driver_id").trim().parse::<i64>(),
    ) {
        (Err(e), _) => Err(e),
        (_, Err(_)) => Err(AppError::Invalid(
            Violation::new("driver_id", "required").into(),
        )),
        (Ok(g), Ok(d)) => app::pickup::assign_driver(&s.app, &g, id, d).await,
    };
    after(&s, &user, id, "driver", r).await
}

/// Reads the checklist form: per item a state (`ok`, `issue`, or "" for not recorded)
/// and a note. A note on an item without a state is refused rather than dropped.
pub(super) fn checklist_items(form: &FormData) -> Result<Vec<ChecklistItem>, AppError> {
    let mut v = Violations::new();
    let mut items = Vec::new();
    for code in CHECKLIST {
        let state = form.get(&format!("state_{code}")).trim();
        let note = form.get(&format!("note_{code}")).trim();
        let ok = match state {
            "ok" => true,
            "issue" => false,
            "" => {
                if !note.is_empty() {
                    v.push(Violation::new(format!("item_{code}"), "required"));
                }
                continue;
            }
            _ => {
                v.push(
                    Violation::new(format!("item_{code}"), "pickup.item_state")
                        .with_detail("ok, issue"),
                );
                continue;
            }
        };
        items.push(ChecklistItem {
            code: code.to_string(),
            ok,
            note: (!note.is_empty()).then(|| note.to_string()),
        });
    }
    v.into_result()?;
    Ok(items)
}

pub(super) async fn checklist(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match (grant(&user, WRITE), checklist_items(&form)) {
        (Err(e), _) | (_, Err(e)) => Err(e),
        (Ok(g), Ok(items)) => app::pickup::set_checklist(&s.app, &g, id, &items).await,
    };
    after(&s, &user, id, "checklist", r).await
}

/// A refused upload: the page with the rule's sentence, naming the rule.
pub(super) async fn refused_upload(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    rule: &'static str,
    status: StatusCode,
) -> Response {
    let mut v = Violation::new("photo", rule);
    if rule == "photo.count" {
        v = v.with_detail(app::pickup::MAX_PHOTOS.to_string());
    }
    let outcome = Outcome {
        error: Some(tables().violation(user.lang, &v)),
        error_rule: Some(rule.to_string()),
        ..Default::default()
    };
    detail_page(s, user, id, outcome, status).await
}

/// The status of a refused photo: 413 too large, 415 a wrong type or lying bytes.
pub fn photo_status(e: PhotoError) -> StatusCode {
    match e {
        PhotoError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        PhotoError::Type | PhotoError::Magic => StatusCode::UNSUPPORTED_MEDIA_TYPE,
    }
}

/// A submitted upload form: the CSRF token, the photo part and small text fields.
#[derive(Default)]
pub struct Upload {
    /// The CSRF token sent.
    pub csrf: String,
    /// The file part (the photo, or a complaint's evidence): declared content type,
    /// file name, bytes (at most the limit).
    pub photo: Option<(String, String, Vec<u8>)>,
    /// The file was larger than the limit.
    pub too_large: bool,
    /// Other text fields (at most 256 bytes each), e.g. the checkpoint of an audit
    /// photo.
    pub fields: Vec<(String, String)>,
}

/// Reads the multipart form, keeping at most [`MAX_PHOTO_BYTES`] of the photo (and
/// noting when it was larger) and small text fields.
pub async fn read_upload(mp: Multipart) -> Result<Upload, PhotoError> {
    read_file_upload(mp, "photo", MAX_PHOTO_BYTES).await
}

/// Reads a multipart form whose file part is named `file_field`, keeping at most `cap`
/// bytes of it in [`Upload::photo`] (and noting when it was larger) and small text
/// fields; shared by every upload form of the console (hand-over and audit photos,
/// complaint evidence) and the owner's pages.
pub async fn read_file_upload(
    mut mp: Multipart,
    file_field: &str,
    cap: usize,
) -> Result<Upload, PhotoError> {
    let file_cap = cap;
    let mut up = Upload::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(up),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(PhotoError::TooLarge);
            }
            // A broken form: treated as no photo at all.
            Err(_) => return Ok(up),
        };
        let name = field.name().unwrap_or("").to_string();
        let ct = field.content_type().unwrap_or("").to_string();
        let file = field.file_name().unwrap_or("").to_string();
        let mut field = field;
        let cap = if name == file_field { file_cap } else { 256 };
        let mut buf = Vec::new();
        let mut over = false;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > cap {
                        over = true;
                    } else {
                        buf.extend_from_slice(&chunk);
                    }
                }
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(PhotoError::TooLarge);
                }
                Err(_) => return Ok(up),
            }
        }
        match name.as_str() {
            "csrf" if !over => up.csrf = String::from_utf8_lossy(&buf).into_owned(),
            n if n == file_field => {
                up.too_large = over;
                up.photo = Some((ct, file, buf));
            }
            _ if !over => up
                .fields
                .push((name, String::from_utf8_lossy(&buf).into_owned())),
            _ => {}
        }
    }
}

pub(super) async fn upload(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let Ok(mp) = mp else {
        // Not a multipart form at all.
        let e = AppError::Invalid(Violation::new("photo", "required").into());
        return after(&s, &user, id, "photo", Err(e)).await;
    };
    let up = match read_upload(mp).await {
        Ok(u) => u,
        Err(e) => {
            // Too large to read the form: the token could not be checked, so nothing
            // is stored and only the rule is shown.
            return refused_upload(&s, &user, id, e.rule(), photo_status(e)).await;
        }
    };
    if let Err(r) = user.check_csrf(&FormData(vec![("csrf".into(), up.csrf.clone())])) {
        return r;
    }
    let g = match grant(&user, WRITE) {
        Ok(g) => g,
        Err(e) => return after(&s, &user, id, "photo", Err(e)).await,
    };
    let Some((ct, file, bytes)) = up.photo.filter(|(_, f, b)| !(f.is_empty() && b.is_empty()))
    else {
        let e = AppError::Invalid(Violation::new("photo", "required").into());
        return after(&s, &user, id, "photo", Err(e)).await;
    };
    if up.too_large {
        return refused_upload(
            &s,
            &user,
            id,
            PhotoError::TooLarge.rule(),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
    }
    if let Err(e) = app::pickup::check_photo(&ct, &bytes) {
        return refused_upload(&s, &user, id, e.rule(), photo_status(e)).await;
    }
    tracing::debug!(pickup = id, file = %file, size = bytes.len(), "hand-over photo");
    match app::pickup::add_photo(&s.app, &g, id, &ct, &bytes).await {
        Ok(_) => Redirect::to(&format!("/console/pickups/{id}?notice=photo")).into_response(),
        Err(AppError::Refused(v)) if v.0.iter().any(|x| x.rule == "photo.count") => {
            refused_upload(&s, &user, id, "photo.count", StatusCode::CONFLICT).await
        }
        Err(e) => after(&s, &user, id, "photo", Err(e)).await,
    }
}

/// A hand-over or audit photo, byte for byte, never sniffed as anything else: the
/// one stored-file response ([`crate::api::file::stored_file`]) without a name.
pub fn photo_response(content_type: &str, bytes: Vec<u8>) -> Response {
    crate::api::file::stored_file(content_type, bytes, None)
}

pub(super) async fn photo(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((id, photo_id)): Path<(i64, i64)>,
) -> Response {
    let r = match grant(&user, READ) {
        Ok(g) => app::pickup::photo(&s.app, &g, id, photo_id).await,
        Err(e) => Err(e),
    };
    match r {
        Ok((ct, bytes)) => photo_response(&ct, bytes),
        Err(e) => error_page(user.chrome("pickups"), &e),
    }
}

pub(super) async fn confirm(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let input = ConfirmInput {
        signed_by: form.get("signed_by").into(),
        signature_ref: form.get("signature_ref").into(),
    };
    let r = match grant(&user, WRITE) {
        Ok(g) => app::pickup::confirm(&s.app, &g, id, &input).await,
        Err(e) => Err(e),
    };
    after(&s, &user, id, "confirmed", r).await
}

pub(super) async fn cancel(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, WRITE) {
        Ok(g) => app::pickup::cancel(&s.app, &g, id, form.get("reason")).await,
        Err(e) => Err(e),
    };
    after(&s, &user, id, "cancelled", r).await
}
