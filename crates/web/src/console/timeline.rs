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
/// `{prefix}.{kind}`.
pub fn row(lang: Lang, prefix: &str, e: &EventView<'_>) -> (String, String, String, String) {
    let details = event_text(lang, e.data);
    let why = e.reason.map(|r| format!(" · {r}")).unwrap_or_default();
    (
        show_time(e.at),
        // The system and outside providers have no number worth showing.
        if matches!(e.actor_role, "system" | "provider") {
            t(lang, &format!("role.{}", e.actor_role))
        } else {
            format!(
                "{} #{}",
                t(lang, &format!("role.{}", e.actor_role)),
                e.actor_id
            )
        },
        t(lang, &format!("{prefix}.{}", e.kind)),
        format!("{details}{why}"),
    )
}

/// `label: value` pairs of an event's data, joined with ` · `; empty for no data.
pub fn event_text(lang: Lang, data: &Value) -> String {
    let Some(map) = data.as_object() else {
        return String::new();
    };
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| format!("{}: {}", label(lang, k), value(lang, k, v)))
        .collect::<Vec<_>>()
        .join(" · ")
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
            Some(ms) if key.ends_with("_at") => show_time(ms),
            _ => n.to_string(),
        },
        Value::String(s) => match key {
            "stage" => t(lang, &format!("svc.stage.{s}")),
            "service_type" => t(lang, &format!("svc.type.{s}")),
            "channel" => t(lang, &format!("svc.channel.{s}")),
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
        let change = json!({"before": {"safety_fault": false}, "after": {"safety_fault": true}});
        let en = event_text(Lang::En, &change);
        assert!(en.contains("(Serious safety fault: No)"), "{en}");
        assert!(en.contains("(Serious safety fault: Yes)"), "{en}");
        assert_eq!(event_text(Lang::En, &json!({})), "");
    }
}
