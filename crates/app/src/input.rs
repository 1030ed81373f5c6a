//! Reading loosely typed input (JSON numbers or form strings) into checked values,
//! collecting every violation with the field's name.

use domain::{Violation, Violations};
use jiff::civil::Date;
use serde_json::Value;

/// A field as it arrived: a JSON value, or a string from a form.
pub type Loose = Value;

/// A required text of 1 to `max` characters, trimmed.
pub fn text(v: &mut Violations, field: &str, value: &Loose, max: usize) -> Option<String> {
    match opt_text(v, field, value, max) {
        Some(Some(s)) => Some(s),
        Some(None) => {
            v.push(Violation::new(field, "required"));
            None
        }
        None => None,
    }
}

/// An optional text (empty means none) of at most `max` characters. `None` when invalid.
pub fn opt_text(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    max: usize,
) -> Option<Option<String>> {
    let s = match value {
        Value::Null => return Some(None),
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => {
            v.push(Violation::new(field, "type.text"));
            return None;
        }
    };
    if s.is_empty() {
        return Some(None);
    }
    if s.chars().count() > max || s.chars().any(|c| c.is_control()) {
        v.push(Violation::new(field, "text.length").with_detail(max.to_string()));
        return None;
    }
    Some(Some(s))
}

/// A required whole number within `min..=max`.
pub fn int(v: &mut Violations, field: &str, value: &Loose, min: i64, max: i64) -> Option<i64> {
    let n = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if !s.trim().is_empty() => s.trim().parse::<i64>().ok(),
        Value::Null | Value::String(_) => {
            v.push(Violation::new(field, "required"));
            return None;
        }
        _ => None,
    };
    match n {
        Some(n) if (min..=max).contains(&n) => Some(n),
        Some(_) => {
            v.push(Violation::new(field, "number.range").with_detail(format!("{min}..{max}")));
            None
        }
        None => {
            v.push(Violation::new(field, "type.integer"));
            None
        }
    }
}

/// An optional whole number (empty means none).
pub fn opt_int(
    v: &mut Violations,
    field: &str,
    value: &Loose,
    min: i64,
    max: i64,
) -> Option<Option<i64>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) if s.trim().is_empty() => Some(None),
        _ => int(v, field, value, min, max).map(Some),
    }
}

/// A decimal number (coordinates).
pub fn decimal(v: &mut Violations, field: &str, value: &Loose) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if !s.trim().is_empty() => {
            s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
        }
        Value::Null | Value::String(_) => {
            v.push(Violation::new(field, "required"));
            return None;
        }
        _ => None,
    };
    if n.is_none() {
        v.push(Violation::new(field, "type.number"));
    }
    n
}

/// A yes/no value: JSON bool, or a form's `on`/`true`/`1`; missing means no.
pub fn boolean(v: &mut Violations, field: &str, value: &Loose) -> Option<bool> {
    match value {
        Value::Null => Some(false),
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim() {
            "on" | "true" | "1" | "yes" => Some(true),
            "" | "off" | "false" | "0" | "no" => Some(false),
            _ => {
                v.push(Violation::new(field, "type.boolean"));
                None
            }
        },
        _ => {
            v.push(Violation::new(field, "type.boolean"));
            None
        }
    }
}

/// A required calendar date `YYYY-MM-DD`.
pub fn date(v: &mut Violations, field: &str, value: &Loose) -> Option<Date> {
    let s = text(v, field, value, 10)?;
    match s.parse::<Date>() {
        Ok(d) => Some(d),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_from_json_or_forms() {
        let mut v = Violations::new();
        assert_eq!(int(&mut v, "y", &json!(2020), 1990, 2030), Some(2020));
        assert_eq!(int(&mut v, "y", &json!("2021"), 1990, 2030), Some(2021));
        assert_eq!(int(&mut v, "y", &json!("x"), 1990, 2030), None);
        assert_eq!(int(&mut v, "z", &json!(1), 1990, 2030), None);
        assert_eq!(
            v.0.iter().map(|x| x.rule).collect::<Vec<_>>(),
            vec!["type.integer", "number.range"]
        );
        assert_eq!(boolean(&mut v, "b", &json!("on")), Some(true));
        assert_eq!(date(&mut v, "d", &json!("2026-02-30")), None);
        assert_eq!(v.0.last().map(|x| x.rule), Some("date.format"));
    }
}
