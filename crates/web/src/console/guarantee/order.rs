//! The three guarantees on the order page: the alerts (the courtesy-car duty live from
//! day 6, the vehicle's rights, warnings), and the forms an advisor records what the
//! regulation counts with — the repair-time clock (Art 40), excluded intervals
//! (Art 24 para 3, owner waits), classified faults (the part, its main part and
//! system, serious safety, Art 23 faults) and Art 32 exclusions. Each form posts,
//! redirects to its anchor with a toast, and on a refusal shows the order page again
//! with each error beside its field and what was typed kept. This file builds the
//! section; [`super::order_submit`] receives its forms.

use super::{main_part_name, order_alerts, t};
use crate::AppState;
use crate::console::chrome::{Chrome, show_time};
use crate::console::form::FormData;
use crate::console::session::ConsoleUser;
use crate::error::FieldError;
use crate::i18n::Lang;
use askama::Template;
use domain::guarantee::main_part::System;
use domain::permission::{Action, Grant};

/// A refused form: which one, what was typed, and the errors by field.
pub(crate) struct Failed {
    /// `clock`, `excluded`, `fault` or `exclusion-<line id>`.
    pub form: String,
    /// What was typed.
    pub values: FormData,
    /// The errors by field.
    pub errors: Vec<FieldError>,
}

/// What the order page shows of the three guarantees.
#[derive(Default)]
pub(crate) struct OrderGt {
    /// The alert lines (duty, rights, warnings).
    pub alerts: Vec<String>,
    /// The courtesy-car marker for the order's header ("since …"), when the duty runs.
    pub courtesy_car: Option<String>,
    /// The section with its forms.
    pub html: String,
}

struct ExRow {
    id: i64,
    kind: String,
    from: String,
    to: String,
    evidence: String,
}

struct FaultRow {
    id: i64,
    quality: String,
    part: String,
    main_part: String,
    action: String,
    flags: String,
    exclusion: String,
    excluded: bool,
}

#[derive(Template)]
#[template(path = "guarantee_order.html")]
struct Section {
    chrome: Chrome,
    base: String,
    can_write: bool,
    agreed: String,
    agreed_shown: String,
    completed: String,
    completed_shown: String,
    recorded: bool,
    repair_days: u32,
    counted_days: u32,
    courtesy_car: Option<String>,
    excluded: Vec<ExRow>,
    faults: Vec<FaultRow>,
    kinds: Vec<(String, String)>,
    systems: Vec<(String, String)>,
    main_parts: Vec<(String, Vec<(String, String)>)>,
    actions: Vec<(String, String)>,
    art23: Vec<(String, String)>,
    reasons: Vec<(String, String)>,
    failed: Option<Failed>,
}

impl Section {
    /// The error of `field` in form `form`, if that form was refused.
    fn err(&self, form: &str, field: &str) -> Option<String> {
        let f = self.failed.as_ref().filter(|f| f.form == form)?;
        let msgs: Vec<&str> = f
            .errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect();
        (!msgs.is_empty()).then(|| msgs.join("; "))
    }

    /// Whether form `form` is the one refused.
    fn is_failed(&self, form: &str) -> bool {
        self.failed.as_ref().is_some_and(|f| f.form == form)
    }

    /// What was typed into `field` of form `form`, else `default`.
    fn val(&self, form: &str, field: &str, default: &str) -> String {
        match self.failed.as_ref().filter(|f| f.form == form) {
            Some(f) => f.values.get(field).to_string(),
            None => default.to_string(),
        }
    }

    /// Whether a refused form's errors name none of its shown fields (shown on top).
    fn other_errors(&self, form: &str, fields: &[&str]) -> Vec<String> {
        match self.failed.as_ref().filter(|f| f.form == form) {
            Some(f) => f
                .errors
                .iter()
                .filter(|e| !fields.contains(&e.field.as_str()))
                .map(|e| e.message.clone())
                .collect(),
            None => vec![],
        }
    }
}

/// A UTC ms instant as a `datetime-local` value in the stations' zone.
fn local_input(ms: i64) -> String {
    show_time(ms).replacen(' ', "T", 1)
}

fn options(lang: Lang, prefix: &str, codes: &[&str]) -> Vec<(String, String)> {
    codes
        .iter()
        .map(|c| (c.to_string(), t(lang, &format!("{prefix}{c}"))))
        .collect()
}

/// The three guarantees of order `id` for its page: alerts, the header marker, and
/// the section with its forms (with `failed`'s errors beside their fields).
pub(crate) async fn order_gt(
    s: &AppState,
    user: &ConsoleUser,
    chrome: &Chrome,
    g: &Grant,
    id: i64,
    failed: Option<Failed>,
) -> OrderGt {
    let lang = user.lang;
    let og = match app::guarantee::for_order(&s.app, g, id).await {
        Ok(og) => og,
        Err(e) => {
            tracing::warn!(error = %e, "order page: no three-guarantees counters");
            return OrderGt::default();
        }
    };
    let courtesy_car = og
        .courtesy_car_since
        .map(|since| format!("{} {}", t(lang, "gt2.since"), show_time(since)));
    let parts = &app::guarantee::main_part::names(&s.app)
        .await
        .unwrap_or_default();
    // A new fault may name only a part head office has not retired.
    let main_parts = System::ALL
        .iter()
        .map(|sys| {
            let choices = parts
                .of(*sys)
                .filter(|p| !parts.is_retired(p))
                .map(|p| {
                    let key = format!("{}/{}", sys.code(), p.code);
                    let name = main_part_name(lang, parts, &key);
                    (key, name)
                })
                .collect();
            (t(lang, &format!("gt2.system.{}", sys.code())), choices)
        })
        .collect();
    let excluded = og
        .excluded
        .iter()
        .map(|e| ExRow {
            id: e.id,
            kind: t(lang, &format!("gt2.excluded.{}", e.kind)),
            from: show_time(e.from_at),
            to: show_time(e.to_at),
            evidence: e.evidence.clone(),
        })
        .collect();
    let faults = og
        .lines
        .iter()
        .map(|l| {
            let main_part = match (&l.system, &l.main_part) {
                (Some(s), Some(m)) => main_part_name(lang, parts, &format!("{s}/{m}")),
                (Some(s), None) => t(lang, &format!("gt2.system.{s}")),
                _ => String::new(),
            };
            let mut flags = vec![];
            if l.serious_safety {
                flags.push(t(lang, "gt3.serious_safety"));
            }
            if let Some(a) = &l.art23 {
                flags.push(t(lang, &format!("gt3.art23.{a}")));
            }
            if let Some(c) = &l.code {
                flags.push(c.clone());
            }
            let exclusion = match (&l.exclusion_reason, &l.exclusion_explanation) {
                (Some(r), Some(x)) => format!(
                    "{} · {x} ({})",
                    t(lang, &format!("gt2.reason.{r}")),
                    l.exclusion_evidence.clone().unwrap_or_default()
                ),
                _ => String::new(),
            };
            FaultRow {
                id: l.id,
                quality: t(lang, if l.quality { "yes" } else { "no" }),
                part: l
                    .part
                    .clone()
                    .unwrap_or_else(|| t(lang, "gt2.no_fault_found")),
                main_part,
                action: t(lang, &format!("gt2.action.{}", l.action)),
                flags: flags.join(" · "),
                excluded: l.exclusion_reason.is_some(),
                exclusion,
            }
        })
        .collect();
    let section = Section {
        chrome: chrome.clone(),
        base: format!("/console/orders/{id}/three-guarantees"),
        can_write: user
            .session
            .principal
            .grant(Action::RepairOrderWrite)
            .is_ok(),
        agreed: local_input(og.clock.agreed_at),
        agreed_shown: show_time(og.clock.agreed_at),
        completed: og.clock.completed_at.map(local_input).unwrap_or_default(),
        completed_shown: og.clock.completed_at.map(show_time).unwrap_or_default(),
        recorded: og.clock.recorded,
        repair_days: og.clock.repair_days,
        counted_days: og.clock.counted_days,
        courtesy_car: courtesy_car.clone(),
        excluded,
        faults,
        kinds: options(
            lang,
            "gt2.excluded.",
            &[
                "owner_wait",
                "battery_transport",
                "special_part_transport",
                "rescue_travel",
            ],
        ),
        systems: System::ALL
            .iter()
            .map(|s| {
                (
                    s.code().to_string(),
                    t(lang, &format!("gt2.system.{}", s.code())),
                )
            })
            .collect(),
        main_parts,
        actions: options(
            lang,
            "gt2.action.",
            &["repair", "replace_main_part", "replace_assembly"],
        ),
        art23: options(
            lang,
            "gt3.art23.",
            &[
                "steering_failure",
                "brake_failure",
                "body_crack",
                "fuel_leak",
                "battery_fire",
            ],
        ),
        reasons: options(
            lang,
            "gt2.reason.",
            &[
                "disclosed_defect",
                "use_against_manual",
                "forbidden_modification",
                "improper_handling",
                "force_majeure",
            ],
        ),
        failed,
    };
    OrderGt {
        alerts: order_alerts(lang, parts, &og),
        courtesy_car,
        html: section.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "three-guarantees section failed");
            String::new()
        }),
    }
}
