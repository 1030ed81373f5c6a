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
//!    name display as something else), and noncharacters.
//! 4. Refuse more than the field's maximum number of characters, counted on the
//!    trimmed text as it was sent (before NFC), so that the published rule
//!    ([`pattern`]) and this one count the same characters.
//!
//! Code points unassigned in our Unicode tables are accepted: a phone with a newer
//! Unicode version than the server sends new emoji that the server's tables do not
//! know yet, and refusing them would refuse a customer's ordinary comment. The rule is
//! also one that the published OpenAPI pattern could not state.
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
    /// A noncharacter (U+FDD0..U+FDEF, the last two code points of a plane) or a
    /// surrogate.
    #[error("noncharacter U+{0:04X}")]
    Noncharacter(u32),
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
            TextError::Noncharacter(c) => v("text.noncharacter").with_detail(code(c)),
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

/// What trimming removes at both ends: white space and invisible characters.
fn is_edge(c: char) -> bool {
    c.is_whitespace() || is_invisible(c)
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
        return Some(TextError::Noncharacter(n));
    }
    match c.general_category() {
        GeneralCategory::Control
        | GeneralCategory::LineSeparator
        | GeneralCategory::ParagraphSeparator => Some(TextError::ControlChar(n)),
        GeneralCategory::PrivateUse => Some(TextError::PrivateUse(n)),
        GeneralCategory::Surrogate => Some(TextError::Noncharacter(n)),
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
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let trimmed = raw.trim_matches(is_edge);
    if trimmed.is_empty() {
        return Err(TextError::InvisibleOnly);
    }
    if let Some(e) = trimmed.chars().find_map(|c| refused(c, lines)) {
        return Err(e);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    // NFC cannot put white space or invisible characters at the ends, so the trimmed
    // text stays trimmed.
    Ok(Some(trimmed.nfc().collect()))
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

/// Characters refused anywhere in any string ([`check_chars`]), as the body of a
/// regular-expression class. Written with `\uXXXX` escapes and, above the BMP, literal
/// characters, so that the same text reads alike in ECMA-262 (`u` flag), Python and
/// Rust regular expressions. Planes 15 and 16 are private use up to their two
/// noncharacters, so the whole range goes. Surrogates are not listed: no JSON text
/// decodes to a lone one (the body is refused as malformed first), and validators
/// built on Rust's regex cannot compile a surrogate range.
const REFUSED_ANYWHERE: &str = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\
\\u061C\\u200E\\u200F\\u2028-\\u202E\\u2066-\\u2069\\uE000-\\uF8FF\
\\uFDD0-\\uFDEF\\uFFFE\\uFFFF\
\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\
\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\
\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\
\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}\u{F0000}-\u{10FFFF}";

/// White space that trimming removes and no string refuses ([`char::is_whitespace`]
/// less the controls and separators that [`REFUSED_ANYWHERE`] holds).
const BLANK: &str = "\\t\\n\\r \\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000";

/// The invisible characters of [`is_invisible`], as a class body.
const INVISIBLE: &str = "\\u00AD\\u034F\\u115F\\u1160\\u180B-\\u180F\\u200B-\\u200D\
\\u2060-\\u2064\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0";

/// A pattern for a code read through [`clean`]: `core` (a regular expression without
/// anchors) with the white space and invisible characters that trimming removes
/// allowed at either end.
pub fn trimmed_pattern(core: &str) -> String {
    format!("^[{BLANK}{INVISIBLE}]*(?:{core})[{BLANK}{INVISIBLE}]*$")
}

/// The regular expression of [`check_chars`]: what any string of a request may hold,
/// for the fields that are not free text of a known length (codes, references).
pub fn any_string_pattern() -> String {
    format!("^[^{REFUSED_ANYWHERE}]*$")
}

/// The regular expression (JSON Schema `pattern`) that accepts exactly the strings
/// [`clean`] (after [`check_chars`]) accepts for a field of at most `max` characters
/// (`max` at least 1): `required` refuses the blank text too. The OpenAPI document publishes it on every
/// free-text field, so a client learns the rule before it sends.
pub fn pattern(lines: Lines, max: usize, required: bool) -> String {
    pattern_between(lines, 1, max, required)
}

/// [`pattern`] for a field of `min` (at least 1) to `max` characters once trimmed.
pub fn pattern_between(lines: Lines, min: usize, max: usize, required: bool) -> String {
    let edge = format!("[{BLANK}{INVISIBLE}]*");
    let visible = format!("[^{REFUSED_ANYWHERE}{BLANK}{INVISIBLE}]");
    let inner = match lines {
        Lines::One => format!("[^{REFUSED_ANYWHERE}\\t\\n\\r]"),
        Lines::Many => format!("[^{REFUSED_ANYWHERE}\\t]"),
    };
    let core = match max {
        0 | 1 => visible.clone(),
        _ if min <= 1 => format!("{visible}(?:{inner}{{0,{}}}{visible})?", max - 2),
        _ => format!("{visible}{inner}{{{},{}}}{visible}", min - 2, max - 2),
    };
    let text = format!("{edge}{core}{edge}");
    if required {
        format!("^{text}$")
    } else {
        format!("^(?:[{BLANK}]*|{text})$")
    }
}

/// The regular expression of a text read with [`str::trim`] after [`check_chars`]
/// (line feeds and tabs allowed inside): `min` to `max` characters once the white
/// space at the ends is trimmed (`min` 0 allows the blank text). For the few fields
/// whose parser trims white space only (a reveal's note).
pub fn trimmed_length_pattern(min: usize, max: usize) -> String {
    let edge = format!("[{BLANK}]*");
    let visible = format!("[^{REFUSED_ANYWHERE}{BLANK}]");
    let inner = format!("[^{REFUSED_ANYWHERE}]");
    let core = match max {
        0 => String::new(),
        1 => visible.clone(),
        _ => format!(
            "{visible}(?:{inner}{{{},{}}}{visible}){}",
            min.saturating_sub(2),
            max - 2,
            if min >= 2 { "" } else { "?" }
        ),
    };
    let core = if min == 0 {
        format!("(?:{core})?")
    } else {
        core
    };
    format!("^{edge}{core}{edge}$")
}

/// Every rule code this module can produce (for the translation check).
pub const RULES: &[&str] = &[
    "text.control_chars",
    "text.private_use",
    "text.bidi_control",
    "text.noncharacter",
    "text.invisible_only",
    "text.length",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The trimmed-length pattern counts as `str::trim` does.
    #[test]
    fn trimmed_length_pattern_counts_trimmed_characters() {
        let two = regex::Regex::new(&trimmed_length_pattern(2, 5)).unwrap();
        let any = regex::Regex::new(&trimmed_length_pattern(0, 5)).unwrap();
        for (s, n) in [
            ("", 0),
            ("  ", 0),
            ("a", 1),
            (" ab ", 2),
            ("a\tb", 3),
            ("abcde", 5),
            ("abcdef", 6),
        ] {
            assert_eq!(two.is_match(s), (2..=5).contains(&n), "{s:?}");
            assert_eq!(any.is_match(s), n <= 5, "{s:?}");
        }
        assert!(!any.is_match("a\u{0}"));
    }

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
        assert_eq!(one("a\u{FDD0}"), Err(TextError::Noncharacter(0xFDD0)));
        assert_eq!(one("a\u{10FFFF}"), Err(TextError::Noncharacter(0x10FFFF)));
        // Unassigned in our tables, perhaps an emoji of a newer Unicode: kept.
        assert_eq!(one("a\u{1FAFA}"), Ok(Some("a\u{1FAFA}".into())));
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

    /// Whether `clean` (behind `check_chars`, as the web layer runs them) accepts.
    fn accepted(s: &str, max: usize, lines: Lines, required: bool) -> bool {
        if check_chars(s).is_err() {
            return false;
        }
        match clean(s, max, lines) {
            Ok(Some(_)) => true,
            Ok(None) => !required,
            Err(_) => false,
        }
    }

    /// The published pattern, compiled by Rust's regex (as validators built on it do).
    fn compiled(lines: Lines, max: usize, required: bool) -> regex::Regex {
        regex::Regex::new(&pattern(lines, max, required)).unwrap()
    }

    /// Strings made of the characters each rule is about, so the property explores
    /// the edges rather than only plain letters.
    fn tricky() -> impl Strategy<Value = String> {
        let chars = prop::sample::select(vec![
            'a',
            '工',
            ' ',
            '\t',
            '\n',
            '\r',
            '\u{0}',
            '\u{85}',
            '\u{A0}',
            '\u{AD}',
            '\u{200B}',
            '\u{200D}',
            '\u{2028}',
            '\u{202E}',
            '\u{3000}',
            '\u{E000}',
            '\u{FDD0}',
            '\u{FEFF}',
            '\u{FFFF}',
            '\u{1FFFE}',
            '\u{1F600}',
            '\u{F0000}',
            '\u{10FFFD}',
            'e',
            '\u{301}',
        ]);
        prop::collection::vec(chars, 0..8).prop_map(|v| v.into_iter().collect())
    }

    #[test]
    fn any_string_pattern_is_check_chars() {
        let re = regex::Regex::new(&any_string_pattern()).unwrap();
        for s in [
            "a\r\n\tb",
            "\u{0}",
            "\u{202D}",
            "\u{F8FF}",
            "\u{10FFFD}",
            "好 😀",
            "",
        ] {
            assert_eq!(re.is_match(s), check_chars(s).is_ok(), "{s:?}");
        }
    }

    #[test]
    fn pattern_agrees_on_known_cases() {
        let re = compiled;
        assert!(re(Lines::One, 3, true).is_match(" 张三 "));
        assert!(!re(Lines::One, 3, true).is_match("  "));
        assert!(re(Lines::One, 3, false).is_match("  "));
        assert!(!re(Lines::One, 3, false).is_match("\u{200B}"));
        assert!(!re(Lines::One, 2, true).is_match("abc"));
        assert!(!re(Lines::One, 9, true).is_match("a\nb"));
        assert!(re(Lines::Many, 9, true).is_match("a\r\nb"));
        assert!(!re(Lines::One, 9, true).is_match("a\u{F0000}"));
    }

    proptest! {
        #[test]
        fn pattern_accepts_what_clean_accepts(
            s in prop_oneof![tricky(), any::<String>()],
            max in 1usize..6,
            many in any::<bool>(),
            required in any::<bool>(),
        ) {
            let lines = if many { Lines::Many } else { Lines::One };
            let re = compiled(lines, max, required);
            prop_assert_eq!(re.is_match(&s), accepted(&s, max, lines, required), "{:?}", s);
        }

        #[test]
        fn never_panics_and_output_is_clean(s in any::<String>(), max in 0usize..80) {
            if let Ok(Some(out)) = clean(&s, max, Lines::One) {
                // The limit counts the text as sent; NFC may lengthen a few
                // characters (U+0344 becomes two), so the output is checked against its
                // own length.
                prop_assert!(out.chars().all(|c| refused(c, Lines::One).is_none()));
                let len = out.chars().count().max(max);
                prop_assert_eq!(clean(&out, len, Lines::One), Ok(Some(out.clone())));
            }
        }
    }
}
