//! The authorisation matrix: every action's row for every role, every documented
//! route's row, every route called as every role (and without credentials), and the
//! operations endpoints with the document that lists every route.

use super::routes::routes;
use domain::permission::{Action, role_allows};
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;
use testkit::TestApp;

/// Who may call what: the authorisation matrix, written out by hand from SPEC §1 so
/// that a change in the permission code that is not a change in the rules shows up here.
fn allowed_roles(action: &str) -> Vec<&'static str> {
    const STAFF: [&str; 13] = [
        "service_advisor",
        "technician",
        "parts_clerk",
        "warranty_clerk",
        "customer_relations",
        "station_manager",
        "technical_director",
        "call_centre_agent",
        "technical_expert",
        "regional_manager",
        "quality_auditor",
        "administrator",
        "privacy_officer",
    ];
    // The privacy officer reads the audit log and the network, and no records.
    let records =
        |r: &&str| *r != "technical_expert" && *r != "quality_auditor" && *r != "privacy_officer";
    let writers = vec![
        "service_advisor",
        "customer_relations",
        "station_manager",
        "call_centre_agent",
        "administrator",
    ];
    match action {
        "network_read" => STAFF.to_vec(),
        "network_write" | "token_admin" => vec!["administrator"],
        "audit_read" => vec!["administrator", "privacy_officer"],
        "staff_read" => vec![
            "station_manager",
            "technical_director",
            "regional_manager",
            "administrator",
        ],
        "staff_write" => vec!["station_manager", "administrator"],
        "billing_refund" => vec!["service_advisor", "station_manager", "administrator"],
        "customer_read" | "vehicle_read" | "pickup_read" | "billing_read" | "rating_read"
        | "follow_up_read" => STAFF.iter().copied().filter(records).collect(),
        "customer_write" | "vehicle_write" | "reveal" | "pickup_write" | "billing_write"
        | "rating_write" | "follow_up_write" => writers,
        "own_data" => vec!["owner"],
        "identify" => vec!["customer_relations", "call_centre_agent"],
        "export" => vec!["station_manager", "regional_manager", "administrator"],
        "any" => STAFF.iter().copied().chain(["owner"]).collect(),
        "appointment_read" => STAFF.iter().copied().filter(records).collect(),
        "appointment_book" => vec![
            "owner",
            "service_advisor",
            "customer_relations",
            "station_manager",
            "call_centre_agent",
            "administrator",
        ],
        "slot_search" => STAFF
            .iter()
            .copied()
            .filter(records)
            .chain(["owner"])
            .collect(),
        "repair_order_read" => STAFF
            .iter()
            .copied()
            .filter(|r| *r != "privacy_officer")
            .collect(),
        "repair_order_write" => vec![
            "service_advisor",
            "station_manager",
            "technical_director",
            "administrator",
        ],
        "workshop_or_write" => vec![
            "service_advisor",
            "technician",
            "station_manager",
            "technical_director",
            "administrator",
        ],
        "workshop_work" => vec![
            "technician",
            "station_manager",
            "technical_director",
            "administrator",
        ],
        "capacity_admin" => vec!["station_manager", "administrator"],
        "job_admin" | "privacy_request" => vec!["administrator"],
        "complaint_read" => vec![
            "owner",
            "customer_relations",
            "station_manager",
            "technical_director",
            "call_centre_agent",
            "regional_manager",
            "quality_auditor",
            "administrator",
        ],
        "complaint_write" => vec![
            "customer_relations",
            "station_manager",
            "call_centre_agent",
            "regional_manager",
            "administrator",
        ],
        "complaint_policy" => vec!["administrator"],
        "complaint_owner_file" => vec!["owner"],
        "survey_read" => vec![
            "customer_relations",
            "station_manager",
            "technical_director",
            "call_centre_agent",
            "regional_manager",
            "quality_auditor",
            "administrator",
        ],
        "survey_write" => vec![
            "customer_relations",
            "station_manager",
            "call_centre_agent",
            "regional_manager",
            "administrator",
        ],
        "survey_policy" => vec!["administrator"],
        "quality_audit_read" => vec![
            "customer_relations",
            "station_manager",
            "technical_director",
            "regional_manager",
            "quality_auditor",
            "administrator",
        ],
        "quality_audit_write" => vec!["quality_auditor", "administrator"],
        "corrective_action_write" => vec![
            "customer_relations",
            "station_manager",
            "technical_director",
        ],
        "depot_rate" => vec!["parts_clerk", "station_manager"],
        "kpi_read" => vec![
            "station_manager",
            "technical_director",
            "regional_manager",
            "quality_auditor",
            "administrator",
        ],
        other => panic!("unknown action {other}"),
    }
}

/// The row of the matrix each action has. No catch-all: a new action does not compile
/// until it has its row here.
fn row_of(action: Action) -> &'static str {
    match action {
        Action::NetworkRead => "network_read",
        Action::NetworkWrite => "network_write",
        Action::StaffRead => "staff_read",
        Action::StaffWrite => "staff_write",
        Action::CustomerRead => "customer_read",
        Action::CustomerWrite => "customer_write",
        Action::PersonalDataReveal => "reveal",
        Action::CallerIdentify => "identify",
        Action::VehicleRead => "vehicle_read",
        Action::VehicleWrite => "vehicle_write",
        Action::Import => "network_write",
        Action::Export => "export",
        Action::AuditRead => "audit_read",
        Action::TokenAdmin => "token_admin",
        Action::OwnDataExport => "own_data",
        Action::AppointmentRead => "appointment_read",
        Action::AppointmentBook => "appointment_book",
        Action::RepairOrderRead => "repair_order_read",
        Action::RepairOrderWrite => "repair_order_write",
        Action::WorkshopWork => "workshop_work",
        Action::CapacityAdmin => "capacity_admin",
        Action::KpiRead => "kpi_read",
        Action::PickupRead => "pickup_read",
        Action::PickupWrite => "pickup_write",
        Action::BillingRead => "billing_read",
        Action::BillingWrite => "billing_write",
        Action::BillingRefund => "billing_refund",
        Action::PrivacyRequestHandle => "privacy_request",
        Action::RatingRead => "rating_read",
        Action::RatingWrite => "rating_write",
        Action::FollowUpRead => "follow_up_read",
        Action::FollowUpWrite => "follow_up_write",
        Action::JobAdmin => "job_admin",
        Action::ComplaintRead => "complaint_read",
        Action::ComplaintWrite => "complaint_write",
        Action::ComplaintPolicy => "complaint_policy",
        Action::ComplaintOwnerFile => "complaint_owner_file",
        Action::SurveyRead => "survey_read",
        Action::SurveyWrite => "survey_write",
        Action::SurveyPolicy => "survey_policy",
        Action::QualityAuditRead => "quality_audit_read",
        Action::QualityAuditWrite => "quality_audit_write",
        Action::CorrectiveActionWrite => "corrective_action_write",
        Action::DepotRate => "depot_rate",
    }
}

#[test]
fn every_action_has_a_row_for_every_role() {
    assert_eq!(
        Action::ALL.len(),
        44,
        "a new action needs its row in `row_of`"
    );
    for action in Action::ALL {
        let row = allowed_roles(row_of(action));
        for role in Role::ALL {
            assert_eq!(
                role_allows(role, action),
                row.contains(&role.code()),
                "{action:?} as {}",
                role.code()
            );
        }
    }
}

/// Routes that no role reaches through a grant, each with why: sign-in itself, the
/// provider's signed callback, and the capability links (the token is the credential).
const PUBLIC_ROUTES: [(&str, &str); 19] = [
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/owner/code"),
    ("POST", "/api/v1/auth/owner/verify"),
    ("POST", "/api/v1/payments/callback"),
    ("POST", "/api/v1/payments/notify/wechat"),
    ("POST", "/api/v1/payments/notify/alipay"),
    ("GET", "/api/v1/owner-links/{token}/bill"),
    ("POST", "/api/v1/owner-links/{token}/payments/online"),
    ("POST", "/api/v1/owner-links/{token}/rating"),
    ("GET", "/api/v1/track/{token}"),
    ("GET", "/api/v1/owner-surveys/{token}"),
    ("POST", "/api/v1/owner-surveys/{token}/answers"),
    ("POST", "/api/v1/track/{token}/lines/{no}/approve"),
    ("POST", "/api/v1/track/{token}/lines/{no}/decline"),
    ("GET", "/ical/owner/{file}"),
    ("GET", "/sandbox-pay/{payment_ref}"),
    ("POST", "/sandbox-pay/{payment_ref}"),
    ("POST", "/sandbox-pay/{payment_ref}/notice"),
];

/// The OpenAPI template of a concrete path of the matrix.
fn template(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    segments
        .iter()
        .enumerate()
        .map(|(i, seg)| match *seg {
            s if !s.is_empty()
                && s.chars().all(|ch| ch.is_ascii_digit())
                && i > 0
                && segments[i - 1] == "lines" =>
            {
                "{no}"
            }
            s if !s.is_empty()
                && s.chars().all(|ch| ch.is_ascii_digit())
                && i > 0
                && segments[i - 1] == "photos" =>
            {
                "{photo_id}"
            }
            s if !s.is_empty()
                && s.chars().all(|ch| ch.is_ascii_digit())
                && i > 0
                && segments[i - 1] == "attachments" =>
            {
                "{attachment_id}"
            }
            _ if i > 0 && segments[i - 1] == "stages" => "{stage}",
            _ if i > 0 && segments[i - 1] == "excluded" => "{eid}",
            _ if i > 0 && segments[i - 1] == "faults" => "{fid}",
            s if !s.is_empty() && s.chars().all(|ch| ch.is_ascii_digit()) => "{id}",
            _ if i > 0 && segments[i - 1] == "by-vin" => "{vin}",
            _ if i > 0 && segments[i - 1] == "export" => "{kind}",
            _ if i > 0 && segments[i - 1] == "survey-reports" => "{month}",
            _ if i > 0 && segments[i - 1] == "complaint-categories" => "{code}",
            _ if i > 0 && segments[i - 1] == "main-parts" => "{system}",
            _ if i > 1 && segments[i - 2] == "main-parts" => "{code}",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_documented_route_has_a_row_in_the_matrix() {
    let t = TestApp::spawn().await;
    let doc: Value = t
        .client()
        .get(format!("{}/api/openapi.json", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows: Vec<(String, String)> = routes(&t)
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), template(&p)))
        .chain(
            PUBLIC_ROUTES
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    let mut documented = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            assert!(
                rows.contains(&(method.clone(), path.clone())),
                "{method} {path} has no row in the authorisation matrix"
            );
            documented += 1;
        }
    }
    assert_eq!(documented, rows.len(), "every row is one documented route");
}

#[tokio::test]
async fn authorisation_matrix_every_route_as_every_role() {
    let t = TestApp::spawn().await;
    let (owner, owner_csrf) = t.owner_session("13800000001").await;
    let anon = t.client();
    let mut checked = 0;
    for role in Role::ALL {
        let token = if role == Role::Owner {
            None
        } else {
            Some(t.token(role).await)
        };
        for (method, path, action) in routes(&t) {
            let url = format!("{}{}", t.base, path);
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let req = match &token {
                Some(tok) => anon.request(m.clone(), &url).bearer_auth(tok),
                None => owner
                    .request(m.clone(), &url)
                    .header("x-csrf-token", &owner_csrf),
            };
            let req = if method == "GET" {
                req
            } else {
                req.json(&json!({}))
            };
            let status = req.send().await.unwrap().status();
            let allowed = allowed_roles(action).contains(&role.code());
            if allowed {
                assert!(
                    status != StatusCode::FORBIDDEN
                        && status != StatusCode::UNAUTHORIZED
                        && !status.is_server_error(),
                    "{} {method} {path} should be allowed, got {status}",
                    role.code()
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{} {method} {path} should be denied",
                    role.code()
                );
            }
            checked += 1;
        }
    }
    // Without credentials every route answers 401.
    for (method, path, _) in routes(&t) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = anon
            .request(m, format!("{}{}", t.base, path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(checked, Role::ALL.len() * routes(&t).len());
}

#[tokio::test]
async fn operations_endpoints_and_openapi() {
    let t = TestApp::spawn().await;
    let c = t.client();
    assert_eq!(
        c.get(format!("{}/healthz", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        c.get(format!("{}/readyz", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let doc: Value = c
        .get(format!("{}/api/openapi.json", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    // Every route of the matrix is documented.
    for (method, path, _) in routes(&t) {
        let templ = template(&path);
        assert!(
            doc["paths"][&templ][method.to_lowercase()].is_object(),
            "{method} {templ} documented"
        );
    }
    let viewer = c
        .get(format!("{}/api/docs", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(viewer.contains("/api/openapi.json"));
    let r = c
        .get(format!("{}/api/v1/nothing-here", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}
