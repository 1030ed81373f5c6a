//! Every event an order's timeline can show, and every code list a page shows by
//! label, reads as words in zh-CN and in English: no raw key (`svc.event.rated`,
//! `role.provider`), no code (`ev_high_voltage`), no "#0" for the system (issue 17).

use domain::appointment::ServiceType;
use domain::certification::Qualification;
use domain::repair_order::Stage;
use domain::role::Role;
use serde_json::json;
use web::console::timeline::{EventView, row};
use web::i18n::{Lang, tables};

/// Events written on a repair order's timeline (entity `repair_order`), by the order,
/// estimate, billing, rating and three-guarantees use cases.
const ORDER_EVENTS: &[&str] = &[
    "opened",
    "comeback_linked",
    "second_order_opened",
    "stage_started",
    "stage_completed",
    "checkpoint_checked",
    "applicable_set",
    "concern_classified",
    "line_added",
    "line_approved",
    "line_declined",
    "line_reoffered",
    "technician_assigned",
    "work_started",
    "work_finished",
    "part_fitted",
    "owner_link_issued",
    "owner_link_revoked",
    "delivered",
    "three_guarantees_changed",
    "bill_issued",
    "payment_started",
    "payment_failed",
    "payment_recorded",
    "payment_cancelled",
    "payment_closed",
    "payment_paid_late",
    "refund_recorded",
    "refund_settled",
    "rated",
    "guarantee_clock_set",
    "guarantee_excluded_added",
    "guarantee_excluded_removed",
    "guarantee_line_classified",
    "guarantee_exclusion_set",
    "guarantee_exclusion_cleared",
    "three_guarantees_policy_changed",
    "guarantee_delivered_on_set",
    "guarantee_request_filed",
    "guarantee_request_accepted",
    "guarantee_request_refused",
    "guarantee_request_performed",
    "guarantee_request_due_today",
    "guarantee_request_overdue",
];

fn langs() -> [Lang; 2] {
    [Lang::ZhCn, Lang::En]
}

/// A text that still is a key (`a.b_c`) or carries one.
fn raw(text: &str, key: &str) -> bool {
    text == key || text.contains(key) || text.is_empty()
}

#[test]
fn every_order_event_reads_as_words_in_both_languages() {
    for lang in langs() {
        for kind in ORDER_EVENTS {
            let data = json!({});
            let e = EventView {
                at: 0,
                actor_role: "provider",
                actor_id: 0,
                kind,
                data: &data,
                reason: None,
            };
            let (_, who, what, _) = row(lang, "svc.event", &e);
            assert!(
                !raw(&what, &format!("svc.event.{kind}")),
                "{lang:?} {kind}: {what}"
            );
            assert!(
                !who.contains("role.") && !who.contains("#0"),
                "{lang:?}: {who}"
            );
        }
    }
}

#[test]
fn the_event_list_holds_every_kind_the_use_cases_record_on_an_order() {
    // Each `event::record(` call on the order's entity names its kind as a string
    // literal on a line of its own (rustfmt); every such kind must be in the list.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src");
    let mut files = vec![root];
    let mut missing = vec![];
    while let Some(p) = files.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).into_iter().flatten().flatten() {
                files.push(e.path());
            }
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        for call in text.split("event::record(").skip(1) {
            let call = call.split(".await").next().unwrap_or("");
            if !(call.contains("ENTITY,")) || call.contains("\"appointment\"") {
                continue;
            }
            if p.to_string_lossy().contains("pickup") {
                continue; // pick-ups have their own entity named ENTITY in their module
            }
            for line in call.lines() {
                let l = line.trim().trim_end_matches(',');
                if l.len() > 2
                    && l.starts_with('"')
                    && l.ends_with('"')
                    && l[1..l.len() - 1]
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_')
                {
                    let kind = &l[1..l.len() - 1];
                    if !ORDER_EVENTS.contains(&kind) {
                        missing.push(format!("{kind} ({})", p.display()));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "events without a label: {missing:?}");
}

#[test]
fn every_code_list_has_labels_in_both_languages() {
    let t = tables();
    let mut keys: Vec<String> = vec![];
    keys.extend(Stage::ALL.iter().map(|s| format!("svc.stage.{}", s.code())));
    keys.extend(
        ServiceType::ALL
            .iter()
            .map(|s| format!("svc.type.{}", s.code())),
    );
    keys.extend(Role::ALL.iter().map(|r| format!("role.{}", r.code())));
    keys.extend(["role.provider", "role.system"].map(String::from));
    keys.extend(
        Qualification::ALL
            .iter()
            .map(|q| format!("detail.{}", q.code())),
    );
    keys.extend(domain::customer::Channel::ALL.iter().flat_map(|c| {
        [
            format!("channel.{}", c.code()),
            format!("svc.channel.{}", c.code()),
        ]
    }));
    keys.extend(["pending", "in_progress", "done"].map(|s| format!("svc.status.{s}")));
    keys.extend(["proposed", "approved", "declined"].map(|s| format!("svc.decision.{s}")));
    keys.extend(["not_started", "in_progress", "done"].map(|s| format!("svc.work.{s}")));
    keys.extend(["desk_signature", "owner_page"].map(|s| format!("svc.channel.{s}")));
    for lang in langs() {
        for k in &keys {
            let text = t.t(lang, k);
            assert!(!raw(text, k), "{lang:?}: {k} has no label");
        }
    }
}

#[test]
fn a_missing_qualification_is_named_not_coded() {
    for lang in langs() {
        for q in Qualification::ALL {
            let v = domain::Violation::from(
                domain::certification::CertificationError::QualificationMissing(q),
            );
            let text = tables().violation(lang, &v);
            assert!(!text.contains(q.code()), "{lang:?}: {text}");
        }
        let v = domain::Violation::from(domain::certification::CertificationError::Unassigned);
        assert!(!tables().violation(lang, &v).contains("certification."));
    }
}
