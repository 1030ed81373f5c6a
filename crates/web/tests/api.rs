//! The API end to end over real HTTP, on SQLite or (with TEST_DATABASE_URL) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::permission::{Action, role_allows};
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
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
        "quality_audit_read" => vec![
            "customer_relations",
            "station_manager",
            "technical_director",
            "regional_manager",
            "quality_auditor",
            "administrator",
        ],
        "quality_audit_write" => vec!["quality_auditor", "administrator"],
        "corrective_action_write" => vec!["customer_relations", "station_manager", "technical_director"],
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
        41,
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
const PUBLIC_ROUTES: [(&str, &str); 16] = [
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
    ("POST", "/api/v1/track/{token}/lines/{no}/approve"),
    ("POST", "/api/v1/track/{token}/lines/{no}/decline"),
    ("GET", "/ical/owner/{file}"),
    ("GET", "/sandbox-pay/{payment_ref}"),
    ("POST", "/sandbox-pay/{payment_ref}"),
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
            _ if i > 0 && segments[i - 1] == "stages" => "{stage}",
            _ if i > 0 && segments[i - 1] == "excluded" => "{eid}",
            _ if i > 0 && segments[i - 1] == "faults" => "{fid}",
            s if !s.is_empty() && s.chars().all(|ch| ch.is_ascii_digit()) => "{id}",
            _ if i > 0 && segments[i - 1] == "by-vin" => "{vin}",
            _ if i > 0 && segments[i - 1] == "export" => "{kind}",
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

fn routes(t: &TestApp) -> Vec<(&'static str, String, &'static str)> {
    let f = &t.fx;
    vec![
        ("GET", "/api/v1/me".into(), "any"),
        ("GET", "/api/v1/regions".into(), "network_read"),
        ("POST", "/api/v1/regions".into(), "network_write"),
        ("GET", "/api/v1/stations".into(), "network_read"),
        ("POST", "/api/v1/stations".into(), "network_write"),
        (
            "GET",
            format!("/api/v1/stations/{}", f.station_a),
            "network_read",
        ),
        (
            "PUT",
            format!("/api/v1/stations/{}", f.station_a),
            "network_write",
        ),
        (
            "POST",
            format!("/api/v1/stations/{}/status", f.station_a),
            "network_write",
        ),
        (
            "GET",
            format!("/api/v1/stations/{}/events", f.station_a),
            "network_read",
        ),
        ("GET", "/api/v1/depots".into(), "network_read"),
        ("GET", "/api/v1/mobile-units".into(), "network_read"),
        ("POST", "/api/v1/mobile-units".into(), "network_write"),
        ("GET", "/api/v1/staff".into(), "staff_read"),
        ("POST", "/api/v1/staff".into(), "staff_write"),
        ("GET", "/api/v1/staff/1".into(), "staff_read"),
        ("PUT", "/api/v1/staff/1".into(), "staff_write"),
        ("POST", "/api/v1/staff/1/certificates".into(), "staff_write"),
        ("POST", "/api/v1/staff/1/reveal".into(), "staff_write"),
        ("GET", "/api/v1/customers".into(), "customer_read"),
        ("POST", "/api/v1/customers".into(), "customer_write"),
        (
            "GET",
            format!("/api/v1/customers/{}", f.customer_a),
            "customer_read",
        ),
        (
            "PUT",
            format!("/api/v1/customers/{}", f.customer_a),
            "customer_write",
        ),
        (
            "POST",
            format!("/api/v1/customers/{}/reveal", f.customer_a),
            "reveal",
        ),
        (
            "GET",
            format!("/api/v1/customers/{}/audit", f.customer_a),
            "audit_read",
        ),
        ("POST", "/api/v1/customers/identify".into(), "identify"),
        ("GET", "/api/v1/me/data".into(), "own_data"),
        (
            "GET",
            format!("/api/v1/customers/{}/consent", f.customer_a),
            "customer_read",
        ),
        (
            "POST",
            format!("/api/v1/customers/{}/consent", f.customer_a),
            "customer_write",
        ),
        ("GET", "/api/v1/me/consent".into(), "own_data"),
        ("GET", "/api/v1/audit".into(), "audit_read"),
        ("POST", "/api/v1/campaigns".into(), "customer_write"),
        ("GET", "/api/v1/audit/export".into(), "audit_read"),
        ("GET", "/api/v1/vehicles".into(), "vehicle_read"),
        ("POST", "/api/v1/vehicles".into(), "vehicle_write"),
        (
            "GET",
            format!("/api/v1/vehicles/by-vin/{}", f.vin_a),
            "vehicle_read",
        ),
        (
            "GET",
            format!("/api/v1/vehicles/{}", f.vehicle_a),
            "vehicle_read",
        ),
        (
            "PUT",
            format!("/api/v1/vehicles/{}", f.vehicle_a),
            "vehicle_write",
        ),
        (
            "POST",
            format!("/api/v1/vehicles/{}/transfer", f.vehicle_a),
            "vehicle_write",
        ),
        (
            "POST",
            format!("/api/v1/vehicles/{}/odometer", f.vehicle_a),
            "vehicle_write",
        ),
        ("POST", "/api/v1/tokens".into(), "token_admin"),
        ("GET", "/api/v1/export/vehicles".into(), "export"),
        ("GET", "/api/v1/labour-operations".into(), "network_read"),
        ("POST", "/api/v1/labour-operations".into(), "network_write"),
        (
            "GET",
            "/api/v1/stage-standards/current".into(),
            "network_read",
        ),
        ("POST", "/api/v1/stage-standards".into(), "network_write"),
        ("GET", "/api/v1/calendar/holidays".into(), "network_read"),
        ("GET", "/api/v1/parts".into(), "network_read"),
        ("POST", "/api/v1/parts".into(), "network_write"),
        ("PUT", "/api/v1/calendar/holidays".into(), "network_write"),
        (
            "POST",
            format!("/api/v1/stations/{}/capacity", f.station_a),
            "capacity_admin",
        ),
        (
            "GET",
            format!("/api/v1/stations/{}/slots", f.station_a),
            "slot_search",
        ),
        (
            "GET",
            format!("/api/v1/stations/{}/appointments", f.station_a),
            "appointment_read",
        ),
        (
            "GET",
            format!("/api/v1/stations/{}/repair-orders", f.station_a),
            "repair_order_read",
        ),
        (
            "GET",
            format!("/api/v1/stations/{}/kpis", f.station_a),
            "kpi_read",
        ),
        ("POST", "/api/v1/appointments".into(), "appointment_book"),
        ("GET", "/api/v1/appointments/1".into(), "appointment_read"),
        (
            "POST",
            "/api/v1/appointments/1/reschedule".into(),
            "appointment_book",
        ),
        (
            "POST",
            "/api/v1/appointments/1/cancel".into(),
            "appointment_book",
        ),
        (
            "POST",
            "/api/v1/appointments/1/no-show".into(),
            "appointment_book",
        ),
        (
            "POST",
            "/api/v1/appointments/1/repair-order".into(),
            "repair_order_write",
        ),
        ("POST", "/api/v1/repair-orders".into(), "repair_order_write"),
        ("GET", "/api/v1/repair-orders/1".into(), "repair_order_read"),
        (
            "POST",
            "/api/v1/repair-orders/1/checkpoints".into(),
            "workshop_or_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/applicable".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/stages/diagnosis/start".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/stages/diagnosis/complete".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/lines".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/lines/1/approve".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/lines/1/decline".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/lines/1/reoffer".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/lines/1/assign".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/lines/1/start".into(),
            "workshop_or_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/lines/1/finish".into(),
            "workshop_or_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/lines/1/fit".into(),
            "workshop_or_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/owner-link".into(),
            "repair_order_write",
        ),
        (
            "DELETE",
            "/api/v1/repair-orders/1/owner-link".into(),
            "repair_order_write",
        ),
        ("GET", "/api/v1/my/jobs".into(), "workshop_work"),
        (
            "GET",
            format!("/api/v1/vehicles/{}/three-guarantees", f.vehicle_a),
            "repair_order_read",
        ),
        (
            "GET",
            "/api/v1/settings/three-guarantees".into(),
            "network_read",
        ),
        (
            "PUT",
            "/api/v1/settings/three-guarantees".into(),
            "network_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/concern".into(),
            "workshop_or_write",
        ),
        ("GET", "/api/v1/repair-orders/1/bill".into(), "billing_read"),
        ("GET", "/api/v1/payment-notices".into(), "billing_read"),
        (
            "POST",
            "/api/v1/repair-orders/1/bill".into(),
            "billing_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/payments".into(),
            "billing_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/payments/online".into(),
            "billing_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/refunds".into(),
            "billing_refund",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/rating".into(),
            "rating_write",
        ),
        (
            "GET",
            "/api/v1/repair-orders/1/follow-up".into(),
            "follow_up_read",
        ),
        ("GET", "/api/v1/follow-ups".into(), "follow_up_read"),
        (
            "POST",
            "/api/v1/follow-ups/1/call".into(),
            "follow_up_write",
        ),
        ("GET", "/api/v1/pickups".into(), "pickup_read"),
        ("POST", "/api/v1/pickups".into(), "pickup_write"),
        ("GET", "/api/v1/pickups/1".into(), "pickup_read"),
        ("POST", "/api/v1/pickups/1/driver".into(), "pickup_write"),
        ("POST", "/api/v1/pickups/1/reveal".into(), "pickup_read"),
        ("PUT", "/api/v1/pickups/1/checklist".into(), "pickup_write"),
        ("PUT", "/api/v1/pickups/1/photos".into(), "pickup_write"),
        ("GET", "/api/v1/pickups/1/photos/1".into(), "pickup_read"),
        ("POST", "/api/v1/pickups/1/confirm".into(), "pickup_write"),
        ("POST", "/api/v1/pickups/1/cancel".into(), "pickup_write"),
        (
            "GET",
            format!("/api/v1/stations/{}/appointments.ics", f.station_a),
            "appointment_read",
        ),
        (
            "POST",
            format!("/api/v1/customers/{}/calendar-token", f.customer_a),
            "customer_write",
        ),
        (
            "DELETE",
            format!("/api/v1/customers/{}/calendar-token", f.customer_a),
            "customer_write",
        ),
        ("POST", "/api/v1/me/calendar-token".into(), "own_data"),
        ("GET", "/api/v1/complaints".into(), "complaint_read"),
        ("POST", "/api/v1/complaints".into(), "complaint_write"),
        ("GET", "/api/v1/complaints/inbox".into(), "complaint_read"),
        ("GET", "/api/v1/complaints/1".into(), "complaint_read"),
        (
            "POST",
            "/api/v1/complaints/1/actions".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/respond".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/analysis".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/pause".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/resume".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/reassign".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/severity".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/zeros".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/follow-up".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/goodwill".into(),
            "complaint_write",
        ),
        (
            "POST",
            "/api/v1/complaints/1/attachments".into(),
            "complaint_write",
        ),
        ("GET", "/api/v1/complaint-policies".into(), "complaint_read"),
        (
            "POST",
            "/api/v1/complaint-policies".into(),
            "complaint_policy",
        ),
        (
            "POST",
            "/api/v1/me/complaints".into(),
            "complaint_owner_file",
        ),
        (
            "POST",
            "/api/v1/me/complaints/1/follow-up".into(),
            "complaint_owner_file",
        ),
        ("GET", "/api/v1/audit-checklists".into(), "quality_audit_read"),
        ("POST", "/api/v1/audit-checklists".into(), "quality_audit_write"),
        ("GET", "/api/v1/audit-visits".into(), "quality_audit_read"),
        ("POST", "/api/v1/audit-visits".into(), "quality_audit_write"),
        ("GET", "/api/v1/audit-visits/1".into(), "quality_audit_read"),
        ("POST", "/api/v1/audit-visits/1/answers".into(), "quality_audit_write"),
        ("POST", "/api/v1/audit-visits/1/submit".into(), "quality_audit_write"),
        ("GET", "/api/v1/corrective-actions".into(), "quality_audit_read"),
        ("GET", "/api/v1/corrective-actions/1".into(), "quality_audit_read"),
        ("POST", "/api/v1/corrective-actions/1/steps".into(), "corrective_action_write"),
        ("POST", "/api/v1/corrective-actions/1/reviews".into(), "quality_audit_write"),
        ("GET", "/api/v1/depot-ratings".into(), "quality_audit_read"),
        ("POST", "/api/v1/depot-ratings".into(), "depot_rate"),
        ("GET", "/api/v1/me/privacy-requests".into(), "own_data"),
        ("POST", "/api/v1/me/privacy-requests".into(), "own_data"),
        ("GET", "/api/v1/privacy-requests".into(), "privacy_request"),
        (
            "POST",
            "/api/v1/privacy-requests/1/complete".into(),
            "privacy_request",
        ),
        (
            "POST",
            "/api/v1/privacy-requests/1/refuse".into(),
            "privacy_request",
        ),
        (
            "PUT",
            format!("/api/v1/vehicles/{}/three-guarantees/delivery", f.vehicle_a),
            "vehicle_write",
        ),
        (
            "GET",
            format!("/api/v1/vehicles/{}/three-guarantees/requests", f.vehicle_a),
            "repair_order_read",
        ),
        // Filed by the desk (vehicle_write) or by the owner for their own car: the
        // same roles as a booking.
        (
            "POST",
            format!("/api/v1/vehicles/{}/three-guarantees/requests", f.vehicle_a),
            "appointment_book",
        ),
        (
            "POST",
            "/api/v1/three-guarantees/requests/1/steps".into(),
            "vehicle_write",
        ),
        (
            "GET",
            "/api/v1/repair-orders/1/three-guarantees".into(),
            "repair_order_read",
        ),
        (
            "PUT",
            "/api/v1/repair-orders/1/three-guarantees/clock".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/three-guarantees/excluded".into(),
            "repair_order_write",
        ),
        (
            "DELETE",
            "/api/v1/repair-orders/1/three-guarantees/excluded/1".into(),
            "repair_order_write",
        ),
        (
            "POST",
            "/api/v1/repair-orders/1/three-guarantees/faults".into(),
            "repair_order_write",
        ),
        (
            "PUT",
            "/api/v1/repair-orders/1/three-guarantees/faults/1/exclusion".into(),
            "repair_order_write",
        ),
        (
            "DELETE",
            "/api/v1/repair-orders/1/three-guarantees/faults/1/exclusion".into(),
            "repair_order_write",
        ),
    ]
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
async fn bad_vehicle_input_is_refused_by_field_and_rule_and_nothing_is_stored() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let count = |t: &TestApp| {
        let db = t.app.db.clone();
        async move {
            let mut conn = db.pool.acquire().await.unwrap();
            sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM vehicles")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
                .0
        }
    };
    let before = count(&t).await;
    let good_vin = domain::vin::Vin::with_check_digit("LFV2A21K", "53000003")
        .unwrap()
        .to_string();
    let mut bad_vin: Vec<char> = good_vin.chars().collect();
    bad_vin[8] = if bad_vin[8] == '1' { '2' } else { '1' };
    let bad_vin: String = bad_vin.into_iter().collect();
    let body = json!({
        "vin": bad_vin, "brand": "一汽大众", "model": "迈腾", "model_year": 2023, "plate": "京Z1",
        "purchase_date": "2023-02-30", "owner_id": t.fx.customer_a, "station_id": t.fx.station_a
    });
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .header("accept-language", "en")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    let rules: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["rule"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        rules.contains(&("vin".into(), "vin.check_digit".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("plate".into(), "plate.length".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("purchase_date".into(), "date.format".into())),
        "{rules:?}"
    );
    let vin_msg = p["errors"][0]["message"].as_str().unwrap();
    assert!(vin_msg.contains("VIN"), "{vin_msg}");
    // The same error in Chinese.
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    let p: Value = r.json().await.unwrap();
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("车架号")
    );
    // Wrong content type, malformed JSON, unknown field, oversized body.
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .header("content-type", "text/plain")
        .body("vin=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body("{\"vin\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .json(&json!({"vin": good_vin, "colour": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "colour");
    assert_eq!(p["errors"][0]["rule"], "body.unknown_field");
    let huge = format!("{{\"vin\":\"{}\"}}", "A".repeat(2 * 1024 * 1024));
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A duplicate VIN names the field.
    let dup = json!({"vin": t.fx.vin_a, "brand": "大众", "model": "帕萨特", "model_year": 2022, "purchase_date": "2022-05-01", "owner_id": t.fx.customer_a, "station_id": t.fx.station_a});
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .json(&dup)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        (
            p["errors"][0]["field"].as_str(),
            p["errors"][0]["rule"].as_str()
        ),
        (Some("vin"), Some("unique"))
    );
    assert_eq!(count(&t).await, before, "nothing was stored");
    // And a good one is stored, with its first odometer reading.
    let good = json!({"vin": good_vin, "brand": "一汽大众", "model": "迈腾", "model_year": 2023, "plate": "粤BD12345", "is_ev": true,
        "purchase_date": "2023-02-28", "owner_id": t.fx.customer_a, "station_id": t.fx.station_a, "km": 1200});
    let r = c
        .post(format!("{}/api/v1/vehicles", t.base))
        .bearer_auth(&tok)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let d: Value = c
        .get(format!("{}/api/v1/vehicles/{id}", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Three years through the day before the anniversary (domain::vehicle).
    assert_eq!(d["vehicle"]["warranty_end"], "2026-02-27");
    assert_eq!(d["odometer"][0]["km"], 1200);
    assert_eq!(count(&t).await, before + 1);
}

#[tokio::test]
async fn another_stations_records_look_exactly_like_missing_ones() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("advisor_b").await;
    let other = c
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_a))
        .send()
        .await
        .unwrap();
    let missing = c
        .get(format!("{}/api/v1/vehicles/999999", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(other.text().await.unwrap(), missing.text().await.unwrap());
    let by_vin = c
        .get(format!("{}/api/v1/vehicles/by-vin/{}", t.base, t.fx.vin_a))
        .send()
        .await
        .unwrap();
    assert_eq!(by_vin.status(), StatusCode::NOT_FOUND);
    let own = c
        .get(format!("{}/api/v1/vehicles/by-vin/{}", t.base, t.fx.vin_b))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let list: Value = c
        .get(format!("{}/api/v1/customers", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["phone"], "138****0002", "masked in lists");
    // The regional manager of region A sees station A's vehicle but not station B's.
    let tok = t.token(Role::RegionalManager).await;
    let a = t
        .client()
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_a))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    let b = t
        .client()
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_b))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::OK, StatusCode::NOT_FOUND)
    );
}

#[tokio::test]
async fn sign_in_locks_after_repeated_failures_and_sessions_need_csrf_for_writes() {
    let t = TestApp::spawn().await;
    let c = t.client();
    for _ in 0..5 {
        let r = c
            .post(format!("{}/api/v1/auth/login", t.base))
            .json(&json!({"username": "service_advisor", "password": "wrong"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = c
        .post(format!("{}/api/v1/auth/login", t.base))
        .json(&json!({"username": "service_advisor", "password": testkit::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(r.headers().contains_key("retry-after"));
    t.clock.advance_ms(61 * 60_000);
    let (c1, csrf1) = t.login("service_advisor").await;
    let (_, csrf2) = t.login("service_advisor").await;
    assert_ne!(csrf1, csrf2, "each sign-in opens a new session");
    let url = format!("{}/api/v1/vehicles/{}/odometer", t.base, t.fx.vehicle_a);
    let r = c1
        .post(&url)
        .json(&json!({"km": 5000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF header");
    let r = c1
        .post(&url)
        .header("x-csrf-token", &csrf1)
        .json(&json!({"km": 5000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c1
        .post(&url)
        .header("x-csrf-token", &csrf1)
        .json(&json!({"km": 4000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "lower reading refused");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["rule"], "odometer.lower");
    let r = c1
        .post(&url)
        .header("x-csrf-token", &csrf1)
        .json(&json!({"km": 10, "cluster_replaced": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "accepted as a cluster replacement"
    );
    let logout = c1
        .post(format!("{}/api/v1/auth/logout", t.base))
        .header("x-csrf-token", &csrf1)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        c1.get(format!("{}/api/v1/me", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn revealing_personal_data_needs_a_reason_and_is_audited() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let admin = t.token(Role::Administrator).await;
    let c = t.client();
    let url = format!("{}/api/v1/customers/{}/reveal", t.base, t.fx.customer_a);
    let r = c
        .post(&url)
        .bearer_auth(&tok)
        .json(&json!({"field": "phone", "purpose": "", "note": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let audit_url = format!("{}/api/v1/customers/{}/audit", t.base, t.fx.customer_a);
    let audit: Value = c
        .get(&audit_url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The refused attempt is audited, typed as a token, and nothing was shown.
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["action"], "reveal_refused");
    assert_eq!(items[0]["actor_kind"], "token");
    let r: Value = c
        .post(&url)
        .bearer_auth(&tok)
        .json(&json!({"field": "phone", "purpose": "identity_check", "note": "客户来电核实身份"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // One field per reveal: the phone, never the ID number with it.
    assert_eq!(r["field"], "phone");
    assert_eq!(r["value"], "13800000001");
    assert!(r["visible_until"].as_i64().unwrap() > 0);
    assert!(!r.to_string().contains("110101199003077777"));
    let audit: Value = c
        .get(&audit_url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        audit["items"][0]["reason"],
        "identity_check: 客户来电核实身份"
    );
    assert_eq!(audit["items"][0]["field"], "phone");
    assert_eq!(audit["items"][0]["actor_role"], "service_advisor");
    assert_eq!(audit["items"][0]["actor_kind"], "token");
    let masked: Value = c
        .get(format!("{}/api/v1/customers/{}", t.base, t.fx.customer_a))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(masked["phone"], "138****0001");
    assert_eq!(masked["id_number"], "110101********7777");
}

#[tokio::test]
async fn owners_sign_in_with_a_code_and_download_only_their_own_data() {
    let t = TestApp::spawn().await;
    let (c, _) = t.owner_session("13800000001").await;
    let data: Value = c
        .get(format!("{}/api/v1/me/data", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data["customer"]["phone"], "+8613800000001");
    let vehicles = data["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "vehicles")
        .unwrap();
    let vins: Vec<&str> = vehicles["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vin"].as_str().unwrap())
        .collect();
    assert_eq!(vins, vec![t.fx.vin_a.as_str()]);
    // A wrong code is refused and counted; unknown phones get the same answer as known ones.
    let anon = t.client();
    let r = anon
        .post(format!("{}/api/v1/auth/owner/verify", t.base))
        .json(&json!({"phone": "13800000002", "code": "000000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = anon
        .post(format!("{}/api/v1/auth/owner/code", t.base))
        .json(&json!({"phone": "13912345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let r = anon
        .post(format!("{}/api/v1/auth/owner/code", t.base))
        .json(&json!({"phone": "12345"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["rule"], "phone.cn_mobile");
}

#[tokio::test]
async fn closing_a_station_keeps_its_history_and_it_stays_closed() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::Administrator).await;
    let c = t.client();
    let base = format!("{}/api/v1/stations/{}", t.base, t.fx.station_b);
    let r = c
        .post(format!("{base}/status"))
        .bearer_auth(&tok)
        .json(&json!({"status": "closed", "reason": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    let r = c
        .post(format!("{base}/status"))
        .bearer_auth(&tok)
        .json(&json!({"status": "closed", "reason": "经营不善"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c
        .post(format!("{base}/status"))
        .bearer_auth(&tok)
        .json(&json!({"status": "active", "reason": "再开"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let st: Value = c
        .get(&base)
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["status"], "closed");
    assert!(st["closed_at"].as_i64().is_some());
    let ev: Value = c
        .get(format!("{base}/events"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ev["items"][0]["reason"], "经营不善");
    // Its vehicles are still there.
    let v = c
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_b))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(v.status(), StatusCode::OK);
}

#[tokio::test]
async fn vehicles_change_owner_with_history_kept() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let c = t.client();
    let body = json!({"name": "王五", "phone": "139 0000 0003", "station_id": t.fx.station_a, "channel": "wechat", "quiet_hours": "22:00-08:00", "consent_service": true});
    let r = c
        .post(format!("{}/api/v1/customers", t.base))
        .bearer_auth(&tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let new_owner = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = c
        .post(format!(
            "{}/api/v1/vehicles/{}/transfer",
            t.base, t.fx.vehicle_a
        ))
        .bearer_auth(&tok)
        .json(&json!({"owner_id": new_owner, "reason": "二手车交易"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let d: Value = c
        .get(format!("{}/api/v1/vehicles/{}", t.base, t.fx.vehicle_a))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["vehicle"]["owner_id"], new_owner);
    let owners = d["ownerships"].as_array().unwrap();
    assert_eq!(owners.len(), 2);
    assert_eq!(owners[0]["customer_id"], t.fx.customer_a);
    assert!(owners[0]["to_at"].as_i64().is_some());
    assert!(owners[1]["to_at"].is_null());
    // Moving it to a customer of another station is refused without revealing that customer.
    let r = c
        .post(format!(
            "{}/api/v1/vehicles/{}/transfer",
            t.base, t.fx.vehicle_a
        ))
        .bearer_auth(&tok)
        .json(&json!({"owner_id": t.fx.customer_b}))
        .send()
        .await
        .unwrap();
    // A well-formed id of a record outside reach: the record refuses it (409).
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn lists_page_and_filter() {
    let t = TestApp::spawn().await;
    let tok = t.token(Role::Administrator).await;
    let c = t.client();
    let p: Value = c
        .get(format!("{}/api/v1/stations?per_page=1&page=2", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            p["total"].as_i64(),
            p["items"].as_array().map(Vec::len),
            p["page"].as_i64()
        ),
        (Some(2), Some(1), Some(2))
    );
    assert_eq!(p["items"][0]["code"], "GZ-0001");
    let p: Value = c
        .get(format!("{}/api/v1/stations?q=BJ", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["total"], 1);
    let r = c
        .get(format!("{}/api/v1/vehicles?owner_id=abc", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The visible tail finds the customer; a whole number is refused (issue 21).
    let p: Value = c
        .get(format!("{}/api/v1/customers?q=0002", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["items"][0]["name"], "李四");
    let r = c
        .get(format!("{}/api/v1/customers?q=13800000002", t.base))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
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

#[tokio::test]
async fn exports_hold_only_the_callers_rows_with_masked_phones() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("station_manager").await;
    let r = c
        .get(format!("{}/api/v1/export/customers", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.contains("张三"));
    assert!(!csv.contains("李四"), "another station's customer");
    assert!(csv.contains("138****0001"));
    assert!(!csv.contains("13800000001"));
    let r = c
        .get(format!("{}/api/v1/export/parts", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deactivating_a_staff_account_ends_its_sessions() {
    let t = TestApp::spawn().await;
    let (advisor, _) = t.login("service_advisor").await;
    assert_eq!(
        advisor
            .get(format!("{}/api/v1/me", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let (manager, csrf) = t.login("station_manager").await;
    let list: Value = manager
        .get(format!("{}/api/v1/staff?q=service_advisor", t.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_i64().unwrap();
    let body = json!({"name": "停用的顾问", "role": "service_advisor", "station_id": t.fx.station_a, "phone": "13900000000", "active": false});
    let r = manager
        .put(format!("{}/api/v1/staff/{id}", t.base))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        advisor
            .get(format!("{}/api/v1/me", t.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let r = t
        .client()
        .post(format!("{}/api/v1/auth/login", t.base))
        .json(&json!({"username": "service_advisor", "password": testkit::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A station manager cannot move staff to another station or give head-office roles.
    let body =
        json!({"name": "x", "role": "administrator", "phone": "13900000000", "active": true});
    let r = manager
        .put(format!("{}/api/v1/staff/{id}", t.base))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json!({"name": "x", "role": "service_advisor", "station_id": t.fx.station_b, "phone": "13900000000", "active": true});
    let r = manager
        .put(format!("{}/api/v1/staff/{id}", t.base))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["rule"], "station.unknown");
}
