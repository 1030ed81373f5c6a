//! Complaint categories as data (issue 10 item 1): head office adds a category with a
//! stable code and its names in both languages, renames it and retires it. The
//! shipped list ([`super::Category`]) is only the seed. A retired category stays on
//! the complaints that have it and in filters and analysis, but no new complaint may
//! choose it.

use serde::{Deserialize, Serialize};

use crate::Violation;
use crate::text::{Lines, clean};

/// Longest category code.
pub const MAX_CODE_CHARS: usize = 40;

/// Longest category name, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// A category's stable code: 2–40 characters of `a`–`z`, `0`–`9` and `_`, starting
/// with a letter. It is stored on every complaint and policy, so it never changes; the
/// names do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CategoryCode(String);

impl CategoryCode {
    /// The code as stored and sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A code in the shape codes have (whether it exists is the catalogue's business,
    /// [`choose`]); the rule `complaint.category_code` otherwise.
    pub fn parse(raw: &str) -> Result<CategoryCode, Violation> {
        let t = raw.trim();
        let mut chars = t.chars();
        let first_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let len = t.chars().count();
        if first_letter && rest_ok && (2..=MAX_CODE_CHARS).contains(&len) {
            Ok(CategoryCode(t.to_string()))
        } else {
            Err(Violation::new("code", "complaint.category_code").with_detail(t.to_string()))
        }
    }

    /// The regular expression of a code, for the API's schema.
    pub const PATTERN: &'static str = "^[a-z][a-z0-9_]{1,39}$";
}

impl From<super::Category> for CategoryCode {
    fn from(c: super::Category) -> Self {
        CategoryCode(c.code().to_string())
    }
}

impl std::fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A category's names: simplified Chinese first, English second, both required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryNames {
    /// 中文名.
    pub zh: String,
    /// English name.
    pub en: String,
}

/// One name: required, one line, at most [`MAX_NAME_CHARS`].
fn name(field: &str, raw: &str) -> Result<String, Violation> {
    match clean(raw, MAX_NAME_CHARS, Lines::One) {
        Ok(Some(n)) => Ok(n),
        Ok(None) => Err(Violation::new(field, "complaint.category_name_required")),
        Err(e) => {
            let mut v: Violation = e.into();
            v.field = field.to_string();
            Err(v)
        }
    }
}

impl CategoryNames {
    /// Both names checked; each bad one is named (`name_zh`, `name_en`).
    pub fn parse(zh: &str, en: &str) -> Result<CategoryNames, Vec<Violation>> {
        match (name("name_zh", zh), name("name_en", en)) {
            (Ok(zh), Ok(en)) => Ok(CategoryNames { zh, en }),
            (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
        }
    }
}

/// What the catalogue knows of one category when a complaint names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Chosen for new complaints.
    Active,
    /// Kept on old complaints; not for new ones.
    Retired,
}

/// The category a new complaint may have: the code must be in the catalogue
/// (`lookup` answers its standing) and not retired. The field is `category`; the
/// rules `complaint.category_unknown` and `complaint.category_retired`.
pub fn choose(
    raw: &str,
    lookup: impl FnOnce(&CategoryCode) -> Option<Standing>,
) -> Result<CategoryCode, Violation> {
    let unknown = || {
        Violation::new("category", "complaint.category_unknown").with_detail(raw.trim().to_string())
    };
    let code = CategoryCode::parse(raw).map_err(|_| unknown())?;
    match lookup(&code) {
        Some(Standing::Active) => Ok(code),
        Some(Standing::Retired) => {
            Err(Violation::new("category", "complaint.category_retired")
                .with_detail(code.to_string()))
        }
        None => Err(unknown()),
    }
}

/// The category a filter or an analysis may name: any code the catalogue knows,
/// retired or not (old complaints keep theirs); `complaint.category_unknown` otherwise.
pub fn known(
    raw: &str,
    lookup: impl FnOnce(&CategoryCode) -> Option<Standing>,
) -> Result<CategoryCode, Violation> {
    let unknown = || {
        Violation::new("category", "complaint.category_unknown").with_detail(raw.trim().to_string())
    };
    let code = CategoryCode::parse(raw).map_err(|_| unknown())?;
    lookup(&code).map(|_| code).ok_or_else(unknown)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_have_one_shape() {
        assert_eq!(
            CategoryCode::parse(" noise ").map(|c| c.to_string()),
            Ok("noise".into())
        );
        for bad in ["", "a", "Noise", "1abc", "no-ise", "噪音", &"a".repeat(41)] {
            let e = CategoryCode::parse(bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.rule),
                ("code", "complaint.category_code"),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_are_both_required_and_one_line() {
        let n = CategoryNames::parse(" 异响 ", "Noise").unwrap();
        assert_eq!((n.zh.as_str(), n.en.as_str()), ("异响", "Noise"));
        let e = CategoryNames::parse("", "a\nb").unwrap_err();
        let fields: Vec<_> = e.iter().map(|v| (v.field.as_str(), v.rule)).collect();
        assert_eq!(fields[0], ("name_zh", "complaint.category_name_required"));
        assert_eq!(fields[1].0, "name_en");
        assert!(CategoryNames::parse(&"长".repeat(61), "x").is_err());
    }

    #[test]
    fn a_new_complaint_needs_an_active_known_category() {
        let look = |s: Option<Standing>| move |_: &CategoryCode| s;
        assert!(choose("noise", look(Some(Standing::Active))).is_ok());
        let e = choose("noise", look(Some(Standing::Retired))).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule),
            ("category", "complaint.category_retired")
        );
        let e = choose("weather", look(None)).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.rule),
            ("category", "complaint.category_unknown")
        );
        let e = choose("Bad Code", look(Some(Standing::Active))).unwrap_err();
        assert_eq!(e.rule, "complaint.category_unknown");
        assert!(known("noise", look(Some(Standing::Retired))).is_ok());
        assert!(known("noise", look(None)).is_err());
    }

    #[test]
    fn the_shipped_categories_are_codes() {
        for c in super::super::Category::ALL {
            assert_eq!(CategoryCode::parse(c.code()), Ok(CategoryCode::from(*c)));
        }
    }

    proptest! {
        #[test]
        fn a_parsed_code_parses_to_itself(s in "\\PC{0,50}") {
            if let Ok(c) = CategoryCode::parse(&s) {
                prop_assert_eq!(CategoryCode::parse(c.as_str()), Ok(c.clone()));
                let re = regex_lite_check(c.as_str());
                prop_assert!(re);
            }
        }
    }

    /// The pattern's rule by hand (the domain has no regex engine).
    fn regex_lite_check(s: &str) -> bool {
        let b = s.as_bytes();
        (2..=40).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
    }
}
