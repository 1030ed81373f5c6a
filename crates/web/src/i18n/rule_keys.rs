//! Every rule code the code base can put in a problem document has a sentence in
//! both languages: otherwise callers read a bare code such as
//! `estimate.price_negative`.
//!
//! The codes are gathered from the sources (the second argument of every
//! `Violation::new(…)` written as a literal, and the literals inside each
//! `impl From<…> for Violation` and `fn rule(…)`, where area errors name their rules)
//! and from the central lists of the text and input readers.

use super::{I18n, Lang};
use std::collections::BTreeSet;
use std::path::Path;

/// Whether `s` has the shape of a rule code: lower-case words joined by dots.
fn is_rule(s: &str) -> bool {
    s.contains('.')
        && !s.starts_with('.')
        && !s.ends_with('.')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

/// String literals in `text` (no escapes inside rule codes, so a plain scan will do).
fn literals(text: &str) -> Vec<&str> {
    text.split('"').skip(1).step_by(2).collect()
}

/// The text from `start` to the brace closing the first `{` after it.
fn block(text: &str, start: usize) -> &str {
    let mut depth = 0usize;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth <= 1 => return &text[start..start + i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    &text[start..]
}

/// The arguments of the call whose `(` is just before `start`, split at top-level commas.
fn call_args(text: &str, start: usize) -> Vec<&str> {
    let (mut depth, mut from, mut args) = (1usize, start, Vec::new());
    for (i, c) in text[start..].char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' if depth == 1 => {
                args.push(&text[from..start + i]);
                return args;
            }
            ')' | ']' => depth -= 1,
            ',' if depth == 1 => {
                args.push(&text[from..start + i]);
                from = start + i + 1;
            }
            _ => {}
        }
    }
    args
}

/// The rule codes one source file produces.
fn rules_in(text: &str, out: &mut BTreeSet<String>) {
    for (at, _) in text.match_indices("Violation::new(") {
        let args = call_args(text, at + "Violation::new(".len());
        if let Some(rule) = args.get(1).map(|a| a.trim())
            && let Some(lit) = rule.strip_prefix('"').and_then(|r| r.strip_suffix('"'))
            && is_rule(lit)
        {
            out.insert(lit.to_string());
        }
    }
    for marker in ["for crate::Violation {", "for Violation {", "fn rule("] {
        for (at, _) in text.match_indices(marker) {
            for lit in literals(block(text, at)) {
                if is_rule(lit) {
                    out.insert(lit.to_string());
                }
            }
        }
    }
}

/// Walks `dir` for `.rs` files outside `tests` folders.
fn walk(dir: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !matches!(name, "tests" | "target" | "benches") {
                walk(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs")
            && let Ok(text) = std::fs::read_to_string(&p)
        {
            // Unit tests at the end of a file may build violations of made-up rules.
            let code = text.split("#[cfg(test)]").next().unwrap_or(&text);
            rules_in(code, out);
        }
    }
}

#[test]
fn every_rule_the_code_produces_is_translated() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut rules = BTreeSet::new();
    walk(&crates, &mut rules);
    rules.extend(domain::text::RULES.iter().map(|r| r.to_string()));
    rules.extend(app::input::RULES.iter().map(|r| r.to_string()));
    assert!(rules.len() > 100, "rules found: {}", rules.len());
    assert!(rules.contains("vin.check_digit") && rules.contains("plate.province"));
    let i = I18n::load();
    let missing: Vec<String> = rules
        .iter()
        .flat_map(|r| {
            let key = format!("rule.{r}");
            [Lang::ZhCn, Lang::En]
                .into_iter()
                .filter(|l| i.t(*l, &key) == key)
                .map(|l| format!("{key} ({l:?})"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(missing.is_empty(), "untranslated rules: {missing:#?}");
}

#[test]
fn the_source_scan_finds_rules_where_they_are_written() {
    let mut out = BTreeSet::new();
    rules_in(
        "x(Violation::new(\"a\", \"area.one\")); impl From<E> for crate::Violation {\n\
         fn from(e: E) -> Self { match e { E::A => \"area.two\", } } }\n\
         Violation::new(format!(\"f{}\", 1), \"area.three\"); Violation::new(\"vin\", rule)",
        &mut out,
    );
    assert_eq!(
        out.into_iter().collect::<Vec<_>>(),
        vec!["area.one", "area.three", "area.two"]
    );
}
