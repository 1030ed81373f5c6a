//! Tests of the published document: valid, every rule stated, ids unique.
use super::*;

/// Operation ids are unique (OpenAPI requires it; clients name their methods
/// after them): two handlers of the same name in two areas need an explicit id.
#[test]
fn operation_ids_are_unique() {
    let doc = published();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if let Some(id) = op["operationId"].as_str() {
                let at = format!("{method} {path}");
                if let Some(first) = seen.insert(id.to_string(), at.clone()) {
                    panic!("operationId {id} of {at} is also that of {first}");
                }
            }
        }
    }
    assert!(seen.len() > 50);
}

/// Every string a request body may carry states its rule (a pattern, a list or a
/// format), so a client or a fuzzer learns what the server refuses; the free
/// texts carry the text rule with their length.
#[test]
fn every_request_string_states_its_rule() {
    let doc = published();
    let customer = &doc["components"]["schemas"]["CustomerInput"]["properties"];
    assert_eq!(
        customer["name"]["pattern"].as_str(),
        Some(domain::text::pattern(domain::text::Lines::One, 50, true).as_str())
    );
    let labour = &doc["components"]["schemas"]["LabourOpInput"]["properties"];
    assert_eq!(
        labour["standard_hundredths"]["maximum"].as_i64(),
        Some(domain::labour::MAX_HUNDREDTHS)
    );
    let login = &doc["components"]["schemas"]["LoginInput"]["properties"];
    assert_eq!(
        login["username"]["pattern"].as_str(),
        Some(domain::text::any_string_pattern().as_str())
    );
    fn walk(v: &serde_json::Value, at: &str) {
        if let Some(map) = v.as_object() {
            if map.get("type").is_some_and(|t| t == "string")
                && !["pattern", "enum", "format", "const"]
                    .iter()
                    .any(|k| map.contains_key(*k))
            {
                panic!("{at} is a string without a rule");
            }
            for (k, x) in map {
                walk(x, &format!("{at}.{k}"));
            }
        }
    }
    let schemas = &doc["components"]["schemas"];
    for (name, schema) in schemas.as_object().into_iter().flatten() {
        if name.ends_with("Input") {
            walk(schema, name);
        }
    }
}

/// Walks every schema: no `default: null`, every operation declares its errors
/// as problem documents and says how it is authenticated.
#[test]
fn the_published_document_is_complete() {
    let doc = published();
    let text = doc.to_string();
    assert!(!text.contains("\"default\":null"));
    assert!(doc["components"]["securitySchemes"]["bearerAuth"].is_object());
    let paths = doc["paths"].as_object().map(|p| p.len()).unwrap_or(0);
    assert!(paths > 50, "{paths} paths");
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let responses = &op["responses"];
            assert!(responses["422"].is_object(), "{method} {path}");
            assert!(op["security"].is_array(), "{method} {path}");
            for (status, r) in responses.as_object().into_iter().flatten() {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        r["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status}"
                    );
                }
            }
            if !is_public(path) {
                assert!(responses["401"].is_object(), "{method} {path}");
            }
        }
    }
}

/// Rules across fields are in the document: the role decides the station or
/// region, a reveal names its own record's field and `other` needs a note; a wrong
/// one-time code (401) and a provider's own refusal format are declared.
#[test]
fn cross_field_rules_and_answers_are_declared() {
    let doc = published();
    let staff = &doc["components"]["schemas"]["StaffInput"];
    let rules = staff["allOf"].to_string();
    assert!(rules.contains("\"station_id\"") && rules.contains("\"region_id\""));
    assert!(rules.contains("\"technician\""), "{rules}");
    let reveal = |p: &str| {
        doc["paths"][p]["post"]["requestBody"]["content"]["application/json"]["schema"].clone()
    };
    assert_eq!(
        reveal("/api/v1/staff/{id}/reveal")["properties"]["field"]["enum"],
        serde_json::json!(["", "staff_phone"])
    );
    let customer = &doc["components"]["schemas"]["RevealInput"];
    assert_eq!(customer["if"]["properties"]["purpose"]["const"], "other");
    assert_eq!(customer["then"]["required"][0], "note");
    let verify = &doc["paths"]["/api/v1/auth/owner/verify"]["post"]["responses"];
    assert!(verify["401"].is_object());
    let wechat = &doc["paths"]["/api/v1/payments/notify/wechat"]["post"]["responses"];
    assert!(wechat["401"]["content"]["application/json"].is_object());
    let unit = &doc["components"]["schemas"]["MobileUnitInput"];
    assert!(unit["required"].to_string().contains("\"plate\""));
    assert!(
        unit["properties"]["plate"]["pattern"]
            .as_str()
            .is_some_and(|p| p.contains("京"))
    );
}

/// The three-guarantees policy is described from the parser's own table and the
/// regulation's values: required, nothing else, and every bound exactly where the
/// parser's is (the smallest stated value of each field is accepted, one below is
/// refused); the warning margin cannot exceed the cumulative repair days.
#[test]
fn policy_input_states_the_parsers_limits() {
    use app::guarantee::policy::{POLICY_LIMITS, parse};
    let doc = published();
    let t = &doc["components"]["schemas"]["GuaranteePolicyInput"];
    assert_eq!(t["additionalProperties"], false);
    let bound = |field: &str, which: &str| t["properties"][field][which].as_i64().unwrap_or(-1);
    let policy = |field: Option<(&str, i64)>| {
        let mut m = serde_json::Map::new();
        for (f, _) in POLICY_LIMITS {
            m.insert(f.into(), bound(f, "minimum").into());
        }
        if let Some((f, v)) = field {
            m.insert(f.into(), v.into());
        }
        serde_json::from_value::<app::guarantee::PolicyInput>(serde_json::Value::Object(m))
            .map(|p| parse(&p).is_ok())
            .unwrap_or(false)
    };
    assert!(policy(None), "the smallest stated values are accepted");
    for (field, max) in POLICY_LIMITS {
        assert!(bound(field, "maximum") <= max, "{field}");
        assert!(t["required"].to_string().contains(field), "{field}");
        assert!(
            !policy(Some((field, bound(field, "minimum") - 1))),
            "{field} below its stated minimum is refused"
        );
    }
    let margin = t["oneOf"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(margin as i64, bound("cumulative_repair_days", "maximum"));
}

/// Diary days and KPI months are described as the handlers read them: a date,
/// and the month pattern kept beside the month parser (which takes every month
/// the pattern allows, from its first to its last).
#[test]
fn day_and_month_parameters_carry_their_shape() {
    let doc = published();
    let param = |path: &str, name: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
            .map(|p| p["schema"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        param("/api/v1/stations/{id}/appointments", "day")["format"],
        "date"
    );
    assert_eq!(
        param("/api/v1/stations/{id}/kpis", "month")["pattern"],
        crate::api::kpi::MONTH_PATTERN
    );
    let lang = crate::i18n::Lang::default();
    for m in ["2000-01", "2026-12", "2100-12", "2099-07"] {
        assert!(crate::api::kpi::parse_month(m, lang).is_ok(), "{m}");
    }
    for m in ["1999-12", "2101-01", "2026-13", "2026-00"] {
        assert!(crate::api::kpi::parse_month(m, lang).is_err(), "{m}");
    }
}

/// The key input fields carry the rules the server applies, so a client (or a
/// fuzzer) that follows the schema is not refused: phones have the phone
/// pattern, VINs the VIN's length and alphabet, in bodies and in paths alike.
#[test]
fn key_inputs_carry_their_rules() {
    let doc = published();
    let schemas = &doc["components"]["schemas"];
    let phone = app::schema::phone().pattern;
    assert!(phone.as_deref().is_some_and(|p| p.contains("1[3-9]")));
    for (schema, field) in [
        ("PhoneInput", "phone"),
        ("CodeInput", "phone"),
        ("CustomerInput", "phone"),
        ("StaffInput", "phone"),
    ] {
        let f = &schemas[schema]["properties"][field];
        assert_eq!(f["pattern"].as_str(), phone.as_deref(), "{schema}.{field}");
        assert!(f["examples"][0].is_string(), "{schema}.{field}");
    }
    assert_eq!(
        schemas["CodeInput"]["properties"]["code"]["pattern"],
        "^[0-9]{6}$"
    );
    let vin = &schemas["VehicleInput"]["properties"]["vin"];
    assert_eq!(
        (vin["minLength"].as_u64(), vin["maxLength"].as_u64()),
        (Some(17), Some(17))
    );
    assert!(vin["pattern"].as_str().is_some_and(|p| p.contains("{17}")));
    let by_vin = &doc["paths"]["/api/v1/vehicles/by-vin/{vin}"]["get"]["parameters"];
    let param = by_vin
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "vin")
        .map(|p| p["schema"].clone())
        .unwrap_or_default();
    assert_eq!(param["maxLength"].as_u64(), Some(17));
    assert_eq!(param["pattern"], vin["pattern"]);
    let required = schemas["VehicleInput"]["required"].to_string();
    assert!(required.contains("\"vin\""), "{required}");
    let list = &doc["paths"]["/api/v1/vehicles"]["get"]["parameters"];
    let per_page = list
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "per_page")
        .map(|p| p["schema"]["maximum"].clone());
    assert_eq!(per_page, Some(serde_json::json!(app::Page::MAX_PER_PAGE)));
}

/// The complaint queue's filters list their codes (the fuzz sent a state that does not
/// exist, which the document allowed).
#[test]
fn the_complaint_queue_filters_list_their_codes() {
    let doc = published();
    let params = &doc["paths"]["/api/v1/complaints"]["get"]["parameters"];
    let schema = |n: &str| {
        params
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == n)
            .map(|p| p["schema"].clone())
            .unwrap_or_default()
    };
    assert!(
        schema("category")["enum"]
            .to_string()
            .contains("repair_quality")
    );
    assert!(schema("state")["enum"].to_string().contains("received"));
    assert!(!schema("state")["enum"].to_string().contains("booked"));
    assert_eq!(
        schema("severity")["enum"],
        serde_json::json!(["", "normal", "urgent"]),
        "an empty value is no filter"
    );
}
