//! Reading JSON input into checked values, collecting every violation with the
//! field's name.
//!
//! The readers are strict about JSON types: a number where text is expected is
//! `type.text`, a string where a number is expected is `type.integer`, and only JSON
//! `true`/`false` are yes/no. HTML forms, which can only send strings, are turned into
//! typed JSON by the web layer's form reader (from the input type's OpenAPI schema)
//! before they reach these functions, so one set of rules serves both.
//!
//! Every text goes through [`domain::text::clean`]: NFC, trimmed of white space and
//! invisible characters, no control, private-use, bidi-control or noncharacter
//! characters.

use domain::text::{Lines, clean};
use domain::{Violation, Violations};
use jiff::civil::Date;
use serde_json::Value;

/// A field as it arrived in a JSON body (or a form, once the web layer typed it).
pub type Loose = Value;

/// A required text of 1 to `max` characters, cleaned.
pub fn text(v: &mut Violations, field: &str, value: &Loose, max: usize) -> Option<String> {
    let t = opt_text(v, field, value, max);
    required(v, field, t)
}

/// An optional text (empty means none) of at most `max` characters. `None` when invalid.
pub fn opt_text(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    max: usize,
) -> Option<Option<String>> {
    cleaned(v, field, value, max, Lines::One)
}

/// An optional text that may span lines (comments): line feeds are kept.
pub fn opt_lines(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    max: usize,
) -> Option<Option<String>> {
    cleaned(v, field, value, max, Lines::Many)
}

/// Turns "valid but empty" into the `required` violation.
fn required<T>(v: &mut Violations, field: &str, value: Option<Option<T>>) -> Option<T> {
    match value {
        Some(Some(s)) => Some(s),
        Some(None) => {
            v.push(Violation::new(field, "required"));
            None
        }
        None => None,
    }
}

/// The text of a JSON string, cleaned; `Some(None)` for null or blank.
fn cleaned(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    max: usize,
    lines: Lines,
) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) => v.field(field, clean(s, max, lines)),
        _ => {
            v.push(Violation::new(field, "type.text"));
            None
        }
    }
}

/// A required whole number within `min..=max`.
pub fn int(v: &mut Violations, field: &str, value: &Loose, min: i64, max: i64) -> Option<i64> {
    let n = opt_int(v, field, value, min, max);
    required(v, field, n)
}

/// An optional whole number (null means none).
pub fn opt_int(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    min: i64,
    max: i64,
) -> Option<Option<i64>> {
    match value {
        Value::Null => Some(None),
        Value::Number(n) => match n.as_i64().or_else(|| whole(n)) {
            Some(n) if (min..=max).contains(&n) => Some(Some(n)),
            Some(_) => {
                v.push(Violation::new(field, "number.range").with_detail(format!("{min}..{max}")));
                None
            }
            None => {
                v.push(Violation::new(field, "type.integer"));
                None
            }
        },
        _ => {
            v.push(Violation::new(field, "type.integer"));
            None
        }
    }
}

/// A number written with a fraction that is zero (`3.0`): JSON Schema counts it as
/// an integer, so a client following the description may send it. Only values an
/// `f64` holds exactly (|n| ≤ 2^53) are taken.
fn whole(n: &serde_json::Number) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    n.as_f64()
        .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT)
        // In range by the filter above, so the cast is exact.
        .map(|f| f as i64)
}

/// A decimal number (coordinates).
pub fn decimal(v: &mut Violations, field: &str, value: &Loose) -> Option<f64> {
    match value {
        Value::Null => {
            v.push(Violation::new(field, "required"));
            None
        }
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()).or_else(|| {
            v.push(Violation::new(field, "type.number"));
            None
        }),
        _ => {
            v.push(Violation::new(field, "type.number"));
            None
        }
    }
}

/// A yes/no value: JSON `true` or `false`; missing means no.
pub fn boolean(v: &mut Violations, field: &str, value: &Loose) -> Option<bool> {
    match value {
        Value::Null => Some(false),
        Value::Bool(b) => Some(*b),
        _ => {
            v.push(Violation::new(field, "type.boolean"));
            None
        }
    }
}

/// A required calendar date `YYYY-MM-DD`.
pub fn date(v: &mut Violations, field: &str, value: &Loose) -> Option<Date> {
    let d = opt_date(v, field, value, Date::MIN, Date::MAX);
    required(v, field, d)
}

/// A required calendar date within `earliest..=latest`; outside, the rule
/// `date.range` names both ends, so the caller knows what is plausible.
pub fn date_in(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    earliest: Date,
    latest: Date,
) -> Option<Date> {
    let d = opt_date(v, field, value, earliest, latest);
    required(v, field, d)
}

/// An optional calendar date (null or blank means none) within `earliest..=latest`.
pub fn opt_date(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    earliest: Date,
    latest: Date,
) -> Option<Option<Date>> {
    let Some(s) = opt_text(v, field, value, 10)? else {
        return Some(None);
    };
    match s.parse::<Date>() {
        Ok(d) if (earliest..=latest).contains(&d) => Some(Some(d)),
        Ok(_) => {
            v.push(
                Violation::new(field, "date.range").with_detail(format!("{earliest}..{latest}")),
            );
            None
        }
        Err(_) => {
            v.push(Violation::new(field, "date.format"));
            None
        }
    }
}

/// Parses with a domain parser, renaming the violation's field.
pub fn parsed<T, E: Into<Violation>>(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    let s = text(v, field, value, 64)?;
    v.field(field, parse(&s))
}

/// Parses the JSON string exactly as sent (no trimming or cleaning first), for
/// identifiers such as the VIN whose parser decides about white space itself.
pub fn parsed_exact<T, E: Into<Violation>>(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    match value {
        Value::String(s) if !s.is_empty() => v.field(field, parse(s)),
        Value::Null | Value::String(_) => {
            v.push(Violation::new(field, "required"));
            None
        }
        _ => {
            v.push(Violation::new(field, "type.text"));
            None
        }
    }
}

/// Every rule code the readers here produce (for the translation check).
pub const RULES: &[&str] = &[
    "required",
    "type.text",
    "type.integer",
    "type.number",
    "type.boolean",
    "number.range",
    "date.format",
    "date.range",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(v: &Violations) -> Vec<&'static str> {
        v.0.iter().map(|x| x.rule).collect()
    }

    #[test]
    fn json_types_are_strict() {
        let mut v = Violations::new();
        assert_eq!(int(&mut v, "y", &json!(2020), 1990, 2030), Some(2020));
        assert_eq!(int(&mut v, "y", &json!("2021"), 1990, 2030), None);
        assert_eq!(int(&mut v, "z", &json!(1), 1990, 2030), None);
        assert_eq!(int(&mut v, "f", &json!(1.5), 0, 9), None);
        assert_eq!(int(&mut v, "g", &json!(3.0), 0, 9), Some(3));
        assert_eq!(int(&mut v, "h", &json!(1e300), 0, i64::MAX), None);
        assert_eq!(text(&mut v, "t", &json!(123), 10), None);
        assert_eq!(boolean(&mut v, "b", &json!("yes")), None);
        assert_eq!(boolean(&mut v, "b", &json!(true)), Some(true));
        assert_eq!(decimal(&mut v, "d", &json!("1.5")), None);
        assert_eq!(
            rules(&v),
            vec![
                "type.integer",
                "number.range",
                "type.integer",
                "type.integer",
                "type.text",
                "type.boolean",
                "type.number"
            ]
        );
    }

    #[test]
    fn texts_are_cleaned_with_their_own_rules() {
        let mut v = Violations::new();
        assert_eq!(text(&mut v, "n", &json!(" 工 "), 10), Some("工".into()));
        assert_eq!(text(&mut v, "n", &json!("工\u{0017}\u{e000}"), 10), None);
        assert_eq!(text(&mut v, "n", &json!("\u{200b}\u{200b}"), 10), None);
        assert_eq!(text(&mut v, "n", &json!("\u{202e}abc"), 10), None);
        assert_eq!(text(&mut v, "n", &json!("  "), 10), None);
        assert_eq!(
            rules(&v),
            vec![
                "text.control_chars",
                "text.invisible_only",
                "text.bidi_control",
                "required"
            ]
        );
        assert_eq!(
            opt_lines(&mut v, "c", &json!("a\r\nb"), 10),
            Some(Some("a\nb".into()))
        );
    }

    #[test]
    fn dates_in_a_range_name_it() {
        let mut v = Violations::new();
        let (lo, hi) = (jiff::civil::date(1990, 1, 1), jiff::civil::date(2026, 6, 1));
        assert_eq!(date(&mut v, "d", &json!("2026-02-30")), None);
        assert_eq!(date_in(&mut v, "p", &json!("0001-01-01"), lo, hi), None);
        assert_eq!(date_in(&mut v, "p", &json!("9999-12-31"), lo, hi), None);
        assert_eq!(
            date_in(&mut v, "p", &json!("2020-05-05"), lo, hi),
            Some(jiff::civil::date(2020, 5, 5))
        );
        assert_eq!(rules(&v), vec!["date.format", "date.range", "date.range"]);
        assert_eq!(v.0[1].detail.as_deref(), Some("1990-01-01..2026-06-01"));
    }
}
