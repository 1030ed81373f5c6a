//! Personal information in the use cases: every customer view model passes through
//! the domain's field policy ([`domain::privacy::see`]) here, and refused attempts to
//! reach personal data are written to the audit log in a transaction of their own (the
//! refused change itself leaves nothing behind).

pub mod answered;
pub mod audit_names;
pub mod audit_search;
pub mod consent;
pub mod enumeration;
pub mod export;
pub mod request;
pub mod retention;

use crate::{App, AppResult, actor};
use domain::permission::{Grant, Principal};
use domain::privacy::{Field, Purpose, Relation, Visibility, shown};
use domain::role::Role;
use store::audit::AuditRow;
use store::customer::Customer;

/// How a principal stands to a customer record.
pub(crate) fn relation_to_customer(p: &Principal, customer_id: i64) -> Relation {
    if p.role == Role::Owner && p.id == customer_id {
        Relation::Own
    } else {
        Relation::InReach
    }
}

/// A customer as this principal may see it in a list or on a page: each personal
/// field as the policy says (masked, whole or absent).
///
/// The store already masks the phone and ID number, so a `Masked` answer keeps them as
/// they are; only `Absent` (and a masked name) change the row. A `Whole` answer for a
/// view never happens for those two fields (the policy test holds that), so nothing
/// here can unmask.
pub(crate) fn customer_view(p: &Principal, mut c: Customer) -> Customer {
    let rel = relation_to_customer(p, c.id);
    let see = |f: Field| domain::privacy::see(p.role, f, rel, Purpose::View);
    match see(Field::CustomerName) {
        Visibility::Whole => {}
        Visibility::Masked => c.name = domain::privacy::policy::mask(Field::CustomerName, &c.name),
        Visibility::Absent => c.name = String::new(),
    }
    if see(Field::CustomerPhone) == Visibility::Absent {
        c.phone = String::new();
    }
    if see(Field::CustomerIdNumber) == Visibility::Absent {
        c.id_number = None;
    }
    c
}

/// Records a refused attempt on personal data (a reveal without purpose, a lookup over
/// the rate, a duplicate number, a whole-number search) in its own transaction.
pub(crate) async fn record_attempt(
    app: &App,
    grant: &Grant,
    action: &str,
    entity: &str,
    entity_id: i64,
    field: &str,
    reason: &str,
) -> AppResult<()> {
    crate::transaction::run(app, "privacy.record_attempt", move |mut tx| async move {
        let row = AuditRow {
            action,
            entity,
            entity_id,
            field,
            reason,
            row_count: None,
        };
        store::audit::insert(&mut tx, app.now_ms(), actor(grant), row).await?;
        Ok((tx, ()))
    })
    .await
}

/// How a principal stands to a pick-up: assigned when they drive it or scheduled it
/// (the advisor who arranged it), as a person (a token is never assigned).
pub(crate) async fn relation_to_pickup(
    c: &mut sqlx::AnyConnection,
    p: &Principal,
    row: &store::pickup::PickupRow,
) -> AppResult<Relation> {
    use domain::permission::ActorKind;
    if p.kind != ActorKind::Person || p.role == Role::Owner {
        return Ok(Relation::InReach);
    }
    if row.driver_id == Some(p.id) {
        return Ok(Relation::Assigned);
    }
    let events = store::event::for_entity(c, "pickup", row.id).await?;
    let scheduler = events
        .iter()
        .find(|e| e.kind == "scheduled")
        .filter(|e| e.actor_role == p.role.code() && e.actor_id == p.id);
    Ok(if scheduler.is_some() {
        Relation::Assigned
    } else {
        Relation::InReach
    })
}

/// A pick-up as this principal may see it in `purpose`: the address and the name the
/// owner signed with go through the policy (masked in lists; whole only for the
/// assigned on a reveal-grade view).
pub(crate) fn pickup_view(
    p: &Principal,
    rel: Relation,
    purpose: Purpose,
    mut row: store::pickup::PickupRow,
) -> store::pickup::PickupRow {
    row.address =
        shown(p.role, Field::PickupAddress, rel, purpose, &row.address).unwrap_or_default();
    row.confirmed_by = row
        .confirmed_by
        .as_deref()
        .and_then(|n| shown(p.role, Field::ApproverName, rel, purpose, n));
    row.signature_ref = row
        .signature_ref
        .as_deref()
        .and_then(|s| shown(p.role, Field::ApproverSignature, rel, purpose, s));
    row
}

/// An estimate line as `role` may see it: who approved it, their signature and the
/// client address it came from go through the policy (finding 7) — the station sees a
/// masked name, head office nothing, signatures and addresses only on a reveal.
pub fn estimate_line_view(
    role: Role,
    rel: Relation,
    mut l: store::estimate::EstimateLineRow,
) -> store::estimate::EstimateLineRow {
    let see = |f: Field, v: &str| shown(role, f, rel, Purpose::View, v);
    l.decided_by = l
        .decided_by
        .as_deref()
        .and_then(|v| see(Field::ApproverName, v));
    l.decision_ip = l
        .decision_ip
        .as_deref()
        .and_then(|v| see(Field::ApproverIp, v));
    l.signature_ref = l
        .signature_ref
        .as_deref()
        .and_then(|v| see(Field::ApproverSignature, v));
    l
}

/// A vehicle as `role` may see it in a list: the VIN and plate (vehicle data tied to
/// a person through the owner) as the policy says; absent ones are emptied.
pub(crate) fn vehicle_view(role: Role, mut v: store::vehicle::Vehicle) -> store::vehicle::Vehicle {
    let see = |s: &str| {
        shown(
            role,
            Field::VehicleIdentity,
            Relation::InReach,
            Purpose::View,
            s,
        )
    };
    v.vin = see(&v.vin).unwrap_or_default();
    v.plate = v.plate.as_deref().and_then(see);
    v
}

/// The keys of event data that hold text someone typed (a rating comment, a note, a
/// concern, a reason).
const FREE_TEXT_KEYS: [&str; 16] = [
    "comment",
    "note",
    "concern",
    "reason",
    "cancel_reason",
    // Free text of the other areas' events (issue 17 leftover 9): what a person or a
    // provider wrote, where a typed number can hide. Codes, numbers of bills and
    // orders, VINs and plates are not in this list: masking runs of digits would
    // break them.
    "text",
    "message",
    "msg",
    "sub_msg",
    "explanation",
    "evidence",
    "what",
    "cause",
    "description",
    "remark",
    "answer",
];

/// Event data as a view shows it: any phone or ID number typed into a free-text value
/// masked (issue 21, finding 4), at any depth; other values (dates, amounts) as they
/// are.
pub(crate) fn masked_free_text(data: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match data {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) if FREE_TEXT_KEYS.contains(&k.as_str()) => {
                            Value::String(domain::privacy::text::mask_numbers(&s))
                        }
                        other => masked_free_text(other),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(masked_free_text).collect()),
        other => other,
    }
}

/// A history entry (of an order or a pick-up) as `role` may see it: typed numbers in
/// free text masked, and who approved or signed, their signature and client address
/// through the policy like the record itself (finding 7): the history must not show
/// what the record hides.
pub(crate) fn event_data_view(
    role: Role,
    kind: &str,
    data: serde_json::Value,
) -> serde_json::Value {
    let mut data = masked_free_text(data);
    let decision = matches!(kind, "line_approved" | "line_declined");
    if let Some(map) = data.as_object_mut() {
        for (key, field) in [
            ("by", Field::ApproverName),
            ("signed_by", Field::ApproverName),
            ("ip", Field::ApproverIp),
            ("signature_ref", Field::ApproverSignature),
        ] {
            // `by` names an approver only on a line's decision.
            if key == "by" && !decision {
                continue;
            }
            let Some(v) = map.get(key).and_then(|v| v.as_str()).map(str::to_string) else {
                continue;
            };
            match shown(role, field, Relation::InReach, Purpose::View, &v) {
                Some(s) => map.insert(key.to_string(), serde_json::Value::String(s)),
                None => map.remove(key),
            };
        }
    }
    data
}

/// Any area's history entry as staff see it on a timeline or in the API: the data
/// through [`event_data_view`] and the reason with typed numbers masked, as the order,
/// pick-up and complaint timelines show them.
pub(crate) fn event_view(role: Role, mut e: store::event::Event) -> store::event::Event {
    e.data = event_data_view(role, &e.kind, e.data);
    e.reason = e.reason.as_deref().map(domain::privacy::text::mask_numbers);
    e
}

#[cfg(test)]
mod tests {
    use domain::role::Role;
    use serde_json::json;

    #[test]
    fn free_text_of_any_area_is_masked_and_codes_are_not() {
        let e = store::event::Event {
            id: 1,
            entity: "station".into(),
            entity_id: 3,
            at: 0,
            actor_role: "hq_admin".into(),
            actor_id: 1,
            kind: "updated".into(),
            data: json!({
                "message": "call 13912345678", "msg": "id 110101199003071234",
                "explanation": "owner 13800000001", "number": "B2026112400001",
                "vin": "LSVAU2180N2123456", "nested": {"text": "13700001111"},
            }),
            reason: Some("owner said 13911112222".into()),
        };
        let v = super::event_view(Role::ServiceAdvisor, e);
        let shown = v.data.to_string() + v.reason.as_deref().unwrap_or_default();
        for whole in [
            "13912345678",
            "110101199003071234",
            "13800000001",
            "13700001111",
            "13911112222",
        ] {
            assert!(!shown.contains(whole), "{whole} in {shown}");
        }
        assert_eq!(v.data["number"], "B2026112400001");
        assert_eq!(v.data["vin"], "LSVAU2180N2123456");
    }

    #[test]
    fn an_approval_in_the_history_hides_what_the_line_hides() {
        let d = json!({"line": 1, "by": "张三", "ip": "10.0.0.7", "signature_ref": "sig-1"});
        let expert = super::event_data_view(Role::TechnicalExpert, "line_approved", d.clone());
        assert!(expert.get("ip").is_none() && expert.get("signature_ref").is_none());
        assert!(expert.get("by").is_none(), "{expert}");
        let desk = super::event_data_view(Role::ServiceAdvisor, "line_approved", d);
        assert!(desk.get("ip").is_none());
        assert_ne!(desk["by"], "张三");
        assert_eq!(desk["line"], 1);
    }

    #[test]
    fn typed_numbers_are_masked_and_other_values_kept() {
        let d = super::masked_free_text(json!({
            "stars": 5, "comment": "打我13912345671", "start": "2026-11-25 10:00",
            "lines": [{"note": "ID 110101199003077777"}],
        }));
        assert_eq!(d["comment"], "打我139****5671");
        assert_eq!(d["start"], "2026-11-25 10:00");
        assert_eq!(d["lines"][0]["note"], "ID 110101********7777");
        assert_eq!(d["stars"], 5);
    }
}
