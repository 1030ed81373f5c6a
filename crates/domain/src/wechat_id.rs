//! A staff member's WeChat id (微信号), where a complaint's breach escalation goes by
//! WeChat (issue 10 item 3). WeChat's own rules: 6 to 20 characters, starting with a
//! letter, then letters, digits, `_` or `-`. Like a phone number it is a contact
//! address of a person, so lists show it masked (`wx****an`).

use crate::Violation;

/// The fewest characters of a WeChat id.
pub const MIN_CHARS: usize = 6;
/// The most characters of a WeChat id.
pub const MAX_CHARS: usize = 20;
/// The rule as a regular expression, for the API's schema.
pub const PATTERN: &str = "^[A-Za-z][A-Za-z0-9_-]{5,19}$";
/// [`PATTERN`] or the empty text (an optional field left empty).
pub const PATTERN_OR_EMPTY: &str = "^([A-Za-z][A-Za-z0-9_-]{5,19})?$";
/// The violation code of an id that breaks the rule.
pub const RULE: &str = "staff.wechat_id";

/// A WeChat id that keeps WeChat's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeChatId(String);

impl WeChatId {
    /// Reads a typed id (trimmed); the rule [`RULE`] on `field` otherwise.
    pub fn parse(raw: &str, field: &str) -> Result<WeChatId, Violation> {
        let t = raw.trim();
        let mut chars = t.chars();
        let first_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let len = t.chars().count();
        if first_letter && rest_ok && (MIN_CHARS..=MAX_CHARS).contains(&len) {
            Ok(WeChatId(t.to_string()))
        } else {
            Err(Violation::new(field, RULE))
        }
    }

    /// The id as stored and sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored id as lists show it: the first two and last two characters kept.
pub fn masked(id: &str) -> String {
    crate::mask::mask_middle(id, 2, 2)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wechat_rules() {
        for ok in ["wx_zhang", "Abc-12", "a2345678901234567890"] {
            assert_eq!(WeChatId::parse(ok, "wechat_id").unwrap().as_str(), ok);
        }
        assert_eq!(
            WeChatId::parse("  wx_zhang ", "wechat_id")
                .unwrap()
                .as_str(),
            "wx_zhang"
        );
        for bad in [
            "",
            "wx_12",
            "1wx_zhang",
            "_wxzhang",
            "wx zhang",
            "wx.zhang",
            "微信号abcdef",
            "a23456789012345678901",
        ] {
            let e = WeChatId::parse(bad, "wechat_id").unwrap_err();
            assert_eq!((e.field.as_str(), e.rule), ("wechat_id", RULE), "{bad}");
        }
        assert_eq!(masked("wx_zhang"), "wx****ng");
    }

    proptest! {
        #[test]
        fn the_pattern_and_the_parser_agree(s in "[A-Za-z0-9_ .-]{0,24}") {
            let by_hand = WeChatId::parse(&s, "w").is_ok() && s.trim() == s;
            let first = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            let rest = s.chars().skip(1).all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let n = s.chars().count();
            prop_assert_eq!(by_hand, first && rest && (6..=20).contains(&n));
        }
    }
}
