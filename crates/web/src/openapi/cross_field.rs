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
    for name in ["StaffInput", "StaffUpdateInput", "TokenInput"] {
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

/// Rules across the fields of the complaint, consent and pick-up inputs, from the
/// same lists and limits their parsers use:
/// - a complaint from social media or a regulator names its source
///   (`complaint.source_link_required`); an urgent complaint, or a change to urgent,
///   gives a reason from the list, a normal one none (`domain::complaint::Severity`);
/// - a consent taken on a call names its evidence, 2 to 500 characters
///   (`domain::privacy::consent::ConsentChange::parse`);
/// - a pick-up serves exactly one of an appointment and a repair order;
/// - a corrective action closed with evidence names it, and a failed audit
///   checkpoint its finding (`domain::quality_audit`).
pub(super) fn state_input_rules(doc: &mut serde_json::Value) {
    use domain::code::Code;
    let reasons = domain::complaint::UrgentReason::codes();
    let urgent = serde_json::json!([
        {
            "if": {"properties": {"severity": {"const": "urgent"}}, "required": ["severity"]},
            "then": {"required": ["urgent_reason"],
                "properties": {"urgent_reason": {"type": "string", "enum": reasons}}}
        },
        {
            "if": {"properties": {"severity": {"const": "normal"}}, "required": ["severity"]},
            "then": {"properties": {"urgent_reason": {"enum": ["", null]}}}
        }
    ]);
    let linked: Vec<&str> = domain::complaint::Channel::all()
        .iter()
        .filter(|c| c.needs_source_link())
        .map(|c| c.code())
        .collect();
    let source = serde_json::json!({
        "if": {"properties": {"channel": {"enum": linked}}, "required": ["channel"]},
        "then": {"required": ["source_link"], "properties": {"source_link": {
            "type": "string",
            "pattern": domain::text::pattern(domain::text::Lines::One, 500, true)
        }}}
    });
    if let Some(s) = schema_mut(doc, "ComplaintFileInput") {
        let mut all = urgent.as_array().cloned().unwrap_or_default();
        all.push(source);
        s.insert("allOf".into(), serde_json::Value::Array(all));
    }
    if let Some(s) = schema_mut(doc, "SeverityInput") {
        s.insert("allOf".into(), urgent.clone());
    }
    // A questionnaire's questions, each as `domain::survey::Questionnaire::new` reads
    // it: 12 to 15, a key of lower-case letters, digits and `_`, Chinese wording, and a
    // scored scale (five, ten) with a factor and a weight, or the recommend and text
    // questions with neither. Rules across the questions answer 409.
    if let Some(s) = schema_mut(doc, "QuestionnairePublishInput")
        && let Some(props) = s.get_mut("properties").and_then(|p| p.as_object_mut())
    {
        use domain::survey::questionnaire::{MAX_QUESTIONS, MIN_QUESTIONS, WEIGHT_TOTAL};
        use domain::survey::{Factor, Scale};
        props.insert(
            "questions".into(),
            serde_json::json!({
                "type": "array",
                "minItems": MIN_QUESTIONS,
                "maxItems": MAX_QUESTIONS,
                "items": {
                    "type": "object",
                    "required": ["key", "scale", "weight_bp", "text_zh", "text_en"],
                    "properties": {
                        "key": {"type": "string", "pattern": "^[a-z0-9_]{1,40}$"},
                        "factor": {"enum": Factor::ALL.iter().map(|f| Some(f.code())).chain([None]).collect::<Vec<_>>()},
                        "scale": {"type": "string", "enum": Scale::ALL.iter().map(|s| s.code()).collect::<Vec<_>>()},
                        "weight_bp": {"type": "integer", "minimum": 0, "maximum": WEIGHT_TOTAL},
                        "text_zh": {"type": "string", "pattern": "\\S"},
                        "text_en": {"type": "string"}
                    },
                    "oneOf": [
                        {"properties": {"scale": {"enum": ["five", "ten"]},
                            "factor": {"type": "string"}, "weight_bp": {"minimum": 1}},
                         "required": ["factor"]},
                        {"properties": {"scale": {"enum": ["recommend", "text"]},
                            "factor": {"type": "null"}, "weight_bp": {"const": 0}}}
                    ]
                }
            }),
        );
    }
    // A payment at the desk names its slip or transaction number, except in cash
    // (`app::billing::pay_at_desk`).
    if let Some(s) = schema_mut(doc, "DeskPaymentInput") {
        let referenced: Vec<&str> = app::billing::DESK_METHODS
            .iter()
            .copied()
            .filter(|m| *m != "cash")
            .collect();
        s.insert(
            "allOf".into(),
            serde_json::json!([{
                "if": {"properties": {"method": {"enum": referenced}}, "required": ["method"]},
                "then": {"required": ["reference"], "properties": {"reference": {
                    "type": "string",
                    "pattern": domain::text::pattern(domain::text::Lines::One, 64, true)
                }}}
            }]),
        );
    }
    // A star policy's thresholds are scores of 0 to 100 (`StarPolicy::check`).
    if let Some(t) = doc.pointer_mut("/components/schemas/StarPolicyDoc/properties/thresholds")
        && let Some(t) = t.as_object_mut()
    {
        t.insert(
            "items".into(),
            serde_json::json!({"type": "integer", "minimum": 0, "maximum": 100}),
        );
    }
    // The demo clock moves forward or resets, one at a time
    // (`app::demo::clock::ClockMove::parse`, `demo.clock_one_move`).
    if let Some(s) = schema_mut(doc, "DemoClockMove") {
        s.insert(
            "oneOf".into(),
            serde_json::json!([
                {"required": ["advance_minutes"], "properties": {
                    "advance_minutes": {"type": "integer"}, "reset": {"const": false}}},
                {"required": ["reset"], "properties": {
                    "reset": {"const": true}, "advance_minutes": {"type": "null"}}}
            ]),
        );
    }
    if let Some(s) = schema_mut(doc, "ConsentInput") {
        let call = domain::privacy::consent::ConsentSource::Call.code();
        s.insert(
            "allOf".into(),
            serde_json::json!([{
                "if": {"properties": {"source": {"const": call}}, "required": ["source"]},
                "then": {"required": ["evidence"], "properties": {"evidence": {
                    "type": "string",
                    "pattern": domain::text::pattern_between(
                        domain::text::Lines::One, 2, domain::privacy::consent::EVIDENCE_MAX, true)
                }}}
            }]),
        );
    }
    let needs_text = |field: &str, when: &str, value: &str| {
        serde_json::json!([{
            "if": {"properties": {when: {"const": value}}, "required": [when]},
            "then": {"required": [field], "properties": {field: {
                "type": "string",
                "pattern": domain::text::pattern(domain::text::Lines::Many, 2000, true)
            }}}
        }])
    };
    if let Some(s) = schema_mut(doc, "AuditStepInput") {
        s.insert(
            "allOf".into(),
            needs_text("evidence", "step", "close_with_evidence"),
        );
    }
    if let Some(s) = schema_mut(doc, "AuditAnswerInput") {
        s.insert("allOf".into(), needs_text("finding", "verdict", "fail"));
    }
    if let Some(s) = schema_mut(doc, "PickupInput") {
        let only = |one: &str, other: &str| {
            serde_json::json!({
                "required": [one],
                "properties": {one: {"type": "integer", "minimum": 1}, other: {"type": "null"}}
            })
        };
        s.insert(
            "oneOf".into(),
            serde_json::json!([
                only("appointment_id", "repair_order_id"),
                only("repair_order_id", "appointment_id")
            ]),
        );
    }
}

/// The component schema `name` of the document, as an object to add rules to.
fn schema_mut<'a>(
    doc: &'a mut serde_json::Value,
    name: &str,
) -> Option<&'a mut serde_json::Map<String, serde_json::Value>> {
    doc.pointer_mut(&format!("/components/schemas/{name}"))
        .and_then(|s| s.as_object_mut())
}
