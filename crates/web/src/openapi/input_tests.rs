//! Tests that the write operations' inputs state the rules their parsers apply: code
//! lists from the domain's own lists, rules across fields, and no component name shared
//! by two schemas (which once described the complaint intake with the three-guarantees
//! request and the complaint policy with the three-guarantees policy).
use super::*;
use domain::code::Code;

fn schema<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    &doc["components"]["schemas"][name]
}

fn enum_of(v: &serde_json::Value) -> Vec<String> {
    v["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// Two areas that give one component name to two different schemas lose one of them
/// in the merge; every name is one schema.
#[test]
fn component_names_are_not_shared() {
    let mut seen: std::collections::BTreeMap<String, serde_json::Value> =
        std::collections::BTreeMap::new();
    let mut shared = Vec::new();
    for area in areas() {
        let area = serde_json::to_value(area).unwrap_or_default();
        for (name, s) in area["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if let Some(first) = seen.insert(name.clone(), s.clone())
                && &first != s
            {
                shared.push(name.clone());
            }
        }
    }
    assert!(
        shared.is_empty(),
        "two schemas share each name of {shared:?}"
    );
    assert!(seen.contains_key("ComplaintFileInput"));
    assert!(seen.contains_key("GuaranteeRequestInput"));
    assert!(seen.contains_key("PrivacyRequestInput"));
    assert!(seen.contains_key("ComplaintPolicyInput"));
}

/// Every field that takes a code of a domain list is an enum of exactly that list.
#[test]
fn code_fields_are_the_domains_lists() {
    let doc = published();
    let cases: [(&str, &str, Vec<&str>); 7] = [
        (
            "ComplaintFileInput",
            "channel",
            domain::complaint::Channel::codes(),
        ),
        ("ActInput", "event", domain::complaint::Event::codes()),
        (
            "ZeroInput",
            "zero",
            domain::complaint::closure::Zero::codes(),
        ),
        (
            "AnalysisInput",
            "responsibility",
            domain::complaint::Responsibility::codes(),
        ),
        (
            "GoodwillInput",
            "kind",
            domain::complaint::goodwill::GoodwillKind::codes(),
        ),
        (
            "ConsentInput",
            "purpose",
            domain::privacy::consent::ConsentPurpose::codes(),
        ),
        (
            "StatusInput",
            "status",
            domain::network::StationStatus::codes(),
        ),
    ];
    for (name, field, codes) in cases {
        let stated = enum_of(&schema(&doc, name)["properties"][field]);
        assert_eq!(stated, codes, "{name}.{field}");
        assert!(
            schema(&doc, name)["required"]
                .to_string()
                .contains(&format!("\"{field}\"")),
            "{name}.{field} is required"
        );
    }
    // A complaint category is head office's data, added at run time: the code's
    // pattern, not a list of the shipped codes.
    for name in ["ComplaintFileInput", "ComplaintPolicyInput"] {
        let cat = &schema(&doc, name)["properties"]["category"];
        assert_eq!(
            cat["pattern"].as_str(),
            Some(domain::complaint::category::CategoryCode::PATTERN),
            "{name}"
        );
        assert!(enum_of(cat).is_empty(), "{name}: {cat}");
        assert!(
            schema(&doc, name)["required"]
                .to_string()
                .contains("\"category\""),
            "{name}.category is required"
        );
    }
    // Each stated level, status and mode is one the parser takes.
    for level in app::schema::SEVERITY_LEVELS {
        let reason = (level == "urgent").then_some("safety");
        assert!(
            domain::complaint::Severity::parse(level, reason).is_ok(),
            "{level}"
        );
    }
    for status in app::schema::ZERO_STATUSES {
        assert!(
            domain::complaint::closure::ZeroStatus::parse(
                domain::complaint::closure::Zero::Technical,
                status,
                "checked"
            )
            .is_ok(),
            "{status}"
        );
    }
    let urgent = enum_of(&schema(&doc, "SeverityInput")["properties"]["urgent_reason"]);
    for r in domain::complaint::UrgentReason::codes() {
        assert!(urgent.contains(&r.to_string()), "{r}");
    }
}

/// The rules across fields are stated: a source link for social media and regulators,
/// a reason for urgent and none for normal, evidence for a consent taken on a call,
/// one of appointment and repair order for a pick-up, a station for a station role's
/// token.
#[test]
fn cross_field_input_rules_are_stated() {
    let doc = published();
    let file = schema(&doc, "ComplaintFileInput").to_string();
    assert!(file.contains("\"social_media\"") && file.contains("\"regulator\""));
    assert!(file.contains("\"required\":[\"source_link\"]"), "{file}");
    assert!(file.contains("\"required\":[\"urgent_reason\"]"), "{file}");
    let severity = schema(&doc, "SeverityInput").to_string();
    assert!(severity.contains("\"required\":[\"urgent_reason\"]"));
    let consent = schema(&doc, "ConsentInput");
    assert_eq!(
        consent["allOf"][0]["if"]["properties"]["source"]["const"],
        "call"
    );
    assert_eq!(consent["allOf"][0]["then"]["required"][0], "evidence");
    assert_eq!(enum_of(&consent["properties"]["source"]), ["desk", "call"]);
    let pickup = schema(&doc, "PickupInput");
    assert_eq!(pickup["oneOf"].as_array().map(Vec::len), Some(2));
    let token = schema(&doc, "TokenInput").to_string();
    assert!(token.contains("\"required\":[\"station_id\"]"), "{token}");
}

/// Instants are stated as the use cases read them (UTC ms, RFC 3339 with offset,
/// civil time in the station's zone), and each pattern only allows texts that parse.
#[test]
fn instants_state_their_three_forms() {
    let doc = published();
    let start = &schema(&doc, "RescheduleInput")["properties"]["start"];
    let forms = start["oneOf"].as_array().cloned().unwrap_or_default();
    assert_eq!(forms.len(), 3, "{start}");
    assert_eq!(forms[0]["type"], "integer");
    let rfc = regex::Regex::new(forms[1]["pattern"].as_str().unwrap_or("^$")).unwrap();
    let civil = regex::Regex::new(forms[2]["pattern"].as_str().unwrap_or("^$")).unwrap();
    for ok in [
        "2026-12-07T10:00:00+08:00",
        "2026-02-28T23:59:59.5Z",
        "9998-12-31T23:59:59Z",
    ] {
        assert!(rfc.is_match(ok), "{ok}");
        assert!(ok.parse::<jiff::Timestamp>().is_ok(), "{ok}");
    }
    for ok in [
        "2026-12-07 10:00",
        "2026-04-30T08:15",
        "2026-01-31 23:59:59",
    ] {
        assert!(civil.is_match(ok), "{ok}");
        assert!(ok.parse::<jiff::civil::DateTime>().is_ok(), "{ok}");
    }
    for bad in [
        "2026-02-30 10:00",
        "2026-13-01 10:00",
        "2026-04-31 10:00",
        "2026-12-07 24:00",
    ] {
        assert!(!civil.is_match(bad), "{bad}");
    }
    for name in ["BookBody", "PickupInput"] {
        let p = &schema(&doc, name)["properties"];
        let field = if name == "BookBody" {
            "start"
        } else {
            "window_end"
        };
        assert_eq!(
            p[field]["oneOf"].as_array().map(Vec::len),
            Some(3),
            "{name}"
        );
    }
}

/// Bodies read by hand carry their schema: the stage standard (six stages in order)
/// and the sandbox checkout form (`outcome`).
#[test]
fn hand_read_bodies_state_their_shape() {
    let doc = published();
    let stage = &doc["paths"]["/api/v1/stage-standards"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    let stages = &stage["properties"]["stages"];
    assert_eq!(
        stages["prefixItems"].as_array().map(Vec::len),
        Some(domain::repair_order::Stage::ALL.len())
    );
    assert_eq!(
        stages["prefixItems"][0]["properties"]["stage"]["const"],
        "reception"
    );
    assert!(doc["paths"]["/api/v1/stage-standards"]["post"]["responses"]["409"].is_object());
    let form = &doc["paths"]["/sandbox-pay/{payment_ref}"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
        ["schema"];
    assert_eq!(enum_of(&form["properties"]["outcome"]), ["pay", "fail"]);
}
