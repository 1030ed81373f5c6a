//! Rules of the API that tie one field to another, which no single property's schema
//! can state, written into the published document; and the media types of the
//! payment providers' callbacks, which answer in the provider's own format.

/// The media type a payment provider's callback answers its refusals in (the
/// provider's own: WeChat Pay JSON `{"code":"FAIL"}`, Alipay the text `fail`).
pub(super) fn provider_media(path: &str) -> Option<&'static str> {
    match path {
        "/api/v1/payments/notify/wechat" => Some("application/json"),
        "/api/v1/payments/notify/alipay" => Some("text/plain"),
        _ => None,
    }
}

/// Rules that tie one field to another, which no single property's schema can state:
/// - a staff account's role decides whether a station or a region is required
///   (`people::unit_of`);
/// - a reveal names a field of its own record (a customer's phone or id number, a
///   staff member's phone, a pick-up's address), and the purpose `other` needs a
///   note of 2 to 200 characters (`domain::privacy::reveal::RevealRequest::parse`).
pub(super) fn state_rules(doc: &mut serde_json::Value) {
    use domain::role::{Role, UnitKind};
    let roles = |kind: UnitKind| -> Vec<&'static str> {
        Role::staff()
            .filter(|r| r.unit_kind() == kind)
            .map(|r| r.code())
            .collect()
    };
    let needs = |kind: UnitKind, field: &str| {
        serde_json::json!({
            "if": {"properties": {"role": {"enum": roles(kind)}}, "required": ["role"]},
            "then": {"required": [field], "properties": {field: {"type": "integer", "minimum": 1}}}
        })
    };
    let units = serde_json::json!([
        needs(UnitKind::Station, "station_id"),
        needs(UnitKind::Region, "region_id")
    ]);
    for name in ["StaffInput", "StaffUpdateInput"] {
        if let Some(schema) = doc
            .pointer_mut(&format!("/components/schemas/{name}"))
            .and_then(|s| s.as_object_mut())
        {
            schema.insert("allOf".into(), units.clone());
        }
    }
    let purposes: Vec<&str> = domain::privacy::reveal::RevealPurpose::ALL
        .iter()
        .map(|p| p.code())
        .collect();
    let reveal = |fields: &[&str], field_required: bool| {
        let mut required = vec!["purpose"];
        if field_required {
            required.push("field");
        }
        serde_json::json!({
            "type": "object",
            "additionalProperties": false,
            "description": "A request to see one field whole, for a purpose from the list",
            "required": required,
            "properties": {
                "field": {"type": "string", "enum": fields},
                "purpose": {"type": "string", "enum": purposes},
                "note": {"type": "string", "pattern": domain::text::trimmed_length_pattern(0, 200),
                    "description": "The caller's own words, up to 200 characters; 2 or more for the purpose `other`"}
            },
            "if": {"properties": {"purpose": {"const": "other"}}, "required": ["purpose"]},
            "then": {"required": ["note"],
                "properties": {"note": {"pattern": domain::text::trimmed_length_pattern(2, 200)}}}
        })
    };
    // The customer's reveal is the `RevealInput` component; staff and pick-up reveals
    // name their own one field (or none: the only one).
    if let Some(s) = doc.pointer_mut("/components/schemas/RevealInput") {
        *s = reveal(&["phone", "id_number"], true);
    }
    for (path, schema) in [
        (
            "/api/v1/staff/{id}/reveal",
            reveal(&["", "staff_phone"], false),
        ),
        (
            "/api/v1/pickups/{id}/reveal",
            reveal(&["", "address"], false),
        ),
    ] {
        let at = format!(
            "/paths/{}/post/requestBody/content/application~1json/schema",
            path.replace('~', "~0").replace('/', "~1")
        );
        if let Some(s) = doc.pointer_mut(&at) {
            *s = schema;
        }
    }
}
