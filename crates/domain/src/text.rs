//! Free text from outside (names, addresses, notes): one normaliser, so that no field
//! stores characters that cannot be seen, printed or compared.
//!
//! The rules, in order:
//! 1. Unicode NFC, so that "é" typed two ways is stored and compared as one text.
//! 2. Trim white space and invisible characters (zero-width space, word joiner,
//!    byte-order mark, soft hyphen, …) at both ends. A text that was only white space
//!    is empty; one that held invisible characters and nothing else is refused
//!    ([`TextError::InvisibleOnly`]), because the caller sent something that would be
//!    stored as a blank name.
//! 3. Refuse, anywhere in the text: control characters (C0, C1, DEL, line and
//!    paragraph separators — a multi-line text may hold line feeds only), private-use
//!    code points, bidirectional overrides, embeddings, isolates and marks (they let a
//!    name display as something else), and unassigned code points and noncharacters.
//! 4. Refuse more than the field's maximum number of characters.
//!
//! Zero-width joiners inside a text are kept: emoji sequences and some scripts need them.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether a text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: names, codes, addresses.
    One,
    /// Several lines (comments): line feeds are kept, `\r\n` and `\r` become `\n`.
    Many,
}

/// Why a text was refused. Each has its own rule code, so the caller learns which
/// character class to remove rather than a misleading "too long".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// A control character (or a line break in a one-line text).
    #[error("control character U+{0:04X}")]
    ControlChar(u32),
    /// A private-use code point.
    #[error("private-use character U+{0:04X}")]
    PrivateUse(u32),
    /// A bidirectional control (override, embedding, isolate or mark).
    #[error("bidirectional control U+{0:04X}")]
    Bidi(u32),
    /// An unassigned code point or a noncharacter.
    #[error("unassigned character U+{0:04X}")]
    Unassigned(u32),
    /// Only invisible characters.
    #[error("only invisible characters")]
    InvisibleOnly,
    /// Longer than the maximum (in characters).
    #[error("longer than {0} characters")]
    TooLong(usize),
}

impl From<TextError> for crate::Violation {
    fn from(e: TextError) -> Self {
        let code = |c: u32| format!("U+{c:04X}");
        let v = |rule| crate::Violation::new("text", rule);
        match e {
            TextError::ControlChar(c) => v("text.control_chars").with_detail(code(c)),
            TextError::PrivateUse(c) => v("text.private_use").with_detail(code(c)),
            TextError::Bidi(c) => v("text.bidi_control").with_detail(code(c)),
            TextError::Unassigned(c) => v("text.unassigned").with_detail(code(c)),
            TextError::InvisibleOnly => v("text.invisible_only"),
            TextError::TooLong(max) => v("text.length").with_detail(max.to_string()),
        }
    }
}

/// Bidirectional formatting characters: marks, embeddings, overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that print nothing and take no room: trimmed at the ends of a text.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// Noncharacters: U+FDD0..U+FDEF and the last two code points of every plane.
fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

/// The first character that no text may hold, as its error.
fn refused(c: char, lines: Lines) -> Option<TextError> {
    let n = c as u32;
    if c == '\n' && lines == Lines::Many {
        return None;
    }
    if is_bidi_control(c) {
        return Some(TextError::Bidi(n));
    }
    if is_noncharacter(c) {
        return Some(TextError::Unassigned(n));
    }
    match c.general_category() {
        GeneralCategory::Control
        | GeneralCategory::LineSeparator
        | GeneralCategory::ParagraphSeparator => Some(TextError::ControlChar(n)),
        GeneralCategory::PrivateUse => Some(TextError::PrivateUse(n)),
        GeneralCategory::Unassigned | GeneralCategory::Surrogate => Some(TextError::Unassigned(n)),
        _ => None,
    }
}

/// Normalises and checks a text: `Ok(None)` when it is empty (or white space only),
/// `Ok(Some(clean))` when it passes every rule of the module comment.
pub fn clean(raw: &str, max: usize, lines: Lines) -> Result<Option<String>, TextError> {
    let raw = match lines {
        Lines::One => std::borrow::Cow::Borrowed(raw),
        Lines::Many => std::borrow::Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n")),
    };
    let nfc: String = raw.nfc().collect();
    let blank_trimmed = nfc.trim();
    if blank_trimmed.is_empty() {
        return Ok(None);
    }
    let trimmed = nfc.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    if trimmed.is_empty() {
        return Err(TextError::InvisibleOnly);
    }
    if let Some(e) = trimmed.chars().find_map(|c| refused(c, lines)) {
        return Err(e);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    Ok(Some(trimmed.to_string()))
}

/// The first character no stored text may hold, whichever field it is for: the
/// checks of [`clean`] that do not depend on the field. Line feeds, carriage returns
/// and tabs pass here (a one-line field refuses them when it is read); nothing is
/// trimmed or normalised. The web layer runs this over every string of a JSON body,
/// so fields read without the text readers are guarded too.
pub fn check_chars(s: &str) -> Result<(), TextError> {
    match s
        .chars()
        .filter(|c| !matches!(c, '\n' | '\r' | '\t'))
        .find_map(|c| refused(c, Lines::Many))
    {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Every rule code this module can produce (for the translation check).
pub const RULES: &[&str] = &[
    "text.control_chars",
    "text.private_use",
    "text.bidi_control",
    "text.unassigned",
    "text.invisible_only",
    "text.length",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(s: &str) -> Result<Option<String>, TextError> {
        clean(s, 50, Lines::One)
    }

    #[test]
    fn plain_names_pass_trimmed() {
        assert_eq!(one("  张三 "), Ok(Some("张三".into())));
        assert_eq!(one("\u{200B}李四\u{FEFF}"), Ok(Some("李四".into())));
        assert_eq!(one("   "), Ok(None));
        assert_eq!(one(""), Ok(None));
        // A family emoji keeps its zero-width joiners.
        assert!(matches!(one("👨\u{200D}👩\u{200D}👧"), Ok(Some(s)) if s.contains('\u{200D}')));
    }

    #[test]
    fn nfc_makes_one_form() {
        assert_eq!(one("e\u{0301}"), Ok(Some("\u{00E9}".into())));
    }

    #[test]
    fn each_bad_class_has_its_rule() {
        assert_eq!(one("工\u{0017}"), Err(TextError::ControlChar(0x17)));
        assert_eq!(one("工\u{E000}"), Err(TextError::PrivateUse(0xE000)));
        assert_eq!(one("\u{202E}evil"), Err(TextError::Bidi(0x202E)));
        assert_eq!(one("a\u{2067}b"), Err(TextError::Bidi(0x2067)));
        assert_eq!(one("a\u{FDD0}"), Err(TextError::Unassigned(0xFDD0)));
        assert_eq!(one("a\u{10FFFF}"), Err(TextError::Unassigned(0x10FFFF)));
        assert_eq!(one("\u{200B}\u{200B}"), Err(TextError::InvisibleOnly));
        assert_eq!(one("a\nb"), Err(TextError::ControlChar(0x0A)));
        assert_eq!(one("a\u{2028}b"), Err(TextError::ControlChar(0x2028)));
        assert_eq!(clean("abc", 2, Lines::One), Err(TextError::TooLong(2)));
        let v: crate::Violation = TextError::ControlChar(0x17).into();
        assert_eq!(v.rule, "text.control_chars");
    }

    #[test]
    fn many_lines_keep_line_feeds_only() {
        assert_eq!(
            clean("好\r\n很好\r", 50, Lines::Many),
            Ok(Some("好\n很好".into()))
        );
        assert_eq!(
            clean("a\tb", 50, Lines::Many),
            Err(TextError::ControlChar(9))
        );
    }

    #[test]
    fn any_field_check_passes_line_breaks_only() {
        assert_eq!(check_chars("a\r\n\tb 好"), Ok(()));
        assert_eq!(check_chars("a\u{0}"), Err(TextError::ControlChar(0)));
        assert_eq!(check_chars("\u{202D}"), Err(TextError::Bidi(0x202D)));
        assert_eq!(check_chars("\u{F8FF}"), Err(TextError::PrivateUse(0xF8FF)));
    }

    proptest! {
        #[test]
        fn never_panics_and_output_is_clean(s in any::<String>(), max in 0usize..80) {
            if let Ok(Some(out)) = clean(&s, max, Lines::One) {
                prop_assert!(out.chars().count() <= max);
                prop_assert!(out.chars().all(|c| refused(c, Lines::One).is_none()));
                prop_assert_eq!(clean(&out, max, Lines::One), Ok(Some(out.clone())));
            }
        }
    }
}
