//! Daily reconciliation: our settled provider payments of a day against the
//! provider's statement file of that day, matched by the provider's reference.

use std::collections::BTreeMap;

/// How one provider reference came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// On both sides with the same amount.
    Matched,
    /// On both sides, amounts differ.
    AmountMismatch,
    /// In the provider's statement only: money we never recorded.
    Missing,
    /// In our books only: money the provider does not know about.
    Extra,
}

impl Outcome {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Matched => "matched",
            Outcome::AmountMismatch => "amount_mismatch",
            Outcome::Missing => "missing",
            Outcome::Extra => "extra",
        }
    }

    /// Every outcome, in the order pages show them.
    pub const ALL: [Outcome; 4] = [
        Outcome::Matched,
        Outcome::AmountMismatch,
        Outcome::Missing,
        Outcome::Extra,
    ];
}

/// One line of a reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The provider's reference.
    pub provider_ref: String,
    /// How it came out.
    pub outcome: Outcome,
    /// Our amount, fen.
    pub ours_fen: Option<i64>,
    /// The statement's amount, fen.
    pub theirs_fen: Option<i64>,
}

/// Matches our `(provider reference, fen)` against the statement's, one line per
/// reference, sorted by reference. A reference twice on one side counts its sum.
pub fn reconcile(ours: &[(String, i64)], theirs: &[(String, i64)]) -> Vec<Line> {
    let mut m: BTreeMap<&str, (Option<i64>, Option<i64>)> = BTreeMap::new();
    for (r, a) in ours {
        let e = m.entry(r.as_str()).or_default();
        e.0 = Some(e.0.unwrap_or(0) + a);
    }
    for (r, a) in theirs {
        let e = m.entry(r.as_str()).or_default();
        e.1 = Some(e.1.unwrap_or(0) + a);
    }
    m.into_iter()
        .map(|(r, (o, t))| Line {
            provider_ref: r.to_string(),
            outcome: match (o, t) {
                (Some(a), Some(b)) if a == b => Outcome::Matched,
                (Some(_), Some(_)) => Outcome::AmountMismatch,
                (None, _) => Outcome::Missing,
                (Some(_), None) => Outcome::Extra,
            },
            ours_fen: o,
            theirs_fen: t,
        })
        .collect()
}

/// A text cell as written to a CSV or XLSX export: text a spreadsheet program would
/// take for a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) gets a leading apostrophe, so a provider reference or a name typed by
/// an outsider is shown, never evaluated (CWE-1236). Other text is unchanged.
pub fn spreadsheet_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_evaluate_are_neutralised() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\tcmd",
            "\r=1",
        ] {
            let out = spreadsheet_cell(bad);
            assert!(out.starts_with('\''), "{bad:?}");
            assert_eq!(&out[1..], bad);
        }
        for fine in ["SBX-1", "12.50", "", "张三 =1", "matched"] {
            assert_eq!(spreadsheet_cell(fine), fine);
        }
    }

    fn s(r: &str, a: i64) -> (String, i64) {
        (r.to_string(), a)
    }

    #[test]
    fn each_reference_is_matched_missing_extra_or_mismatched() {
        let lines = reconcile(
            &[s("A", 100), s("B", 200), s("D", 5)],
            &[s("A", 100), s("B", 250), s("C", 300)],
        );
        let got: Vec<(&str, Outcome)> = lines
            .iter()
            .map(|l| (l.provider_ref.as_str(), l.outcome))
            .collect();
        assert_eq!(
            got,
            [
                ("A", Outcome::Matched),
                ("B", Outcome::AmountMismatch),
                ("C", Outcome::Missing),
                ("D", Outcome::Extra)
            ]
        );
        assert_eq!(
            (lines[1].ours_fen, lines[1].theirs_fen),
            (Some(200), Some(250))
        );
        assert!(reconcile(&[], &[]).is_empty());
    }
}
