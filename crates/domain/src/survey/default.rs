//! The default questionnaire (version 1), kept as data in
//! `crates/domain/data/survey_default.txt`: fifteen questions worded as a callback
//! script reads them, thirteen scored across the six factors, the recommend question
//! and a free comment.

use super::{Factor, Question, Questionnaire, Scale};
use crate::Violation;

const DATA: &str = include_str!("../../data/survey_default.txt");

/// The default questionnaire, checked like any other version.
pub fn questionnaire() -> Result<Questionnaire, Violation> {
    Questionnaire::new(1, parse(DATA)?)
}

/// Parses the data format: `key|factor|scale|weight|zh|en`, `#` comments.
pub fn parse(data: &str) -> Result<Vec<Question>, Violation> {
    let mut out = Vec::new();
    for (i, line) in data.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || Violation::new(format!("line {}", i + 1), "survey.data_malformed");
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let [key, factor, scale, weight, zh, en] = cols[..] else {
            return Err(bad());
        };
        let factor = match factor {
            "-" => None,
            f => Some(Factor::parse(f)?),
        };
        out.push(Question {
            key: key.to_string(),
            factor,
            scale: Scale::parse(scale)?,
            weight_bp: weight.parse().map_err(|_| bad())?,
            text_zh: zh.to_string(),
            text_en: en.to_string(),
        });
    }
    Ok(out)
}
