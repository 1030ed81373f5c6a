//! Translations: zh-CN first, en second, from TOML files compiled into the binary.

use domain::Violation;
use std::collections::HashMap;
use std::sync::LazyLock;

static TABLES: LazyLock<I18n> = LazyLock::new(I18n::load);

/// The translations compiled into the binary, loaded once.
pub fn tables() -> &'static I18n {
    &TABLES
}

/// A language the interface speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a tag; anything that is not English is Chinese.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    /// Picks from an Accept-Language header by the first listed language we speak.
    pub fn from_accept_language(header: &str) -> Lang {
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("en") {
                return Lang::En;
            }
            if tag.starts_with("zh") {
                return Lang::ZhCn;
            }
        }
        Lang::ZhCn
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }
}

/// Both translation tables.
#[derive(Debug)]
pub struct I18n {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

fn parse(text: &str) -> HashMap<String, String> {
    toml::from_str::<HashMap<String, String>>(text).unwrap_or_default()
}

impl I18n {
    /// Loads the tables compiled into the binary.
    pub fn load() -> I18n {
        let mut zh = HashMap::new();
        let mut en = HashMap::new();
        // One pair of files per area (named as the area's modules), so areas can grow
        // their texts independently; the unnamed pair holds the shared texts.
        for (z, e) in [
            (
                include_str!("../i18n/zh-CN.toml"),
                include_str!("../i18n/en.toml"),
            ),
            (
                include_str!("../i18n/appointment.zh-CN.toml"),
                include_str!("../i18n/appointment.en.toml"),
            ),
            (
                include_str!("../i18n/billing.zh-CN.toml"),
                include_str!("../i18n/billing.en.toml"),
            ),
            (
                include_str!("../i18n/capacity.zh-CN.toml"),
                include_str!("../i18n/capacity.en.toml"),
            ),
            (
                include_str!("../i18n/complaint.zh-CN.toml"),
                include_str!("../i18n/complaint.en.toml"),
            ),
            (
                include_str!("../i18n/quality_audit.zh-CN.toml"),
                include_str!("../i18n/quality_audit.en.toml"),
            ),
            (
                include_str!("../i18n/estimate.zh-CN.toml"),
                include_str!("../i18n/estimate.en.toml"),
            ),
            (
                include_str!("../i18n/follow_up.zh-CN.toml"),
                include_str!("../i18n/follow_up.en.toml"),
            ),
            (
                include_str!("../i18n/guarantee.zh-CN.toml"),
                include_str!("../i18n/guarantee.en.toml"),
            ),
            (
                include_str!("../i18n/survey.zh-CN.toml"),
                include_str!("../i18n/survey.en.toml"),
            ),
            (
                include_str!("../i18n/kpi.zh-CN.toml"),
                include_str!("../i18n/kpi.en.toml"),
            ),
            (
                include_str!("../i18n/simulation.zh-CN.toml"),
                include_str!("../i18n/simulation.en.toml"),
            ),
            (
                include_str!("../i18n/labour.zh-CN.toml"),
                include_str!("../i18n/labour.en.toml"),
            ),
            (
                include_str!("../i18n/people.zh-CN.toml"),
                include_str!("../i18n/people.en.toml"),
            ),
            (
                include_str!("../i18n/pickup.zh-CN.toml"),
                include_str!("../i18n/pickup.en.toml"),
            ),
            (
                include_str!("../i18n/rating.zh-CN.toml"),
                include_str!("../i18n/rating.en.toml"),
            ),
            (
                include_str!("../i18n/repair_order.zh-CN.toml"),
                include_str!("../i18n/repair_order.en.toml"),
            ),
            (
                include_str!("../i18n/job.zh-CN.toml"),
                include_str!("../i18n/job.en.toml"),
            ),
            (
                include_str!("../i18n/privacy.zh-CN.toml"),
                include_str!("../i18n/privacy.en.toml"),
            ),
            // The owner's phone pages (home, progress), beside the areas they show.
            (
                include_str!("../i18n/owner.zh-CN.toml"),
                include_str!("../i18n/owner.en.toml"),
            ),
        ] {
            zh.extend(parse(z));
            en.extend(parse(e));
        }
        I18n { zh, en }
    }

    /// The text for `key`, falling back to Chinese, then to the key itself.
    pub fn t<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        let table = if lang == Lang::En { &self.en } else { &self.zh };
        table
            .get(key)
            .or_else(|| self.zh.get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// The text for `key`, for templates (which pass the language by reference).
    pub fn tr<'a>(&'a self, lang: &Lang, key: &'a str) -> &'a str {
        self.t(*lang, key)
    }

    /// The text for `key` with `{name}` placeholders filled.
    pub fn fill(&self, lang: Lang, key: &str, values: &[(&str, &str)]) -> String {
        let mut s = self.t(lang, key).to_string();
        for (k, v) in values {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }

    /// A sentence for a broken rule, naming the field in the caller's language.
    pub fn violation(&self, lang: Lang, v: &Violation) -> String {
        let base = v.field.split(['[', '.']).next().unwrap_or(&v.field);
        let field_key = format!("field.{base}");
        let field = self.t(lang, &field_key);
        let field = if field == field_key {
            v.field.as_str()
        } else {
            field
        };
        let key = format!("rule.{}", v.rule);
        let known = self.t(lang, &key) != key;
        let detail = v.detail.as_deref().unwrap_or("");
        // A code in the detail (a qualification, a stage) is shown by its label.
        // A detail of several codes (`system.brakes “wheel” art24(1)(3)`) shows each one
        // it knows by its label and keeps the rest (what the user typed) as it was.
        let detail_key = format!("detail.{detail}");
        let detail = match self.t(lang, &detail_key) {
            label if !detail.is_empty() && label != detail_key => label.to_string(),
            _ => detail
                .split(' ')
                .map(|word| {
                    let key = format!("detail.{word}");
                    match self.t(lang, &key) {
                        label if !word.is_empty() && label != key => label.to_string(),
                        _ => word.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        };
        let detail = detail.as_str();
        if known {
            self.fill(lang, &key, &[("field", field), ("detail", detail)])
        } else {
            format!(
                "{field}: {}{}",
                v.rule,
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({detail})")
                }
            )
        }
    }

    /// Every key of both tables, for the completeness test.
    pub fn keys(&self) -> (Vec<&String>, Vec<&String>) {
        (self.zh.keys().collect(), self.en.keys().collect())
    }
}

/// Fen shown as users read money: `¥1,234.50` (SPEC §15).
pub fn yuan(fen: i64) -> String {
    domain::money::Money::from_fen(fen).to_string()
}

pub(crate) mod guarantee_floor;

#[cfg(test)]
mod rule_keys;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_main_part_not_listed_reads_in_words_in_both_languages() {
        let i = I18n::load();
        let v: Violation = domain::guarantee::main_part::MainPartError::NotListed {
            system: domain::guarantee::main_part::System::Brakes,
            code: "wheel".into(),
        }
        .into();
        assert_eq!(
            i.violation(Lang::ZhCn, &v),
            "不在主要零件清单中：制动系统的零件 “wheel” 第二十四条第一款第（三）项"
        );
        assert_eq!(
            i.violation(Lang::En, &v),
            "Not in the main-part list: Brakes part “wheel” Art 24(1)(3)"
        );
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let i = I18n::load();
        let (mut zh, mut en) = i.keys();
        zh.sort();
        en.sort();
        assert!(zh.len() > 100, "translations loaded: {}", zh.len());
        assert_eq!(zh, en);
    }

    #[test]
    fn violations_name_the_field_in_the_language() {
        let i = I18n::load();
        let v = Violation::new("vin", "vin.check_digit").with_detail("X");
        assert!(i.violation(Lang::ZhCn, &v).contains("车架号"));
        assert!(i.violation(Lang::En, &v).contains("VIN"));
        assert!(i.violation(Lang::En, &v).contains('X'));
        let r = Violation::new("brand", "required");
        assert_eq!(i.violation(Lang::En, &r), "Brand is required");
    }

    #[test]
    fn accept_language_picks_the_first_known() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr, zh-CN;q=0.8, en;q=0.5"),
            Lang::ZhCn
        );
        assert_eq!(Lang::from_accept_language(""), Lang::ZhCn);
    }
}
