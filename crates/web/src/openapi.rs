//! The OpenAPI description of the API and a viewer for it, built into the binary.

use crate::AppState;
use crate::api;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

mod cross_field;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Aftersales API",
        description = "After-sales service platform. Errors are application/problem+json naming the field and the rule, in zh-CN or en by Accept-Language."
    ),
    paths(
        api::auth::login,
        api::auth::logout,
        api::auth::owner_code,
        api::auth::owner_verify,
        api::auth::me,
        api::auth::create_token,
        api::network::list_regions,
        api::network::create_region,
        api::network::list_stations,
        api::network::create_station,
        api::network::get_station,
        api::network::update_station,
        api::network::change_status,
        api::network::station_events,
        api::network::list_depots,
        api::network::list_units,
        api::network::create_unit,
        api::people::list_staff,
        api::people::create_staff,
        api::people::get_staff,
        api::people::update_staff,
        api::people::add_certificate,
        api::people::reveal_phone,
        api::customer::list_customers,
        api::customer::create_customer,
        api::customer::get_customer,
        api::customer::update_customer,
        api::customer::reveal,
        api::customer::identify,
        api::customer::audit,
        api::customer::own_data,
        api::privacy::request::file_request,
        api::privacy::request::my_requests,
        api::privacy::request::queue,
        api::privacy::request::complete,
        api::privacy::request::refuse,
        api::vehicle::list_vehicles,
        api::vehicle::create_vehicle,
        api::vehicle::by_vin,
        api::vehicle::get_vehicle,
        api::vehicle::update_vehicle,
        api::vehicle::transfer,
        api::vehicle::add_reading,
    ),
    components(schemas(crate::error::ProblemDoc, crate::error::FieldError))
)]
pub struct ApiDoc;

/// Routes for the description and its viewer.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(spec))
        .route("/api/docs", get(viewer))
}

/// Every area's description, the foundation first. Each names its component schemas
/// itself; two areas must not give one name to two different schemas (the merge
/// would keep one and describe the other's operations wrongly), which
/// `component_names_are_not_shared` checks.
pub fn areas() -> Vec<utoipa::openapi::OpenApi> {
    vec![
        ApiDoc::openapi(),
        api::labour::LabourApi::openapi(),
        api::stage_standard::StageStandardApi::openapi(),
        api::part::PartApi::openapi(),
        api::calendar::CalendarApi::openapi(),
        api::capacity::CapacityApi::openapi(),
        api::appointment::AppointmentApi::openapi(),
        api::appointment::feed::FeedApi::openapi(),
        api::repair_order::RepairOrderApi::openapi(),
        api::estimate::EstimateApi::openapi(),
        api::kpi::KpiApi::openapi(),
        api::billing::BillingApi::openapi(),
        api::billing::sandbox::SandboxApi::openapi(),
        api::rating::RatingApi::openapi(),
        api::pickup::PickupApi::openapi(),
        api::follow_up::FollowUpApi::openapi(),
        api::survey::SurveyApi::openapi(),
        api::complaint::ComplaintApi::openapi(),
        api::complaint::category::CategoryApi::openapi(),
        api::quality_audit::QualityAuditApi::openapi(),
        api::export::ExportApi::openapi(),
        api::guarantee::GuaranteeApi::openapi(),
        api::guarantee::main_part::MainPartApi::openapi(),
        api::privacy::PrivacyApi::openapi(),
        api::campaign::CampaignApi::openapi(),
    ]
}

/// The whole description: the foundation's paths and each area's.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for area in areas().into_iter().skip(1) {
        doc.merge(area);
    }
    doc
}

async fn spec(axum::extract::State(s): axum::extract::State<AppState>) -> impl IntoResponse {
    Json(published_with(s.demo_clock.is_some()))
}

/// Operations anyone may call: sign-in, the owner's capability links, provider
/// callbacks and the sandbox checkout. Every other operation needs a bearer token or
/// a session cookie.
const PUBLIC_PATHS: [&str; 7] = [
    "/api/v1/auth/login",
    "/api/v1/auth/owner/",
    "/api/v1/payments/callback",
    "/api/v1/owner-links/",
    "/api/v1/track/",
    "/sandbox-pay/",
    "/ical/",
];

fn is_public(path: &str) -> bool {
    PUBLIC_PATHS.iter().any(|p| path.starts_with(p))
}

/// The document as served: [`document`] with what clients and fuzzers rely on made
/// explicit once, for every operation, instead of in each annotation:
/// - the two ways to authenticate (`bearerAuth`, `sessionCookie`), required on every
///   operation but the public ones;
/// - every error answer the server can give (400 malformed JSON, 401, 403, 404, 409
///   on writes, 413 and 415 on bodies, 422 rules, 429 sign-in throttling, 503) as
///   `application/problem+json` with the problem schema;
/// - paging parameters with their real range, and a VIN in a path with the VIN's
///   shape (the same schema as a VIN in a body, from `app::schema`);
/// - no `"default": null` on properties that are not nullable (OpenAPI 3.1 forbids
///   it; utoipa writes it for optional fields).
pub fn published() -> serde_json::Value {
    published_with(false)
}

/// The published description; with `demo`, also the demo server's clock operation.
pub fn published_with(demo: bool) -> serde_json::Value {
    let mut whole = document();
    if demo {
        whole.merge(api::demo::DemoApi::openapi());
    }
    let mut doc = serde_json::to_value(whole).unwrap_or_default();
    strip_null_defaults(&mut doc);
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|c| c.as_object_mut())
    {
        // Inputs whose rules live in a table beside their parser.
        schemas.insert(
            "GuaranteePolicyInput".into(),
            app::guarantee::policy::policy_input_schema(),
        );
    }
    if let Some(components) = doc.get_mut("components").and_then(|c| c.as_object_mut()) {
        components.insert(
            "securitySchemes".into(),
            serde_json::json!({
                "bearerAuth": {"type": "http", "scheme": "bearer",
                    "description": "An integration token from `aftersales token`."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": crate::extract::SESSION_COOKIE,
                    "description": "A signed-in browser session; writes also send the `X-CSRF-Token` header."}
            }),
        );
        components.insert(
            "parameters".into(),
            serde_json::json!({"IdempotencyKey": crate::idempotency::openapi_parameter()}),
        );
    }
    cross_field::state_rules(&mut doc);
    cross_field::state_input_rules(&mut doc);
    // Bodies read by hand, not through a schema type: their schema beside the handler.
    for (at, schema) in [
        (
            "/paths/~1api~1v1~1stage-standards/post/requestBody/content/application~1json/schema",
            api::stage_standard::input_schema(),
        ),
        (
            "/paths/~1sandbox-pay~1{payment_ref}/post/requestBody/content/application~1x-www-form-urlencoded/schema",
            api::billing::sandbox::form_schema(),
        ),
    ] {
        if let Some(s) = doc.pointer_mut(at) {
            *s = schema;
        }
    }
    state_query_code_lists(&mut doc);
    state_request_string_rules(&mut doc);
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if let Some(op) = op.as_object_mut() {
                    finish_operation(path, method, op);
                }
            }
        }
    }
    doc
}

fn problem_response(description: &str) -> serde_json::Value {
    serde_json::json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDoc"}}}
    })
}

fn finish_operation(path: &str, method: &str, op: &mut serde_json::Map<String, serde_json::Value>) {
    let public = is_public(path);
    op.insert(
        "security".into(),
        if public {
            serde_json::json!([])
        } else {
            serde_json::json!([{"bearerAuth": []}, {"sessionCookie": []}])
        },
    );
    let has_body = op.contains_key("requestBody");
    let writes = matches!(method, "post" | "put" | "patch" | "delete");
    let mut errors: Vec<(&str, &str)> = vec![
        ("400", "Malformed request"),
        ("404", "Not found, or outside the caller's reach"),
        (
            "422",
            "A field breaks a rule: the problem names the field and the rule",
        ),
        ("503", "Busy: try again after Retry-After"),
    ];
    if !public {
        errors.push(("401", "Not signed in"));
        errors.push(("403", "Signed in but not allowed"));
    } else if path.starts_with("/api/v1/auth/") {
        errors.push((
            "401",
            "Wrong credentials: password, or a wrong or expired code",
        ));
    }
    if writes {
        errors.push((
            "409",
            "A business rule refuses the change in the record's state",
        ));
    }
    if has_body {
        errors.push(("413", "Body too large"));
        errors.push(("415", "Body is not of the declared media type"));
    }
    if path.starts_with("/api/v1/auth/") {
        errors.push(("429", "Too many attempts: try again after Retry-After"));
    }
    let responses = op
        .entry("responses")
        .or_insert_with(|| serde_json::json!({}));
    if let Some(responses) = responses.as_object_mut() {
        // Errors the annotations declared keep their description, in the problem type.
        for (status, r) in responses.iter_mut() {
            if status.starts_with('4') || status.starts_with('5') {
                let description = r
                    .get("description")
                    .and_then(|d| d.as_str())
                    .unwrap_or("Error")
                    .to_string();
                *r = problem_response(&description);
            }
        }
        for (status, description) in errors {
            responses
                .entry(status)
                .or_insert_with(|| problem_response(description));
        }
        // A payment provider's callback is answered in the provider's own format.
        if let Some(media) = cross_field::provider_media(path) {
            for (status, r) in responses.iter_mut() {
                if (status.starts_with('4') || status.starts_with('5'))
                    && let Some(content) = r.get_mut("content").and_then(|c| c.as_object_mut())
                {
                    content.insert(media.into(), serde_json::json!({}));
                }
            }
        }
    }
    if crate::idempotency::applies(&axum::http::Method::POST, path) && method == "post" {
        let params = op
            .entry("parameters")
            .or_insert_with(|| serde_json::json!([]));
        if let Some(params) = params.as_array_mut() {
            params.push(serde_json::json!({"$ref": "#/components/parameters/IdempotencyKey"}));
        }
    }
    if let Some(params) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) {
        for p in params {
            let (name, place) = (
                p.get("name").and_then(|n| n.as_str()).unwrap_or(""),
                p.get("in").and_then(|n| n.as_str()).unwrap_or(""),
            );
            let range = match (name, place) {
                // The same bounds `ListQuery::page` enforces, so the two cannot drift.
                ("page", "query") => Some(
                    serde_json::json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": app::Page::MAX_PAGE}),
                ),
                ("per_page", "query") => Some(
                    serde_json::json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": app::Page::MAX_PER_PAGE}),
                ),
                ("vin", "path") => serde_json::to_value(app::schema::vin()).ok(),
                ("stage", "path") => serde_json::to_value(app::schema::stage()).ok(),
                // A day of a station's diary, read with jiff's date parser.
                ("day", "query") => Some(serde_json::json!({"type": "string", "format": "date"})),
                ("month", "query") => Some(
                    serde_json::json!({"type": "string", "pattern": crate::api::kpi::MONTH_PATTERN}),
                ),
                ("period", "query") => Some(
                    serde_json::json!({"type": "string", "pattern": crate::api::kpi::PERIOD_PATTERN}),
                ),
                ("scope", "query") => {
                    Some(serde_json::json!({"type": "string", "enum": crate::api::kpi::SCOPES}))
                }
                _ => None,
            };
            if let (Some(schema), Some(p)) = (range, p.as_object_mut()) {
                p.insert("schema".into(), schema);
            }
        }
    }
}

/// Query parameters that take a code from a fixed list state the list, so a client
/// (and the fuzz) knows which values exist: the complaint queue's category, severity
/// and state filters, from the domain's own lists.
fn state_query_code_lists(doc: &mut serde_json::Value) {
    use domain::complaint::{Category, State};
    let lists: [(&str, &str, Vec<&str>); 7] = [
        (
            "/api/v1/complaints",
            "category",
            Category::ALL.iter().map(|c| c.code()).collect(),
        ),
        (
            "/api/v1/complaints",
            "state",
            State::ALL.iter().map(|c| c.code()).collect(),
        ),
        ("/api/v1/complaints", "severity", vec!["normal", "urgent"]),
        (
            "/api/v1/kpis",
            "scope",
            vec!["network", "region", "station"],
        ),
        ("/api/v1/survey-alerts", "state", vec!["open", "done"]),
        (
            "/api/v1/payment-notices",
            "verdict",
            app::billing::notice::VERDICTS.to_vec(),
        ),
        (
            "/api/v1/corrective-actions",
            "state",
            domain::quality_audit::action::ActionState::ALL
                .iter()
                .map(|c| c.code())
                .collect(),
        ),
    ];
    for (path, name, codes) in lists {
        let Some(params) = doc["paths"][path]["get"]["parameters"].as_array_mut() else {
            continue;
        };
        // An empty value means "no filter", as on every list (an HTML form sends it).
        let codes: Vec<&str> = std::iter::once("").chain(codes).collect();
        for p in params.iter_mut().filter(|p| p["name"] == name) {
            p["schema"] = serde_json::json!({"type": "string", "enum": codes});
        }
    }
}

/// Every string of a request body passes `domain::text::check_chars` before any use
/// case reads it (`extract::bad_text`), so every string property of a request schema
/// that states no shape of its own (pattern, enum, format) carries that rule as its
/// pattern. Response schemas are left alone: what we answer was checked on the way in.
fn state_request_string_rules(doc: &mut serde_json::Value) {
    let mut names = std::collections::BTreeSet::new();
    if let Some(paths) = doc.get("paths") {
        for op in paths.as_object().into_iter().flat_map(|p| p.values()) {
            for body in op.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(content) = body.pointer("/requestBody/content") {
                    collect_refs(content, &mut names);
                }
            }
        }
    }
    let Some(schemas) = doc.pointer_mut("/components/schemas") else {
        return;
    };
    // Follow references from the request schemas to the schemas they hold.
    let mut queue: Vec<String> = names.iter().cloned().collect();
    while let Some(name) = queue.pop() {
        let mut found = std::collections::BTreeSet::new();
        if let Some(schema) = schemas.get(&name) {
            collect_refs(schema, &mut found);
        }
        for n in found {
            if names.insert(n.clone()) {
                queue.push(n);
            }
        }
    }
    let pattern = domain::text::any_string_pattern();
    for name in names {
        if let Some(schema) = schemas.get_mut(&name) {
            add_string_rule(schema, &pattern);
        }
    }
}

/// The component names that `$ref`s inside `v` point to.
fn collect_refs(v: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(|r| r.as_str())
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.insert(name.to_string());
            }
            map.values().for_each(|x| collect_refs(x, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// Puts `pattern` on every string schema inside `v` that states no shape of its own.
fn add_string_rule(v: &mut serde_json::Value, pattern: &str) {
    match v {
        serde_json::Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(serde_json::Value::String(t)) => t == "string",
                Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let shaped = ["pattern", "enum", "format", "const"]
                .iter()
                .any(|k| map.contains_key(*k));
            if is_string && !shaped {
                map.insert("pattern".into(), pattern.into());
            }
            map.values_mut().for_each(|x| add_string_rule(x, pattern));
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|x| add_string_rule(x, pattern))
        }
        _ => {}
    }
}

/// Removes `"default": null` wherever it appears: no property of ours defaults to an
/// explicit null, and on a non-nullable type it makes the document invalid.
fn strip_null_defaults(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if map.get("default").is_some_and(|d| d.is_null()) {
                map.remove("default");
            }
            map.values_mut().for_each(strip_null_defaults);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_null_defaults),
        _ => {}
    }
}

/// A small viewer: the operations grouped by tag with their parameters, bodies and
/// answers, rendered by a few lines of our own script from /api/openapi.json.
async fn viewer() -> Html<&'static str> {
    Html(include_str!("../assets/api-docs.html"))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)]
mod input_tests;
