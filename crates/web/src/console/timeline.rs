//! Timelines as the people reading a page want them: who, when, what, and the
//! event's data with translated labels, stages and service types by name, money in
//! yuan, instants in local time, and a change as before → after, instead of raw JSON.

use crate::console::chrome::show_time;
use crate::console::form::t;
use crate::i18n::{Lang, yuan};
use serde_json::Value;

/// One event as a timeline shows it.
pub struct EventView<'a> {
    /// When, UTC ms.
    pub at: i64,
    /// Who: role code.
    pub actor_role: &'a str,
    /// Who: id.
    pub actor_id: i64,
    /// What happened: the key under the page's event prefix.
    pub kind: &'a str,
    /// Details.
    pub data: &'a Value,
    /// Why, when given.
    pub reason: Option<&'a str>,
}

impl<'a> From<&'a app::Event> for EventView<'a> {
    fn from(e: &'a app::Event) -> Self {
        EventView {
            at: e.at,
            actor_role: &e.actor_role,
            actor_id: e.actor_id,
            kind: &e.kind,
            data: &e.data,
            reason: e.reason.as_deref(),
        }
    }
}

impl<'a> From<&'a app::repair_order::view::TimelineEntry> for EventView<'a> {
    fn from(e: &'a app::repair_order::view::TimelineEntry) -> Self {
        EventView {
            at: e.at,
            actor_role: &e.actor_role,
            actor_id: e.actor_id,
            kind: &e.kind,
            data: &e.data,
            reason: e.reason.as_deref(),
        }
    }
}

/// A timeline row: (when, who, what, details and why); `what` is translated from
/// `{prefix}.{kind}`. Who is the role alone: a page that knows the people names them
/// with [`row_named`].
pub fn row(lang: Lang, prefix: &str, e: &EventView<'_>) -> (String, String, String, String) {
    row_named(lang, prefix, e, &[])
}

/// [`row`] with who named from `people` (`(role, id, name)`, from
/// `app::people::actor_names`): "name · role", else the role alone. Never "role #id":
/// a row number says nothing to the reader.
pub fn row_named(
    lang: Lang,
    prefix: &str,
    e: &EventView<'_>,
    people: &[(String, i64, String)],
) -> (String, String, String, String) {
    let details = event_text(lang, e.data);
    let why = e.reason.map(|r| format!(" · {r}")).unwrap_or_default();
    (
        show_time(e.at),
        who(lang, e.actor_role, e.actor_id, people),
        t(lang, &format!("{prefix}.{}", e.kind)),
        format!("{details}{why}"),
    )
}

/// Who took a step: "name · role" for a named member of staff, else the role alone
/// (the system and outside providers have no one to name).
pub fn who(lang: Lang, role: &str, id: i64, people: &[(String, i64, String)]) -> String {
    let role_label = t(lang, &format!("role.{role}"));
    match people.iter().find(|p| p.0 == role && p.1 == id) {
        Some(p) if !matches!(role, "system" | "provider") => format!("{} · {role_label}", p.2),
        _ => role_label,
    }
}

/// Keys of event data that are the system's own references: a reader finds the bill,
/// payment or refund from the page, never by its row number or internal hash.
const INTERNAL: [&str; 4] = ["bill_id", "payment_id", "refund_id", "refund_ref"];

/// `label: value` pairs of an event's data, joined with ` · `; empty for no data.
pub fn event_text(lang: Lang, data: &Value) -> String {
    let Some(map) = data.as_object() else {
        return String::new();
    };
    // A refund's state and method read from the refund's code lists, a payment's
    // from the payment's ("pending" is "处理中" for one, "待支付" for the other).
    let refund = map.contains_key("refund_id") || map.contains_key("refund_ref");
    map.iter()
        .filter(|(k, v)| !v.is_null() && !INTERNAL.contains(&k.as_str()))
        // A number under `…_id` is a row number: a page that wants to show what it
        // refers to puts the name there first (a string), so a bare one is left out.
        .filter(|(k, v)| !(k.ends_with("_id") && v.is_number()))
        .map(|(k, v)| {
            let shown = match (k.as_str(), v.as_str()) {
                ("state", Some(c)) if refund => coded(lang, &["refund.state"], c),
                ("state", Some(c)) => coded(lang, &["payment.state"], c),
                ("method", Some(c)) if refund => coded(lang, &["refund.method"], c),
                ("method", Some(c)) => coded(lang, &["payment.method", "refund.method"], c),
                ("provider", Some(c)) => coded(lang, &["recon.provider"], c),
                _ => value(lang, k, v),
            };
            format!("{}: {shown}", label(lang, k))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The label of `code` under the first of `lists` that has one, else the code.
fn coded(lang: Lang, lists: &[&str], code: &str) -> String {
    lists
        .iter()
        .map(|l| (format!("{l}.{code}"), l))
        .find_map(|(k, _)| {
            let text = t(lang, &k);
            (text != k).then_some(text)
        })
        .unwrap_or_else(|| code.to_string())
}

/// The translated name of a data key (`field.{key}`), else the key itself.
fn label(lang: Lang, key: &str) -> String {
    let k = format!("field.{key}");
    let text = t(lang, &k);
    if text == k { key.to_string() } else { text }
}

fn value(lang: Lang, key: &str, v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => t(lang, if *b { "yes" } else { "no" }),
        Value::Number(n) => match n.as_i64() {
            Some(fen) if key.ends_with("_fen") => yuan(fen),
            // Instants: `…_at`, and a pick-up's window (`window_start`, `window_end`).
            Some(ms) if key.ends_with("_at") || key.starts_with("window_") => show_time(ms),
            _ => n.to_string(),
        },
        Value::String(s) => match key {
            "stage" => t(lang, &format!("svc.stage.{s}")),
            "service_type" => t(lang, &format!("svc.type.{s}")),
            // A reminder's channel, or who asked for a pick-up (staff, owner page).
            "channel" => coded(lang, &["svc.channel", "pk.channel"], s),
            "kind" => coded(lang, &["pk.kind"], s),
            _ => s.clone(),
        },
        Value::Array(items) => items
            .iter()
            .map(|x| value(lang, key, x))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => format!("({})", event_text(lang, v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_like_a_sentence_not_like_json() {
        let data = json!({
            "amount_fen": 123_456, "code": "MAINT-10K", "extra": false, "note": null,
            "stage": "diagnosis", "unknown_key": 7,
        });
        let zh = event_text(Lang::ZhCn, &data);
        assert!(zh.contains("¥1,234.56"), "{zh}");
        assert!(zh.contains("MAINT-10K"), "{zh}");
        assert!(zh.contains("否"), "{zh}");
        assert!(zh.contains("unknown_key: 7"), "{zh}");
        assert!(!zh.contains('{') && !zh.contains("null"), "{zh}");
        // Payments and refunds: methods, providers and states by name, no row ids.
        let paid = json!({"amount_fen": 100, "bill_id": 8, "method": "online", "payment_id": 3208,
            "provider": "wechat", "state": "paid"});
        let zh = event_text(Lang::ZhCn, &paid);
        assert!(
            zh.contains("线上支付") && zh.contains("微信支付") && zh.contains("已支付"),
            "{zh}"
        );
        assert!(!zh.contains("3208") && !zh.contains(": 8"), "{zh}");
        let refund =
            json!({"refund_id": 1, "refund_ref": "c96e", "state": "pending", "method": "provider"});
        let en = event_text(Lang::En, &refund);
        assert!(
            !en.contains("c96e") && !en.contains(": pending") && en.contains("Back through"),
            "{en}"
        );
        let scheduled =
            json!({"channel": "staff", "kind": "pickup", "window_start": 1_795_564_800_000_i64});
        let zh = event_text(Lang::ZhCn, &scheduled);
        assert!(
            !zh.contains("svc.channel") && !zh.contains("1795564800000"),
            "{zh}"
        );
        assert!(!zh.contains(": pickup"), "{zh}");
        let change = json!({"before": {"safety_fault": false}, "after": {"safety_fault": true}});
        let en = event_text(Lang::En, &change);
        assert!(en.contains("(Serious safety fault: No)"), "{en}");
        assert!(en.contains("(Serious safety fault: Yes)"), "{en}");
        assert_eq!(event_text(Lang::En, &json!({})), "");
        // A reference left as a number is not shown; one a page has named is.
        let returned = json!({"repair_order_id": 7, "driver_id": "刘梅阳", "staff_id": 12});
        let zh = event_text(Lang::ZhCn, &returned);
        assert!(!zh.contains('7') && !zh.contains("12"), "{zh}");
        assert!(zh.contains("刘梅阳"), "{zh}");
    }

    #[test]
    fn who_is_a_name_and_a_role_never_a_row_number() {
        let people = vec![("service_advisor".to_string(), 7, "王芳".to_string())];
        let named = who(Lang::ZhCn, "service_advisor", 7, &people);
        assert!(named.starts_with("王芳 · "), "{named}");
        let unknown = who(Lang::En, "driver", 12, &people);
        assert!(
            !unknown.contains('#') && !unknown.contains("12"),
            "{unknown}"
        );
        assert!(!who(Lang::En, "system", 0, &people).contains('#'));
    }
}
