//! Receives the three-guarantees forms of the order page ([`super::order`]): each
//! posts, redirects to its anchor with a toast, and on a refusal shows the order page
//! again (`repair_order::page::order_page_with`) with each error beside its field.
//! Kept apart from the section it receives so that the order page, which shows the
//! section, and these handlers, which show the order page, do not import each other.

use super::order::Failed;
use crate::AppState;
use crate::console::form::FormData;
use crate::console::repair_order::page::order_page_with;
use crate::console::session::{ConsoleUser, grant};
use crate::console::toast;
use crate::error::{field_errors, page_error};
use app::AppError;
use app::guarantee::record::{ClockInput, ExcludedInput, ExclusionInput, LineInput};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::permission::{Action, Grant};
use serde_json::Value;

/// Routes of the order page's three-guarantees forms; a GET of an action's address
/// goes back to the order page.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/orders/{id}/three-guarantees/clock",
            get(back).post(clock),
        )
        .route(
            "/console/orders/{id}/three-guarantees/excluded",
            get(back).post(add_excluded),
        )
        .route(
            "/console/orders/{id}/three-guarantees/excluded/{eid}/remove",
            get(back_sub).post(remove_excluded),
        )
        .route(
            "/console/orders/{id}/three-guarantees/faults",
            get(back).post(classify),
        )
        .route(
            "/console/orders/{id}/three-guarantees/faults/{fid}/exclusion",
            get(back_sub).post(exclusion),
        )
}

async fn back(Path(id): Path<String>) -> Response {
    Redirect::to(&format!("/console/orders/{}", id.trim())).into_response()
}

async fn back_sub(Path((id, _)): Path<(String, String)>) -> Response {
    Redirect::to(&format!("/console/orders/{}", id.trim())).into_response()
}

/// The form's fields as the JSON the API's input types read; `bools` are checkboxes.
fn json_of(form: &FormData, fields: &[&str], bools: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for f in fields {
        let v = form.get(f).trim();
        if !v.is_empty() {
            m.insert((*f).into(), Value::String(v.to_string()));
        }
    }
    for b in bools {
        m.insert((*b).into(), Value::Bool(!form.get(b).is_empty()));
    }
    Value::Object(m)
}

fn parse<T: serde::de::DeserializeOwned + Default>(v: Value) -> T {
    serde_json::from_value(v).unwrap_or_default()
}

/// Answers a form: to its anchor with a toast, or the order page again with the
/// errors beside the fields of form `name`.
async fn answer<T>(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    name: &str,
    anchor: &str,
    form: FormData,
    r: Result<T, AppError>,
) -> Response {
    match r {
        Ok(_) => toast::redirect(&format!("/console/orders/{id}#{anchor}"), "toast.saved"),
        Err(e) => {
            let (msg, status) = page_error(user.lang, &e);
            let errors = match &e {
                AppError::Invalid(v) | AppError::Refused(v) => field_errors(user.lang, &v.0),
                _ => vec![],
            };
            let failed = Failed {
                form: name.into(),
                values: form,
                errors,
            };
            order_page_with(s, user, id, Some(msg), status, Some(failed)).await
        }
    }
}

fn write_grant(user: &ConsoleUser) -> Result<Grant, AppError> {
    grant(user, Action::RepairOrderWrite)
}

async fn clock(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match write_grant(&user) {
        Ok(g) => {
            let mut input: ClockInput = parse(json_of(&form, &["agreed_at"], &[]));
            input.completed_at = Value::String(form.get("completed_at").trim().to_string());
            app::guarantee::record::set_clock(&s.app, &g, id, &input).await
        }
        Err(e) => Err(e),
    };
    answer(&s, &user, id, "clock", "gt-clock", form, r).await
}

async fn add_excluded(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match write_grant(&user) {
        Ok(g) => {
            let input: ExcludedInput =
                parse(json_of(&form, &["kind", "from", "to", "evidence"], &[]));
            app::guarantee::record::add_excluded(&s.app, &g, id, &input).await
        }
        Err(e) => Err(e),
    };
    answer(&s, &user, id, "excluded", "gt-excluded", form, r).await
}

async fn remove_excluded(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((id, eid)): Path<(i64, i64)>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match write_grant(&user) {
        Ok(g) => app::guarantee::record::remove_excluded(&s.app, &g, id, eid).await,
        Err(e) => Err(e),
    };
    answer(&s, &user, id, "excluded", "gt-excluded", form, r).await
}

async fn classify(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match write_grant(&user) {
        Ok(g) => {
            let mut v = json_of(
                &form,
                &["part", "system", "code", "action", "art23"],
                &["quality", "serious_safety"],
            );
            // The main-part list's value is `system/part`: the system comes with it.
            if let Some((sys, part)) = form.get("main_part").split_once('/')
                && let Value::Object(m) = &mut v
            {
                m.entry("system")
                    .or_insert_with(|| Value::String(sys.to_string()));
                m.insert("main_part".into(), Value::String(part.to_string()));
            }
            let input: LineInput = parse(v);
            app::guarantee::record::classify(&s.app, &g, id, &input).await
        }
        Err(e) => Err(e),
    };
    answer(&s, &user, id, "fault", "gt-faults", form, r).await
}

async fn exclusion(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((id, fid)): Path<(i64, i64)>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let clear = form.get("op") == "clear";
    let r = match write_grant(&user) {
        Ok(g) if clear => app::guarantee::record::set_exclusion(&s.app, &g, id, fid, None).await,
        Ok(g) => {
            let input: ExclusionInput =
                parse(json_of(&form, &["reason", "explanation", "evidence"], &[]));
            app::guarantee::record::set_exclusion(&s.app, &g, id, fid, Some(&input)).await
        }
        Err(e) => Err(e),
    };
    answer(
        &s,
        &user,
        id,
        &format!("exclusion-{fid}"),
        "gt-faults",
        form,
        r,
    )
    .await
}
