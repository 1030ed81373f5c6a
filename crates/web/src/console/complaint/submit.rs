//! Receives the working forms of the complaint detail page ([`super::forms`], and the
//! evidence upload of [`super::attachment`]): each
//! form posts to its own path; success goes back to the form's anchor with a toast
//! (post–redirect–get), bad input shows the page again ([`super::detail::show`]) with
//! each error beside its field and the typed values kept.

use super::super::form::{FormData, error_page};
use super::super::session::{ConsoleUser, grant};
use super::super::toast;
use super::forms::{FORMS, Failed};
use crate::AppState;
use app::AppError;
use app::complaint::ComplaintRow;
use app::complaint::action::{
    AnalysisInput, FollowUpInput, GoodwillInput, NoteInput, ReassignInput, SeverityInput, ZeroInput,
};
use axum::Router;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use domain::permission::Action;
use domain::{Violation, money::Money};

/// Routes of the working forms.
pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for form in FORMS {
        let form: &'static str = form;
        r = r.route(
            &format!("/console/complaints/{{id}}/{form}"),
            post(
                move |s: State<AppState>, user: ConsoleUser, id: Path<String>, data: FormData| {
                    submit(s, user, id, data, form)
                },
            ),
        );
    }
    r
}

/// Goodwill typed in yuan, as the use case's fen; a bad amount is a field error.
fn goodwill_input(data: &FormData) -> Result<GoodwillInput, AppError> {
    let value = Money::parse_yuan(data.get("value")).map_err(|_| {
        AppError::Invalid(Violation::new("value", "complaint.goodwill_yuan").into())
    })?;
    Ok(GoodwillInput {
        kind: data.get("kind").to_string(),
        value: value.fen(),
        note: data.get("note").to_string(),
    })
}

async fn run(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    form: &str,
    data: &FormData,
) -> Result<ComplaintRow, AppError> {
    let grant = user
        .session
        .principal
        .grant(Action::ComplaintWrite)
        .map_err(|_| AppError::Forbidden)?;
    let a = &s.app;
    let note = || NoteInput {
        note: data.get("note").to_string(),
    };
    use app::complaint::{action, closure};
    match form {
        "respond" => action::respond(a, &grant, id, &note()).await,
        "analyse" => {
            let input = AnalysisInput {
                responsibility: data.get("responsibility").to_string(),
                cause: data.get("cause").to_string(),
                part_number: Some(data.get("part_number").to_string()),
            };
            action::analyse(a, &grant, id, &input).await
        }
        "zero" => {
            let input = ZeroInput {
                zero: data.get("zero").to_string(),
                status: data.get("status").to_string(),
                text: data.get("text").to_string(),
            };
            closure::set_zero(a, &grant, id, &input).await
        }
        "follow-up" => {
            let input = FollowUpInput {
                satisfaction: data.get("satisfaction").trim().parse().unwrap_or(0),
                accepts_closure: data.get("accepts_closure") == "on",
                note: data.get("note").to_string(),
            };
            closure::follow_up(a, &grant, id, &input).await
        }
        "goodwill" => closure::grant_goodwill(a, &grant, id, &goodwill_input(data)?).await,
        "pause" => action::wait_for_customer(a, &grant, id, true).await,
        "resume" => action::wait_for_customer(a, &grant, id, false).await,
        "reassign" => {
            let input = ReassignInput {
                station_id: data.get("station_id").trim().parse().unwrap_or(0),
            };
            action::reassign(a, &grant, id, &input).await
        }
        "severity" => {
            let reason = data.get("urgent_reason").trim();
            let input = SeverityInput {
                severity: data.get("severity").to_string(),
                urgent_reason: (!reason.is_empty()).then(|| reason.to_string()),
            };
            action::change_severity(a, &grant, id, &input).await
        }
        "part" => {
            let input = app::complaint::part::PartInput {
                part_number: Some(data.get("part_number").to_string()),
            };
            app::complaint::part::name_part(a, &grant, id, &input).await
        }
        _ => Err(AppError::NotFound),
    }
}

/// Handles one form: PRG to its anchor with a toast, or the page again with errors.
async fn submit(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    data: FormData,
    form: &'static str,
) -> Response {
    if let Err(r) = user.check_csrf(&data) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(user.chrome("complaints"), &AppError::NotFound);
    };
    if form == "reassign" && data.get("confirmed") != "1" {
        return crate::console::repair_order::confirm_page(
            &user,
            &data,
            "complaint.confirm_reassign",
        );
    }
    match run(&s, &user, id, form, &data).await {
        Ok(_) => toast::redirect(
            &format!("/console/complaints/{id}#{form}"),
            &format!("toast.complaint.{form}"),
        ),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            let failed = Failed {
                form,
                values: data,
                error: e,
            };
            super::detail::show(&s, &user, id, Some(failed)).await
        }
        Err(e) => error_page(user.chrome("complaints"), &e),
    }
}

/// `POST /console/complaints/{id}/attachments`: one file. Success goes back to the
/// files' box with a toast; a refusal shows the page again with the rule beside the
/// field (413 too large, 415 a wrong type or lying bytes, 422 a bad name, 409 a
/// closed complaint or too many files), nothing kept.
pub async fn upload(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let chrome = user.chrome("complaints");
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &AppError::NotFound);
    };
    let csrf_form = |token: String| super::super::form::FormData(vec![("csrf".into(), token)]);
    let sent = match super::attachment::read(mp).await {
        Ok((csrf, name, ct, bytes)) => {
            if let Err(r) = user.check_csrf(&csrf_form(csrf)) {
                return r;
            }
            match grant(&user, Action::ComplaintWrite) {
                Ok(g) => app::complaint::attachment::add(&s.app, &g, id, &name, &ct, &bytes)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            }
        }
        Err((csrf, e)) => {
            // A form too large to read has no token to check; nothing is kept anyway.
            if let Some(token) = csrf
                && let Err(r) = user.check_csrf(&csrf_form(token))
            {
                return r;
            }
            Err(e)
        }
    };
    match sent {
        Ok(()) => super::super::toast::redirect(
            &format!("/console/complaints/{id}#attachments"),
            "toast.complaint.attachment",
        ),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            let status = super::attachment::refusal_status(&e);
            let failed = Failed {
                form: "attachment",
                values: csrf_form(String::new()),
                error: e,
            };
            let mut r = super::detail::show(&s, &user, id, Some(failed)).await;
            if r.status().is_client_error() {
                *r.status_mut() = status;
            }
            r
        }
        Err(e) => error_page(chrome, &e),
    }
}
