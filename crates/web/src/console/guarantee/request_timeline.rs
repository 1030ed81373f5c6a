//! A replacement or refund request's timeline in words: who took each step by name
//! (the owner and the deadline timers by their role), and each step's data with the
//! request's own codes translated — the article, the right's subject, the kind, the
//! channel, the deadlines, the refusal and the Art 27 usage charge — instead of the
//! stored keys (`article: art24(1)(4)`, `channel: agent`, `vehicle_id: 156`).

use super::{article, subject_label, t};
use crate::console::chrome::show_time;
use crate::i18n::{Lang, yuan};
use app::guarantee::request::read::RequestDetail;
use domain::guarantee::main_part::MainPartList;
use serde_json::Value;

/// Who took a step: the staff member's name and role, else the role alone.
fn who(lang: Lang, d: &RequestDetail, role: &str, id: i64) -> String {
    let role_label = t(lang, &format!("role.{role}"));
    match d.people.iter().find(|p| p.0 == role && p.1 == id) {
        Some(p) => format!("{} · {role_label}", p.2),
        None => role_label,
    }
}

/// One datum of a step as `label: value`, or `None` for what the row says already
/// (the vehicle is the page's, the step is the row's "what").
fn datum(lang: Lang, parts: &MainPartList, key: &str, v: &Value) -> Option<String> {
    let text = v.as_str().unwrap_or_default();
    let (label, value) = match key {
        "kind" => (
            t(lang, "gt2.request_kind"),
            t(lang, &format!("gt2.request.{text}")),
        ),
        "article" => (t(lang, "gt2.article"), article(lang, text)),
        "subject" => (t(lang, "gt2.about"), subject_label(lang, parts, text)),
        "channel" => (
            t(lang, "gt3.channel"),
            t(lang, &format!("gt3.channel.{text}")),
        ),
        "answer_by" => (t(lang, "gt3.answer_by"), text.to_string()),
        "perform_by" => (t(lang, "gt3.perform_by"), text.to_string()),
        "reason" if !text.is_empty() => (t(lang, "gt3.refusal"), text.to_string()),
        "stage" => (t(lang, "gt6.stage"), t(lang, &format!("gt6.stage.{text}"))),
        "usage_charge_fen" => (t(lang, "gt3.usage_charge"), yuan(v.as_i64()?)),
        // Art 29: the replacement car and its own periods, starting anew.
        "new_vin" => (t(lang, "gt3.new_vin"), text.to_string()),
        "new_sanbao_until" => (t(lang, "gt3.new_sanbao_until"), text.to_string()),
        "new_warranty_until" => (t(lang, "gt3.new_warranty_until"), text.to_string()),
        // The new state holds the deadline that starts with it (once accepted).
        "state" => {
            let by = v.get("perform_by")?.as_str()?;
            (t(lang, "gt3.perform_by"), by.to_string())
        }
        _ => return None,
    };
    Some(format!("{label}: {value}"))
}

/// The timeline's rows, newest first: (when, who, what, details).
pub(crate) fn rows(
    lang: Lang,
    parts: &MainPartList,
    d: &RequestDetail,
) -> Vec<(String, String, String, String)> {
    d.timeline
        .iter()
        .rev()
        .map(|e| {
            let details: Vec<String> = e
                .data
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(_, v)| !v.is_null())
                        .filter_map(|(k, v)| datum(lang, parts, k, v))
                        .collect()
                })
                .unwrap_or_default();
            let mut details = details.join(" · ");
            if let Some(r) = &e.reason {
                details = format!("{details} · {r}");
            }
            (
                show_time(e.at),
                who(lang, d, &e.actor_role, e.actor_id),
                t(lang, &format!("svc.event.{}", e.kind)),
                details,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_steps_codes_are_shown_in_words() {
        let parts = MainPartList::shipped().unwrap_or_default();
        let zh = |k: &str, v: Value| datum(Lang::ZhCn, &parts, k, &v).unwrap_or_default();
        assert_eq!(
            zh("article", json!("art24(1)(4)")),
            "条款: 第二十四条第一款第（四）项"
        );
        assert!(zh("channel", json!("agent")).contains("客服"));
        assert!(zh("kind", json!("replacement")).ends_with("更换"));
        assert!(zh("usage_charge_fen", json!(123_456)).contains("¥1,234.56"));
        let accepted = json!({"state": "accepted", "on": "2026-12-01", "perform_by": "2026-12-29"});
        assert!(zh("state", accepted).contains("2026-12-29"));
        assert_eq!(datum(Lang::ZhCn, &parts, "vehicle_id", &json!(156)), None);
        assert_eq!(datum(Lang::ZhCn, &parts, "step", &json!("accept")), None);
    }
}
