//! Payments through a provider interface with signed callbacks (a local sandbox
//! provider ships), the owner's rating, pick-up and delivery with hand-over photos,
//! iCalendar feeds and the follow-up calls (SPEC §4–§5, §10).
//!
//! [`router`] holds the routes under `/api/v1`; [`public_router`] the ones outside
//! it, which must be merged into the app's router: the sandbox provider's checkout
//! page (`/sandbox-pay/{payment_ref}`) and the owners' calendar feeds
//! (`/ical/owner/{token}.ics`).
//!
//! Permissions: until dedicated actions exist, writes need `VehicleWrite` and reads
//! `VehicleRead` ([`app::payment::WRITE`] / [`app::payment::READ`]). The provider's
//! callback carries no principal: its HMAC-SHA256 signature is the authority. Owner
//! routes under `/owner-links/{token}` use the transparent-workshop link token.

use super::{Created, ListQuery, ReasonInput, path_id};
use crate::AppState;
use crate::error::{ApiError, ProblemDoc, field_errors};
use crate::extract::{ApiLang, Caller, JsonBody};
use crate::i18n::{Lang, tables, yuan};
use app::AppError;
use app::payment::bill::{BillView, CallbackOutcome, DeskPaymentInput, OnlinePayment};
use app::payment::follow_up::{CallInput, FollowUpView};
use app::payment::pickup::{ChecklistItem, ConfirmInput, PhotoError, PickupInput, PickupView};
use app::payment::provider::SIGNATURE_HEADER;
use app::payment::rating::RatingInput;
use app::payment::{READ, WRITE};
use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::Violation;
use std::collections::HashMap;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        issue_bill,
        get_bill,
        pay_at_desk,
        start_online,
        payment_callback,
        rate_at_desk,
        order_follow_up,
        owner_bill,
        owner_start_online,
        owner_rate,
        schedule_pickup,
        list_pickups,
        get_pickup,
        assign_driver,
        set_checklist,
        upload_photo,
        get_photo,
        confirm_pickup,
        cancel_pickup,
        station_calendar,
        issue_calendar_token,
        revoke_calendar_token,
        own_calendar_token,
        list_follow_ups,
        complete_follow_up,
        sandbox_page,
        sandbox_submit,
        owner_calendar,
    ),
    components(schemas(ProblemDoc))
)]
pub struct PaymentApi;

/// Routes of this area under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repair-orders/{id}/bill", get(get_bill).post(issue_bill))
        .route("/repair-orders/{id}/payments", post(pay_at_desk))
        .route("/repair-orders/{id}/payments/online", post(start_online))
        .route("/repair-orders/{id}/rating", post(rate_at_desk))
        .route("/repair-orders/{id}/follow-up", get(order_follow_up))
        .route("/payments/callback", post(payment_callback))
        .route("/owner-links/{token}/bill", get(owner_bill))
        .route(
            "/owner-links/{token}/payments/online",
            post(owner_start_online),
        )
        .route("/owner-links/{token}/rating", post(owner_rate))
        .route("/pickups", get(list_pickups).post(schedule_pickup))
        .route("/pickups/{id}", get(get_pickup))
        .route("/pickups/{id}/driver", post(assign_driver))
        .route("/pickups/{id}/checklist", put(set_checklist))
        .route("/pickups/{id}/photos", put(upload_photo))
        .route("/pickups/{id}/photos/{photo_id}", get(get_photo))
        .route("/pickups/{id}/confirm", post(confirm_pickup))
        .route("/pickups/{id}/cancel", post(cancel_pickup))
        .route("/stations/{id}/appointments.ics", get(station_calendar))
        .route(
            "/customers/{id}/calendar-token",
            post(issue_calendar_token).delete(revoke_calendar_token),
        )
        .route("/me/calendar-token", post(own_calendar_token))
        .route("/follow-ups", get(list_follow_ups))
        .route("/follow-ups/{id}/call", post(complete_follow_up))
}

/// Routes outside `/api/v1`: the sandbox provider's checkout page and the owners'
/// calendar feeds. To be merged into the app's router next to [`crate::api::router`].
pub fn public_router() -> Router<AppState> {
    Router::new().route("/ical/owner/{file}", get(owner_calendar))
}

/// The sandbox payment provider's checkout page: only served when the
/// `payment_sandbox` setting is on (the demo turns it on; production leaves it off).
pub fn sandbox_router() -> Router<AppState> {
    Router::new().route(
        "/sandbox-pay/{payment_ref}",
        get(sandbox_page).post(sandbox_submit),
    )
}

/// A problem document with a status of our choosing, naming the broken rules.
fn problem(
    status: StatusCode,
    kind: &str,
    title_key: &str,
    lang: Lang,
    v: Vec<Violation>,
) -> Response {
    let errors = field_errors(lang, &v);
    let title = tables().t(lang, title_key).to_string();
    let detail = if errors.is_empty() {
        title.clone()
    } else {
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let doc = ProblemDoc {
        kind: format!("/problems/{kind}"),
        title,
        status: status.as_u16(),
        detail,
        errors,
    };
    let mut r = (status, serde_json::to_vec(&doc).unwrap_or_default()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    r
}

fn photo_problem(e: PhotoError, lang: Lang) -> Response {
    let v = vec![Violation::new("body", e.rule())];
    match e {
        PhotoError::TooLarge => problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "payment.error.photo_too_large",
            lang,
            v,
        ),
        PhotoError::Type | PhotoError::Magic => problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "payment.error.photo_type",
            lang,
            v,
        ),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Json<serde_json::Value> {
    Json(serde_json::to_value(v).unwrap_or_default())
}

/// Issues the electronic bill of a delivered order (again: the same bill).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/bill", tag = "payments", params(("id" = i64, Path)), responses((status = 200, body = BillView), (status = 409, body = ProblemDoc)))]
pub async fn issue_bill(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<BillView>, ApiError> {
    let g = c.grant(WRITE)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::payment::bill::issue(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The bill of an order with its payments, what is owed and the rating.
#[utoipa::path(get, path = "/api/v1/repair-orders/{id}/bill", tag = "payments", params(("id" = i64, Path)), responses((status = 200, body = BillView), (status = 404, body = ProblemDoc)))]
pub async fn get_bill(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<BillView>, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::payment::bill::view(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Records a payment taken at the desk (cash, card, WeChat, Alipay); the amount must
/// be what is owed.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/payments", tag = "payments", params(("id" = i64, Path)), request_body = DeskPaymentInput, responses((status = 201, description = "The payment"), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn pay_at_desk(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<DeskPaymentInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let p = app::payment::bill::pay_at_desk(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, json(&p)))
}

/// Which provider to pay through.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OnlineInput {
    /// Provider code; `sandbox` (the default) ships.
    pub provider: Option<String>,
}

/// Starts an online payment of what is owed; answers the provider's checkout URL.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/payments/online", tag = "payments", params(("id" = i64, Path)), request_body = OnlineInput, responses((status = 201, body = OnlinePayment), (status = 409, body = ProblemDoc)))]
pub async fn start_online(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<OnlineInput>,
) -> Result<(StatusCode, Json<OnlinePayment>), ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let p = app::payment::bill::start_online(&s.app, &g, id, input.provider.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// The payment provider's callback, signed with HMAC-SHA256 in the
/// `X-Aftersales-Signature` header (`t=<unix ms>,v1=<hex>` over `t.body`). A forged
/// or stale signature is 401, a wrong amount or a closed payment 409; nothing
/// changes then. A repeated callback answers 200 with `changed: false`.
#[utoipa::path(post, path = "/api/v1/payments/callback", tag = "payments", request_body = app::payment::provider::Callback, params(("X-Aftersales-Signature" = String, Header)), responses((status = 200, body = CallbackOutcome), (status = 401, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn payment_callback(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    headers: HeaderMap,
    body: String,
) -> Response {
    let sig = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match app::payment::bill::callback(&s.app, sig, &body).await {
        Ok(out) => Json(out).into_response(),
        Err(AppError::Refused(v)) if v.0.first().is_some_and(|x| x.field == "signature") => {
            tracing::warn!(
                rule = v.0.first().map(|x| x.rule),
                "payment callback refused"
            );
            problem(
                StatusCode::UNAUTHORIZED,
                "signature",
                "payment.error.signature",
                lang,
                v.0,
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "payment callback refused");
            ApiError::app(e, lang).into_response()
        }
    }
}

/// Records the owner's rating given at the desk (1–5 and a comment, once).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/rating", tag = "payments", params(("id" = i64, Path)), request_body = RatingInput, responses((status = 201, description = "The rating"), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn rate_at_desk(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<RatingInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let r = app::payment::rating::rate_at_desk(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, json(&r)))
}

/// The follow-up call task of a delivered order.
#[utoipa::path(get, path = "/api/v1/repair-orders/{id}/follow-up", tag = "follow-ups", params(("id" = i64, Path)), responses((status = 200, description = "The task"), (status = 404, body = ProblemDoc)))]
pub async fn order_follow_up(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    let f = app::payment::follow_up::for_order(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&f))
}

/// The bill, from the owner's transparent-workshop link.
#[utoipa::path(get, path = "/api/v1/owner-links/{token}/bill", tag = "payments", params(("token" = String, Path)), responses((status = 200, body = BillView), (status = 404, body = ProblemDoc)))]
pub async fn owner_bill(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
) -> Result<Json<BillView>, ApiError> {
    Ok(Json(
        app::payment::bill::owner_view(&s.app, &token)
            .await
            .map_err(|e| ApiError::app(e, lang))?,
    ))
}

/// The owner starts an online payment from the link.
#[utoipa::path(post, path = "/api/v1/owner-links/{token}/payments/online", tag = "payments", params(("token" = String, Path)), request_body = OnlineInput, responses((status = 201, body = OnlinePayment), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn owner_start_online(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
    JsonBody(input): JsonBody<OnlineInput>,
) -> Result<(StatusCode, Json<OnlinePayment>), ApiError> {
    let input = input?;
    let p = app::payment::bill::owner_start_online(&s.app, &token, input.provider.as_deref())
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// The owner rates the delivered order from the link (1–5 and a comment, once).
#[utoipa::path(post, path = "/api/v1/owner-links/{token}/rating", tag = "payments", params(("token" = String, Path)), request_body = RatingInput, responses((status = 201, description = "The rating"), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn owner_rate(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
    JsonBody(input): JsonBody<RatingInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let input = input?;
    let r = app::payment::rating::rate_by_owner(&s.app, &token, &input)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok((StatusCode::CREATED, json(&r)))
}

/// Schedules a pick-up (for an appointment) or a return (for a repair order).
#[utoipa::path(post, path = "/api/v1/pickups", tag = "pickups", request_body = PickupInput, responses((status = 201, body = Created), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn schedule_pickup(
    State(s): State<AppState>,
    c: Caller,
    JsonBody(input): JsonBody<PickupInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = app::payment::pickup::schedule(&s.app, &g, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A station's pick-ups whose window starts in `[from, to)` (UTC ms; default: from
/// a day ago to two weeks ahead).
#[utoipa::path(get, path = "/api/v1/pickups", tag = "pickups", params(("station_id" = i64, Query), ("from" = Option<i64>, Query), ("to" = Option<i64>, Query)), responses((status = 200, description = "The pick-ups"), (status = 422, body = ProblemDoc)))]
pub async fn list_pickups(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let g = c.grant(READ)?;
    let q = ListQuery(q);
    let now = s.app.now_ms();
    let station = q.int("station_id", c.lang)?.ok_or_else(|| {
        c.err(AppError::Invalid(
            Violation::new("station_id", "required").into(),
        ))
    })?;
    let from = q.int("from", c.lang)?.unwrap_or(now - 86_400_000);
    let to = q.int("to", c.lang)?.unwrap_or(now + 14 * 86_400_000);
    let rows = app::payment::pickup::list(&s.app, &g, station, from, to)
        .await
        .map_err(|e| c.err(e))?;
    Ok(json(&rows))
}

/// A pick-up with its checklist and photos.
#[utoipa::path(get, path = "/api/v1/pickups/{id}", tag = "pickups", params(("id" = i64, Path)), responses((status = 200, body = PickupView), (status = 404, body = ProblemDoc)))]
pub async fn get_pickup(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<PickupView>, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::payment::pickup::get(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The driver to assign.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DriverInput {
    /// Staff id of the driver (staff of the station).
    pub driver_id: i64,
}

/// Assigns the driver.
#[utoipa::path(post, path = "/api/v1/pickups/{id}/driver", tag = "pickups", params(("id" = i64, Path)), request_body = DriverInput, responses((status = 204), (status = 422, body = ProblemDoc)))]
pub async fn assign_driver(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<DriverInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::payment::pickup::assign_driver(&s.app, &g, id, input.driver_id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The hand-over checklist.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistInput {
    /// Items (exterior, interior, fuel, odometer, belongings, keys, documents).
    pub items: Vec<ChecklistItem>,
}

/// Records the hand-over checklist.
#[utoipa::path(put, path = "/api/v1/pickups/{id}/checklist", tag = "pickups", params(("id" = i64, Path)), request_body = ChecklistInput, responses((status = 204), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn set_checklist(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ChecklistInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::payment::pickup::set_checklist(&s.app, &g, id, &input.items)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Uploads a hand-over photo as the raw request body (`Content-Type` image/jpeg,
/// image/png or image/webp, magic bytes matching; at most 5 MiB, 12 per hand-over).
/// Another type or mismatching bytes are 415, a larger body 413, the 13th photo 409.
#[utoipa::path(put, path = "/api/v1/pickups/{id}/photos", tag = "pickups", params(("id" = i64, Path)), request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 201, body = Created), (status = 409, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 415, body = ProblemDoc)))]
pub async fn upload_photo(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let g = match c.grant(WRITE) {
        Ok(g) => g,
        Err(e) => return e.into_response(),
    };
    let id = match path_id(&id, c.lang) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Err(e) = app::payment::pickup::photo_type(ct) {
        return photo_problem(e, c.lang);
    }
    // A body somewhat over the limit is still read (and dropped) so the client gets
    // the 413 instead of a broken pipe; one far over it is refused unread.
    let limit = app::payment::pickup::MAX_PHOTO_BYTES;
    let read_cap = 2 * limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > read_cap) {
        return photo_problem(PhotoError::TooLarge, c.lang);
    }
    let bytes = match axum::body::to_bytes(body, read_cap).await {
        Ok(b) if b.len() <= limit => b,
        _ => return photo_problem(PhotoError::TooLarge, c.lang),
    };
    if let Err(e) = app::payment::pickup::check_photo(ct, &bytes) {
        return photo_problem(e, c.lang);
    }
    match app::payment::pickup::add_photo(&s.app, &g, id, ct, &bytes).await {
        Ok(photo) => (StatusCode::CREATED, Json(Created { id: photo })).into_response(),
        Err(e) => c.err(e).into_response(),
    }
}

/// A hand-over photo, byte for byte, with its content type.
#[utoipa::path(get, path = "/api/v1/pickups/{id}/photos/{photo_id}", tag = "pickups", params(("id" = i64, Path), ("photo_id" = i64, Path)), responses((status = 200, description = "The image"), (status = 404, body = ProblemDoc)))]
pub async fn get_photo(
    State(s): State<AppState>,
    c: Caller,
    Path((id, photo_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    let photo_id = path_id(&photo_id, c.lang)?;
    let (ct, bytes) = app::payment::pickup::photo(&s.app, &g, id, photo_id)
        .await
        .map_err(|e| c.err(e))?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(r)
}

/// Records the owner's confirmation of the hand-over (checklist complete, photos taken).
#[utoipa::path(post, path = "/api/v1/pickups/{id}/confirm", tag = "pickups", params(("id" = i64, Path)), request_body = ConfirmInput, responses((status = 204), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn confirm_pickup(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ConfirmInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::payment::pickup::confirm(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels a scheduled pick-up with a reason.
#[utoipa::path(post, path = "/api/v1/pickups/{id}/cancel", tag = "pickups", params(("id" = i64, Path)), request_body = ReasonInput, responses((status = 204), (status = 409, body = ProblemDoc)))]
pub async fn cancel_pickup(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ReasonInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::payment::pickup::cancel(&s.app, &g, id, &input.reason)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

fn calendar(body: String, name: &str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    r
}

/// A station's appointments as an iCalendar feed (RFC 5545), for signed-in staff.
#[utoipa::path(get, path = "/api/v1/stations/{id}/appointments.ics", tag = "calendar", params(("id" = i64, Path)), responses((status = 200, description = "text/calendar", content_type = "text/calendar"), (status = 404, body = ProblemDoc)))]
pub async fn station_calendar(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    let body = app::payment::ical::station_feed(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(calendar(body, &format!("station-{id}.ics")))
}

/// A calendar-feed token and the feed's path.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CalendarToken {
    /// The token (shown once; only its hash is kept).
    pub token: String,
    /// The feed's path on this server, `/ical/owner/{token}.ics`.
    pub url: String,
}

/// Issues a customer's calendar-feed token, replacing any earlier one.
#[utoipa::path(post, path = "/api/v1/customers/{id}/calendar-token", tag = "calendar", params(("id" = i64, Path)), responses((status = 201, body = CalendarToken), (status = 404, body = ProblemDoc)))]
pub async fn issue_calendar_token(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<CalendarToken>), ApiError> {
    let g = c.grant(WRITE)?;
    let id = path_id(&id, c.lang)?;
    let token = app::payment::ical::issue_owner_token(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(CalendarToken {
            url: app::payment::ical::owner_feed_path(&token),
            token,
        }),
    ))
}

/// Revokes a customer's calendar-feed token.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/calendar-token", tag = "calendar", params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ProblemDoc)))]
pub async fn revoke_calendar_token(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let id = path_id(&id, c.lang)?;
    app::payment::ical::revoke_owner_token(&s.app, &g, id)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A signed-in owner issues their own calendar-feed token.
#[utoipa::path(post, path = "/api/v1/me/calendar-token", tag = "calendar", responses((status = 201, body = CalendarToken), (status = 403, body = ProblemDoc)))]
pub async fn own_calendar_token(
    State(s): State<AppState>,
    c: Caller,
) -> Result<(StatusCode, Json<CalendarToken>), ApiError> {
    let token = app::payment::ical::issue_own_token(&s.app, &c.principal)
        .await
        .map_err(|e| c.err(e))?;
    Ok((
        StatusCode::CREATED,
        Json(CalendarToken {
            url: app::payment::ical::owner_feed_path(&token),
            token,
        }),
    ))
}

/// Open follow-up calls, most urgent first: `station_id`, `due_before` (UTC ms;
/// default every open task).
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "follow-ups", params(("station_id" = Option<i64>, Query), ("due_before" = Option<i64>, Query)), responses((status = 200, body = Vec<FollowUpView>)))]
pub async fn list_follow_ups(
    State(s): State<AppState>,
    c: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<FollowUpView>>, ApiError> {
    let g = c.grant(READ)?;
    let q = ListQuery(q);
    let station = q.int("station_id", c.lang)?;
    let before = q.int("due_before", c.lang)?;
    Ok(Json(
        app::payment::follow_up::due(&s.app, &g, station, before)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Records a follow-up call.
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/call", tag = "follow-ups", params(("id" = i64, Path)), request_body = CallInput, responses((status = 204), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn complete_follow_up(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CallInput>,
) -> Result<StatusCode, ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    app::payment::follow_up::complete(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// An owner's appointments as an iCalendar feed; the token in the URL is the
/// capability (`/ical/owner/{token}.ics`). An unknown or revoked token is 404.
#[utoipa::path(get, path = "/ical/owner/{file}", tag = "calendar", params(("file" = String, Path, description = "`{token}.ics`")), responses((status = 200, description = "text/calendar", content_type = "text/calendar"), (status = 404, body = ProblemDoc)))]
pub async fn owner_calendar(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let token = file
        .strip_suffix(".ics")
        .ok_or_else(|| ApiError::app(AppError::NotFound, lang))?;
    let body = app::payment::ical::owner_feed(&s.app, token)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok(calendar(body, "aftersales.ics"))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(lang: Lang, body: &str) -> Html<String> {
    let t = |k: &str| esc(tables().t(lang, k));
    Html(format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}\
         .amount{{font-size:2rem;margin:1rem 0}}button{{font-size:1.1rem;padding:.6rem 1.4rem;margin-right:.6rem}}\
         .note{{color:#666;font-size:.9rem}}</style></head><body><h1>{}</h1>{body}<p class=\"note\">{}</p></body></html>",
        lang.tag(),
        t("payment.sandbox.title"),
        t("payment.sandbox.title"),
        t("payment.sandbox.note"),
    ))
}

/// The sandbox provider's checkout page: the amount and "pay" / "fail" buttons.
#[utoipa::path(get, path = "/sandbox-pay/{payment_ref}", tag = "payments", params(("payment_ref" = String, Path), ("return" = Option<String>, Query, description = "The owner's page to go back to: `/owner/track/{token}`")), responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, body = ProblemDoc)))]
pub async fn sandbox_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(payment_ref): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Html<String>, ApiError> {
    let lang = lang_of(&headers);
    let p = app::payment::bill::sandbox_checkout(&s.app, &payment_ref)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    let t = |k: &str| esc(tables().t(lang, k));
    let action = format!("/sandbox-pay/{}", esc(&p.payment_ref));
    let back = return_path(q.get("return"));
    let body = if p.state == "pending" {
        let hidden = back
            .as_deref()
            .map(|b| {
                format!(
                    "<input type=\"hidden\" name=\"return\" value=\"{}\">",
                    esc(b)
                )
            })
            .unwrap_or_default();
        format!(
            "<p>{} {}</p><p class=\"amount\">{}</p><form method=\"post\" action=\"{action}\">{hidden}\
             <button name=\"outcome\" value=\"pay\">{}</button><button name=\"outcome\" value=\"fail\">{}</button></form>",
            t("payment.sandbox.bill"),
            esc(&p.bill_number),
            yuan(p.amount_fen),
            t("payment.sandbox.pay"),
            t("payment.sandbox.fail"),
        )
    } else {
        format!(
            "<p>{} {}</p><p class=\"amount\">{}</p><p>{}: {}</p>{}",
            t("payment.sandbox.bill"),
            esc(&p.bill_number),
            yuan(p.amount_fen),
            t("payment.sandbox.state"),
            t(&format!("payment.state.{}", p.state)),
            back_link(lang, back.as_deref()),
        )
    };
    Ok(page(lang, &body))
}

/// Where the payer goes back to after the sandbox checkout, like a real provider's
/// return URL: only an owner's transparent-workshop page on this server
/// (`/owner/track/{token}`), so the page cannot be used as an open redirect.
fn return_path(raw: Option<&String>) -> Option<String> {
    let raw = raw?.trim();
    let token = raw.strip_prefix("/owner/track/")?;
    let ok = !token.is_empty()
        && token.len() <= 128
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| raw.to_string())
}

/// A link back to the owner's page, if there is one to go back to.
fn back_link(lang: Lang, back: Option<&str>) -> String {
    back.map(|b| {
        format!(
            "<p><a id=\"back\" href=\"{}\">{}</a></p>",
            esc(b),
            esc(tables().t(lang, "payment.sandbox.back"))
        )
    })
    .unwrap_or_default()
}

fn lang_of(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// Submits the sandbox checkout page (`outcome` = `pay` or `fail`): the sandbox
/// provider signs a callback with HMAC-SHA256 and the server posts it to
/// `/api/v1/payments/callback` through its own router, exactly as a provider's
/// request would arrive; the page then shows what the callback answered. With a
/// `return` field (an owner's `/owner/track/{token}` page, carried from the checkout
/// URL's `?return=`), an accepted callback redirects (303) back there instead.
#[utoipa::path(post, path = "/sandbox-pay/{payment_ref}", tag = "payments", params(("payment_ref" = String, Path)), request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "outcome=pay|fail, optional return=/owner/track/{token}"), responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 303, description = "Back to the owner's page"), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn sandbox_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(payment_ref): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    use tower::ServiceExt;
    let lang = lang_of(&headers);
    let pay = match form.get("outcome").map(String::as_str) {
        Some("pay") => true,
        Some("fail") => false,
        _ => {
            return Err(ApiError::app(
                AppError::Invalid(Violation::new("outcome", "payment.sandbox_outcome").into()),
                lang,
            ));
        }
    };
    let signed = app::payment::bill::sandbox_submit(&s.app, &payment_ref, pay)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/payments/callback")
        .header(header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signed.signature)
        .body(Body::from(signed.body))
        .map_err(|e| ApiError::app(AppError::Internal(e.to_string()), lang))?;
    let answer = match crate::router(s.clone()).oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = answer.status();
    let back = return_path(form.get("return"));
    if status.is_success()
        && let Some(b) = &back
    {
        // Like a real provider: back to the page the payer came from.
        return Ok(axum::response::Redirect::to(b).into_response());
    }
    let t = |k: &str| esc(tables().t(lang, k));
    let body = if status.is_success() {
        let key = if pay {
            "payment.sandbox.done_paid"
        } else {
            "payment.sandbox.done_failed"
        };
        format!("<p>{}</p>", t(key))
    } else {
        format!(
            "<p>{} ({})</p>{}",
            t("payment.sandbox.refused"),
            status.as_u16(),
            back_link(lang, back.as_deref()),
        )
    };
    let mut r = page(lang, &body).into_response();
    if !status.is_success() {
        *r.status_mut() = status;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_shown_in_yuan_with_grouping() {
        assert_eq!(yuan(62_150), "¥621.50");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(5), "¥0.05");
    }

    #[test]
    fn only_owner_track_pages_are_return_paths() {
        let p = |s: &str| return_path(Some(&s.to_string()));
        assert_eq!(
            p("/owner/track/abc_DEF-09"),
            Some("/owner/track/abc_DEF-09".into())
        );
        for bad in [
            "https://evil.example/owner/track/x",
            "//evil.example",
            "/owner/track/",
            "/owner/track/x/../../console",
            "/owner/track/x?y=1",
            "/console",
            "/owner/track/x\"><script>",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(return_path(None), None);
    }

    #[test]
    fn header_lang_is_used_for_pages() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        assert_eq!(lang_of(&h), Lang::En);
    }
}
