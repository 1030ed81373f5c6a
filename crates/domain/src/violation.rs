//! A broken input rule, named by field and rule, so every layer can report it the same way.

use serde::Serialize;

/// One input rule that a value broke: which field, which rule (a stable code that the
/// translation files turn into a sentence), and optional detail for the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The field as the caller named it, e.g. `vin` or `lines[2].hours`.
    pub field: String,
    /// Stable rule code, e.g. `vin.check_digit`; also the translation key suffix.
    pub rule: &'static str,
    /// Extra words for the message (expected value, limit, …), if any.
    pub detail: Option<String>,
}

impl Violation {
    /// A violation of `rule` by `field`.
    pub fn new(field: impl Into<String>, rule: &'static str) -> Self {
        Self {
            field: field.into(),
            rule,
            detail: None,
        }
    }

    /// The same violation with extra detail for the message.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Every violation found in one input; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one violation.
    pub fn push(&mut self, v: Violation) {
        self.0.push(v);
    }

    /// Parses a field, keeping the value on success and the violation on failure,
    /// so a form can report every bad field at once.
    pub fn field<T, E: Into<Violation>>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                let mut v: Violation = e.into();
                v.field = field.to_string();
                self.0.push(v);
                None
            }
        }
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, otherwise the violations as the error.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<Violation> for Violations {
    fn from(v: Violation) -> Self {
        Self(vec![v])
    }
}

impl std::fmt::Display for Violations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", v.field, v.rule)?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}
