//! The three-guarantees policy's legal floors in words (issue 19, finding 12): each
//! setting with its unit, the article that sets its legal value and the way it may
//! move, and the sentence that says it ("Art 21 sets at most 5 days"). Here, under
//! the translations, because the policy page and the API's problem document
//! (`crate::error::field_errors`) both say it, and the error module must not reach up
//! into a console page.

use crate::i18n::{Lang, tables};
use domain::guarantee::period::Policy;

fn t(lang: Lang, key: &str) -> String {
    tables().t(lang, key).to_string()
}

/// An article in words (`gt2.art.{cite}`).
fn article(lang: Lang, cite: &str) -> String {
    t(lang, &format!("gt2.art.{cite}"))
}

/// Which way a value may move away from the law: periods and distances may only be
/// longer, the counts and days that entitle once exceeded only smaller.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// At least the legal value.
    AtLeast,
    /// From 1 to the legal value.
    AtMost,
    /// Not a legal value: 1 to the repair-day line (the warning margin).
    Margin,
}

/// One setting of the policy: its field, unit, the article that sets its legal value
/// and the way it may move.
pub(crate) struct Spec {
    /// The policy field.
    pub(crate) field: &'static str,
    /// Its unit's key (`gt5.unit.{unit}`).
    pub(crate) unit: &'static str,
    /// The article that sets its legal value (empty: none).
    pub(crate) cite: &'static str,
    /// Which way it may move.
    pub(crate) bound: Bound,
}

/// The settings in the order of the form (the order of [`PolicyInput`]).
pub(crate) const SPECS: [Spec; 13] = [
    spec("sanbao_months", "months", "art18", Bound::AtLeast),
    spec("sanbao_km", "km", "art18", Bound::AtLeast),
    spec("warranty_months", "months", "art18", Bound::AtLeast),
    spec("warranty_km", "km", "art18", Bound::AtLeast),
    spec("early_refund_days", "days", "art22", Bound::AtLeast),
    spec("early_days", "days", "art20_23", Bound::AtLeast),
    spec("early_km", "km", "art20_23", Bound::AtLeast),
    spec("courtesy_car_days", "days", "art21", Bound::AtMost),
    spec(
        "cumulative_repair_days",
        "days",
        "art24(1)(4)",
        Bound::AtMost,
    ),
    spec(
        "same_problem_repairs",
        "times",
        "art24(1)(4)",
        Bound::AtMost,
    ),
    spec(
        "serious_safety_repairs",
        "times",
        "art24(1)(1)",
        Bound::AtMost,
    ),
    spec("replacements", "times", "art24(1)(2)_3", Bound::AtMost),
    spec("warning_margin_days", "days", "", Bound::Margin),
];

const fn spec(field: &'static str, unit: &'static str, cite: &'static str, bound: Bound) -> Spec {
    Spec {
        field,
        unit,
        cite,
        bound,
    }
}

/// A policy's value of `field` (0 for a field it does not have).
pub(crate) fn value_of(p: &Policy, field: &str) -> u32 {
    match field {
        "sanbao_months" => p.sanbao_months,
        "sanbao_km" => p.sanbao_km,
        "warranty_months" => p.warranty_months,
        "warranty_km" => p.warranty_km,
        "early_refund_days" => p.early_refund_days,
        "early_days" => p.early_days,
        "early_km" => p.early_km,
        "courtesy_car_days" => p.courtesy_car_days,
        "cumulative_repair_days" => p.cumulative_repair_days,
        "same_problem_repairs" => p.same_problem_repairs,
        "serious_safety_repairs" => p.serious_safety_repairs,
        "replacements" => p.replacements,
        "warning_margin_days" => p.warning_margin_days,
        _ => 0,
    }
}

/// The article of a setting in words (two articles share the early windows and the
/// replacement count).
pub(crate) fn article_words(lang: Lang, cite: &str) -> String {
    match cite {
        "" => t(lang, "gt5.no_article"),
        "art20_23" => [article(lang, "art20"), article(lang, "art23")].join(&t(lang, "gt5.sep")),
        "art24(1)(2)_3" => {
            [article(lang, "art24(1)(2)"), article(lang, "art24(1)(3)")].join(&t(lang, "gt5.sep"))
        }
        c => article(lang, c),
    }
}

/// The legal value in words: "at least 24 months", "at most 5 days".
pub(crate) fn legal_words(lang: Lang, s: &Spec) -> String {
    let value = value_of(&Policy::LEGAL, s.field).to_string();
    let unit = t(lang, &format!("gt5.unit.{}", s.unit));
    let key = match s.bound {
        Bound::AtLeast => "gt5.at_least",
        Bound::AtMost => "gt5.at_most",
        Bound::Margin => "gt5.margin_rule",
    };
    tables().fill(lang, key, &[("value", &value), ("unit", &unit)])
}

/// The legal value of a policy setting and its article in words ("Art 21 sets at
/// most 5 days"), for a refusal on the page and in the API's problem document alike
/// (the rule's machine detail is `art21 5`). `None` for a field that is not a setting.
pub(crate) fn floor_words(lang: Lang, field: &str) -> Option<String> {
    let s = SPECS.iter().find(|s| s.field == field)?;
    Some(tables().fill(
        lang,
        "gt5.floor_words",
        &[
            ("legal", &legal_words(lang, s)),
            ("article", &article_words(lang, s.cite)),
        ],
    ))
}
