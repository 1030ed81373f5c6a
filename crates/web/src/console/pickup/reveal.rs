//! The address reveal on the hand-over page: the address is masked for everyone; the
//! pick-up's driver and the advisor who scheduled it may show it whole for a purpose
//! from the list (plus a note), on that one answer, until the time the page states.
//! Each reveal and each refused attempt is one audit row (written by the use case).

use super::handover::{Outcome, detail_page};
use crate::AppState;
use crate::console::form::FormData;
use crate::console::session::{ConsoleUser, grant};
use crate::error::page_error;
use crate::i18n::tables;
use app::AppError;
use app::pickup::READ;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

/// `POST /console/pickups/{id}/reveal`: the page again, with the address whole (and
/// until when) or with the reason it was refused. The whole value is not put into a
/// redirect or a session: it lives on this one answer only.
pub(super) async fn reveal(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let input = app::customer::RevealInput {
        field: domain::privacy::Field::PickupAddress.code().to_string(),
        purpose: form.get("purpose").to_string(),
        note: form.get("note").to_string(),
    };
    let r = match grant(&user, READ) {
        Ok(g) => app::pickup::reveal::reveal_address(&s.app, &g, id, &input).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(revealed) => {
            let outcome = Outcome {
                revealed: Some(revealed),
                ..Default::default()
            };
            detail_page(&s, &user, id, outcome, StatusCode::OK).await
        }
        Err(e) => {
            let (msg, status) = match &e {
                AppError::Invalid(v) => (
                    v.0.iter()
                        .map(|x| tables().violation(user.lang, x))
                        .collect::<Vec<_>>()
                        .join("; "),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                _ => page_error(user.lang, &e),
            };
            let outcome = Outcome {
                error: Some(msg),
                ..Default::default()
            };
            detail_page(&s, &user, id, outcome, status).await
        }
    }
}
