//! The traction battery's capacity-fade promise on staff pages (issue 19, "EV"): head
//! office's settings page listing every EV model with its promise and the form that
//! sets or changes one (`/console/three-guarantees/fade-promises`), and the station's
//! form recording a battery check of an EV
//! (`/console/vehicles/{id}/three-guarantees/battery-checks/new`), which goes back to the
//! vehicle page's battery section with the verdict and any right it raised.
//!
//! Shares are typed as per cent with at most one decimal (`70`, `70.5`) and sent to the
//! use cases in tenths of a per cent, the unit the API and the domain keep; an error on
//! the share is shown beside the per-cent field. Permissions are the API's: promises
//! `NetworkRead` to see, `NetworkWrite` at head office to set; a check
//! `RepairOrderWrite` on a vehicle within reach.

use super::{permille, t};
use crate::AppState;
use crate::console::chrome::Chrome;
use crate::console::form::{FormData, error_page, render};
use crate::console::session::{ConsoleUser, grant};
use crate::console::toast;
use crate::error::{FieldError, field_errors, page_error};
use app::AppError;
use app::guarantee::battery::{CheckInput, PromiseInput};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use domain::permission::{Action, Reach};
use domain::{Violation, Violations};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The settings page's address.
const PROMISES: &str = "/console/three-guarantees/fade-promises";

/// Routes of the battery pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(PROMISES, get(promises_form).post(set_promise))
        .route(
            "/console/vehicles/{id}/three-guarantees/battery-checks/new",
            get(check_form).post(record_check),
        )
}

/// A per-cent text with at most one decimal (`70`, `70.5`, `70.5 %`) in tenths of a
/// per cent, within `min..=max` tenths; the violation names `field`.
fn percent(field: &str, text: &str, min: i64, max: i64) -> Result<i64, Violation> {
    let s = text.trim().trim_end_matches('%').trim();
    if s.is_empty() {
        return Err(Violation::new(field, "required"));
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    if int.is_empty() || int.len() > 4 || !digits(int) || frac.len() > 1 || !digits(frac) {
        return Err(Violation::new(field, "guarantee.percent_format"));
    }
    let v = int.parse::<i64>().unwrap_or(i64::MAX) * 10 + frac.parse::<i64>().unwrap_or(0);
    if v < min || v > max {
        let show = |x: i64| format!("{}.{}", x / 10, x % 10);
        return Err(
            Violation::new(field, "guarantee.percent_range").with_detail(format!(
                "{}–{}",
                show(min),
                show(max)
            )),
        );
    }
    Ok(v)
}

/// The use case's errors with its permille fields named as the page's per-cent ones.
fn page_errors(lang: crate::i18n::Lang, e: &AppError) -> Vec<FieldError> {
    match e {
        AppError::Invalid(v) | AppError::Refused(v) => {
            let renamed: Vec<Violation> =
                v.0.iter()
                    .cloned()
                    .map(|mut x| {
                        x.field = match x.field.as_str() {
                            "min_share_permille" => "min_share_percent".into(),
                            "share_permille" => "share_percent".into(),
                            _ => x.field,
                        };
                        x
                    })
                    .collect();
            field_errors(lang, &renamed)
        }
        _ => vec![],
    }
}

/// The message on top of a refused form, in the page's language.
fn top_message(lang: crate::i18n::Lang, e: &AppError) -> (String, StatusCode) {
    page_error(lang, e)
}

/// Finds the field's error among `errors`.
fn err_of(errors: &[FieldError], field: &str) -> Option<String> {
    let m: Vec<&str> = errors
        .iter()
        .filter(|e| e.field == field)
        .map(|e| e.message.as_str())
        .collect();
    (!m.is_empty()).then(|| m.join("; "))
}

/// One model as the settings page lists it.
struct ModelRow {
    model: String,
    vehicles: i64,
    share: String,
    window: String,
    has_promise: bool,
    href: String,
}

#[derive(Template)]
#[template(path = "guarantee_promises.html")]
struct PromisesPage {
    chrome: Chrome,
    title: String,
    error: Option<String>,
    action: String,
    rows: Vec<ModelRow>,
    can_write: bool,
    errors: Vec<FieldError>,
    values: HashMap<String, String>,
}

impl PromisesPage {
    fn err(&self, field: &str) -> Option<String> {
        err_of(&self.errors, field)
    }

    fn val(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

/// Whether the user may set promises: `NetworkWrite` at head office.
pub(crate) fn may_set(user: &ConsoleUser) -> bool {
    grant(user, Action::NetworkWrite).is_ok_and(|g| *g.reach() == Reach::All)
}

async fn promises_page(
    s: &AppState,
    user: &ConsoleUser,
    values: HashMap<String, String>,
    failed: Option<&AppError>,
) -> Response {
    let lang = user.lang;
    let title = t(lang, "gt4.promises");
    let chrome = user
        .chrome("three_guarantees")
        .crumb(PROMISES, title.clone());
    let g = match grant(user, Action::NetworkRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let models = match app::guarantee::battery::models(&s.app, &g).await {
        Ok(m) => m,
        Err(e) => return error_page(chrome, &e),
    };
    let mut values = values;
    // "Change" prefills the form with the model's promise.
    if failed.is_none()
        && let Some(m) = values.get("model").cloned()
        && let Some(p) = models
            .iter()
            .find(|x| x.model == m)
            .and_then(|x| x.promise.as_ref())
    {
        let share = permille(p.min_share_permille);
        values.insert(
            "min_share_percent".into(),
            share.trim_end_matches(" %").to_string(),
        );
        values.insert("years".into(), p.years.to_string());
        values.insert("km".into(), p.km.to_string());
    }
    let rows = models
        .iter()
        .map(|m| {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("model", &m.model)
                .finish();
            ModelRow {
                model: m.model.clone(),
                vehicles: m.vehicles,
                share: m
                    .promise
                    .as_ref()
                    .map(|p| format!("≥ {}", permille(p.min_share_permille)))
                    .unwrap_or_else(|| t(lang, "gt4.no_promise_short")),
                window: m
                    .promise
                    .as_ref()
                    .map(|p| format!("{} {} / {} km", p.years, t(lang, "gt4.years"), p.km))
                    .unwrap_or_default(),
                has_promise: m.promise.is_some(),
                href: format!("{PROMISES}?{query}#promise-form"),
            }
        })
        .collect();
    let (error, errors, status) = match failed {
        Some(e) => {
            let (msg, status) = top_message(lang, e);
            (Some(msg), page_errors(lang, e), status)
        }
        None => (None, vec![], StatusCode::OK),
    };
    let page = PromisesPage {
        chrome,
        title,
        error,
        action: PROMISES.into(),
        rows,
        can_write: may_set(user),
        errors,
        values,
    };
    render(&page, status)
}

async fn promises_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let values = q
        .get("model")
        .map(|m| HashMap::from([("model".to_string(), m.trim().to_string())]))
        .unwrap_or_default();
    promises_page(&s, &user, values, None).await
}

async fn set_promise(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let values: HashMap<String, String> = ["model", "min_share_percent", "years", "km"]
        .iter()
        .map(|f| (f.to_string(), form.get(f).trim().to_string()))
        .collect();
    let r = match percent("min_share_percent", form.get("min_share_percent"), 1, 1000) {
        Err(v) => Err(AppError::Invalid(Violations::from(v))),
        Ok(share) => {
            let input: PromiseInput = serde_json::from_value(json!({
                "model": form.get("model").trim(),
                "min_share_permille": share,
                "years": number(form.get("years")),
                "km": number(form.get("km")),
            }))
            .unwrap_or_default();
            match grant(&user, Action::NetworkWrite) {
                Ok(g) => app::guarantee::battery::set_promise(&s.app, &g, &input).await,
                Err(e) => Err(e),
            }
        }
    };
    match r {
        Ok(_) => toast::redirect(&format!("{PROMISES}#promises"), "toast.gt_promise_saved"),
        Err(e) => promises_page(&s, &user, values, Some(&e)).await,
    }
}

/// A typed whole number as the API would receive it; anything else is sent as typed
/// so the use case names the field.
fn number(text: &str) -> Value {
    let s = text.trim();
    match s.parse::<i64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(s),
    }
}

#[derive(Template)]
#[template(path = "guarantee_battery_check.html")]
struct CheckPage {
    chrome: Chrome,
    title: String,
    error: Option<String>,
    action: String,
    vehicle_href: String,
    facts: Vec<(String, String)>,
    today: String,
    errors: Vec<FieldError>,
    values: HashMap<String, String>,
}

impl CheckPage {
    fn err(&self, field: &str) -> Option<String> {
        err_of(&self.errors, field)
    }

    fn val(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

async fn check_page(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    values: Option<HashMap<String, String>>,
    failed: Option<&AppError>,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("vehicles");
    let g = match grant(user, Action::RepairOrderWrite)
        .and_then(|_| grant(user, Action::RepairOrderRead))
    {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let tg = match app::guarantee::for_vehicle(&s.app, &g, id).await {
        Ok(tg) => tg,
        Err(e) => return error_page(chrome, &e),
    };
    let Some(b) = &tg.battery else {
        let e = AppError::Refused(Violation::new("vehicle_id", "guarantee.not_ev").into());
        return error_page(chrome, &e);
    };
    let today = jiff::Timestamp::from_millisecond(s.app.now_ms())
        .map(|ts| {
            ts.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC))
                .date()
                .to_string()
        })
        .unwrap_or_default();
    let station = match (&user.unit_name, lang) {
        (Some((_, en)), crate::i18n::Lang::En) => en.clone(),
        (Some((zh, _)), _) => zh.clone(),
        (None, _) => String::new(),
    };
    let promise = match &b.promise {
        Some(p) => format!(
            "≥ {} · {} {} / {} km",
            permille(p.min_share_permille),
            p.years,
            t(lang, "gt4.years"),
            p.km
        ),
        None => t(lang, "gt4.no_promise"),
    };
    let mut facts = vec![
        (t(lang, "gt2.model"), b.model.clone()),
        (t(lang, "gt4.promise_short"), promise),
    ];
    if !station.is_empty() {
        facts.push((t(lang, "gt4.station"), station));
    }
    let (error, errors, status) = match failed {
        Some(e) => {
            let (msg, status) = top_message(lang, e);
            (Some(msg), page_errors(lang, e), status)
        }
        None => (None, vec![], StatusCode::OK),
    };
    let values = values.unwrap_or_else(|| {
        HashMap::from([
            ("checked_on".to_string(), today.clone()),
            ("odometer_km".to_string(), tg.odometer_km.to_string()),
        ])
    });
    let title = t(lang, "gt4.record_check");
    let page = CheckPage {
        chrome: chrome
            .crumb(format!("/console/vehicles/{id}"), tg.vin.clone())
            .crumb(
                format!("/console/vehicles/{id}/three-guarantees/battery-checks/new"),
                title.clone(),
            ),
        title: format!("{title} · {}", tg.vin),
        error,
        action: format!("/console/vehicles/{id}/three-guarantees/battery-checks/new"),
        vehicle_href: format!("/console/vehicles/{id}"),
        facts,
        today,
        errors,
        values,
    };
    render(&page, status)
}

async fn check_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.trim().parse::<i64>() else {
        return error_page(user.chrome("vehicles"), &AppError::NotFound);
    };
    check_page(&s, &user, id, None, None).await
}

async fn record_check(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let values: HashMap<String, String> = ["checked_on", "odometer_km", "share_percent"]
        .iter()
        .map(|f| (f.to_string(), form.get(f).trim().to_string()))
        .collect();
    let g = match grant(&user, Action::RepairOrderWrite) {
        Ok(g) => g,
        Err(e) => return error_page(user.chrome("vehicles"), &e),
    };
    let r = match percent("share_percent", form.get("share_percent"), 0, 1100) {
        Err(v) => Err(AppError::Invalid(Violations::from(v))),
        Ok(share) => {
            let input: CheckInput = serde_json::from_value(json!({
                "checked_on": form.get("checked_on").trim(),
                "odometer_km": number(form.get("odometer_km")),
                "share_permille": share,
            }))
            .unwrap_or_default();
            app::guarantee::battery::record_check(&s.app, &g, id, &input).await
        }
    };
    match r {
        Ok(check) => {
            // The toast says what the check meant: a right raised, below the promise
            // (a right already held), or recorded.
            let read = grant(&user, Action::RepairOrderRead);
            let position = match &read {
                Ok(r) => app::guarantee::for_vehicle(&s.app, r, id).await,
                Err(_) => Err(AppError::Forbidden),
            };
            let key = match position {
                Ok(tg)
                    if tg
                        .rights
                        .iter()
                        .any(|r| r.fade.as_ref().is_some_and(|f| f.check_id == check)) =>
                {
                    "toast.gt_check_right"
                }
                Ok(tg)
                    if tg.battery.as_ref().is_some_and(|b| {
                        b.checks
                            .iter()
                            .any(|c| c.id == check && c.verdict == "broken")
                    }) =>
                {
                    "toast.gt_check_broken"
                }
                _ => "toast.gt_check_recorded",
            };
            toast::redirect(&format!("/console/vehicles/{id}"), key)
        }
        Err(e) => check_page(&s, &user, id, Some(values), Some(&e)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn a_share_is_typed_in_per_cent_with_one_decimal_at_most() {
        assert_eq!(percent("f", "70", 1, 1000), Ok(700));
        assert_eq!(percent("f", " 70.5 % ", 1, 1000), Ok(705));
        assert_eq!(percent("f", "100", 1, 1000), Ok(1000));
        for bad in ["", "70.55", "abc", "-5", "7e1", ".5"] {
            assert!(percent("f", bad, 1, 1000).is_err(), "{bad}");
        }
        let over = percent("f", "100.1", 1, 1000).err();
        assert_eq!(
            over.as_ref().map(|v| v.rule),
            Some("guarantee.percent_range")
        );
        assert_eq!(over.map(|v| v.field), Some("f".to_string()));
    }
}
