//! Audit checklists (检核表): steps in order, each with its checkpoints. A checklist is
//! published by version and a visit keeps the version it was scored on, so a later
//! edit never changes an old score. The default (`crates/domain/data/audit_checklist.txt`)
//! has the 7 service steps × 8 checkpoints and 12 facility checkpoints of SPEC §10.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Tally, Verdict};
use crate::Violation;
use crate::text::Lines;

/// The default checklist as text: `step|code|text zh|text en`, one checkpoint a line.
pub const DEFAULT_TEXT: &str = include_str!("../../data/audit_checklist.txt");

/// The step of the facility checkpoints (scored on every visit, not a service step).
pub const FACILITY_STEP: &str = "facility";

/// The most checkpoints one checklist may hold.
pub const MAX_CHECKPOINTS: usize = 200;

/// The longest checkpoint text, in characters.
pub const MAX_CHECKPOINT_TEXT: usize = 200;

/// One checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The step it belongs to (`appointment`, …, `facility`).
    pub step: String,
    /// Its code, unique in the checklist (`R03`).
    pub code: String,
    /// What is checked, in Chinese.
    pub text_zh: String,
    /// What is checked, in English.
    pub text_en: String,
}

/// A checked checklist: at least one checkpoint, codes unique, steps contiguous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    checkpoints: Vec<Checkpoint>,
}

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Checklist {
    /// Checks a list of checkpoints: each step and code a short ASCII code, codes
    /// unique, texts present and clean, a step's checkpoints together, at most
    /// [`MAX_CHECKPOINTS`]. Violations name the checkpoint by its index.
    pub fn new(checkpoints: Vec<Checkpoint>) -> Result<Checklist, Violation> {
        if checkpoints.is_empty() {
            return Err(Violation::new(
                "checkpoints",
                "quality_audit.checklist_empty",
            ));
        }
        if checkpoints.len() > MAX_CHECKPOINTS {
            return Err(
                Violation::new("checkpoints", "quality_audit.checklist_too_long")
                    .with_detail(MAX_CHECKPOINTS.to_string()),
            );
        }
        let mut codes = HashSet::new();
        let mut steps_done: Vec<&str> = Vec::new();
        let mut clean = Vec::with_capacity(checkpoints.len());
        for (i, c) in checkpoints.iter().enumerate() {
            let field = |f: &str| format!("checkpoints[{i}].{f}");
            if !is_code(&c.step) {
                return Err(Violation::new(field("step"), "quality_audit.code_invalid"));
            }
            if !is_code(&c.code) {
                return Err(Violation::new(field("code"), "quality_audit.code_invalid"));
            }
            if !codes.insert(c.code.as_str()) {
                return Err(Violation::new(field("code"), "quality_audit.code_repeated")
                    .with_detail(c.code.clone()));
            }
            match steps_done.last() {
                Some(last) if *last == c.step => {}
                _ if steps_done.contains(&c.step.as_str()) => {
                    return Err(Violation::new(field("step"), "quality_audit.step_split")
                        .with_detail(c.step.clone()));
                }
                _ => steps_done.push(&c.step),
            }
            let text =
                |f: &str, raw: &str| match crate::text::clean(raw, MAX_CHECKPOINT_TEXT, Lines::One)
                {
                    Ok(Some(t)) => Ok(t),
                    Ok(None) => Err(Violation::new(field(f), "quality_audit.text_required")),
                    Err(e) => {
                        let mut v = Violation::from(e);
                        v.field = field(f);
                        Err(v)
                    }
                };
            clean.push(Checkpoint {
                step: c.step.clone(),
                code: c.code.clone(),
                text_zh: text("text_zh", &c.text_zh)?,
                text_en: text("text_en", &c.text_en)?,
            });
        }
        Ok(Checklist { checkpoints: clean })
    }

    /// Reads the line format of [`DEFAULT_TEXT`] (`#` comments and blank lines skipped).
    pub fn parse(text: &str) -> Result<Checklist, Violation> {
        let mut list = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let [step, code, zh, en] = parts.as_slice() else {
                return Err(Violation::new(
                    format!("line {}", n + 1),
                    "quality_audit.line_format",
                ));
            };
            list.push(Checkpoint {
                step: (*step).to_string(),
                code: (*code).to_string(),
                text_zh: (*zh).to_string(),
                text_en: (*en).to_string(),
            });
        }
        Checklist::new(list)
    }

    /// The checklist shipped with Aftersales.
    pub fn default_list() -> Checklist {
        // The shipped text is checked by a unit test; an edit that breaks it fails there.
        Checklist::parse(DEFAULT_TEXT).unwrap_or(Checklist {
            checkpoints: Vec::new(),
        })
    }

    /// Every checkpoint in order.
    pub fn checkpoints(&self) -> &[Checkpoint] {
        &self.checkpoints
    }

    /// The steps in order.
    pub fn steps(&self) -> Vec<&str> {
        let mut steps: Vec<&str> = Vec::new();
        for c in &self.checkpoints {
            if steps.last() != Some(&c.step.as_str()) {
                steps.push(&c.step);
            }
        }
        steps
    }

    /// The checkpoint of a code.
    pub fn checkpoint(&self, code: &str) -> Option<&Checkpoint> {
        self.checkpoints.iter().find(|c| c.code == code)
    }

    /// Checks a visit's answers against this checklist: every checkpoint answered
    /// once, no unknown code, and a failed checkpoint has its finding. Returns the
    /// tally of the whole visit and per step (in step order).
    pub fn score(&self, answers: &[Answer]) -> Result<Score, Violation> {
        let mut seen: BTreeMap<&str, Verdict> = BTreeMap::new();
        for (i, a) in answers.iter().enumerate() {
            if self.checkpoint(&a.code).is_none() {
                return Err(Violation::new(
                    format!("answers[{i}].code"),
                    "quality_audit.checkpoint_unknown",
                )
                .with_detail(a.code.clone()));
            }
            if seen.insert(&a.code, a.verdict).is_some() {
                return Err(Violation::new(
                    format!("answers[{i}].code"),
                    "quality_audit.checkpoint_repeated",
                )
                .with_detail(a.code.clone()));
            }
            if a.verdict == Verdict::Fail
                && a.finding.as_deref().is_none_or(|f| f.trim().is_empty())
            {
                return Err(Violation::new(
                    format!("answers[{i}].finding"),
                    "quality_audit.finding_required",
                )
                .with_detail(a.code.clone()));
            }
        }
        if let Some(missing) = self
            .checkpoints
            .iter()
            .find(|c| !seen.contains_key(c.code.as_str()))
        {
            return Err(
                Violation::new("answers", "quality_audit.checkpoint_unanswered")
                    .with_detail(missing.code.clone()),
            );
        }
        let mut by_step: Vec<(String, Tally)> = Vec::new();
        let mut total = Tally::default();
        for c in &self.checkpoints {
            let v = seen
                .get(c.code.as_str())
                .copied()
                .unwrap_or(Verdict::NotApplicable);
            total.add(v);
            match by_step.last_mut() {
                Some((s, t)) if *s == c.step => t.add(v),
                _ => by_step.push((c.step.clone(), Tally::of([v]))),
            }
        }
        Ok(Score { total, by_step })
    }
}

/// One checkpoint's answer at a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The checkpoint's code.
    pub code: String,
    /// Pass, fail or not applicable.
    pub verdict: Verdict,
    /// What was found (required when failed).
    pub finding: Option<String>,
}

/// A scored visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    /// The whole visit.
    pub total: Tally,
    /// Each step, in checklist order.
    pub by_step: Vec<(String, Tally)>,
}
