//! Complaints (投诉, SPEC §6): channels, categories, severity with the "repeated" rule,
//! the workflow state machine, responsibility, the three zeros and the follow-up that
//! closing needs, goodwill with an approval limit per role, and the service-level
//! clocks ([`sla`]) counted on the one working calendar (`crate::calendar`).
//!
//! Everything here is pure: the app layer loads a complaint's facts, asks these
//! functions what may happen and what the deadlines are, and saves the answer.

pub mod analysis;
pub mod attachment;
pub mod category;
pub mod closure;
pub mod escalation;
pub mod goodwill;
pub mod sla;
pub mod workflow;

#[cfg(test)]
mod tests;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Violation;

pub use workflow::{Event, State, transition};

/// A code list entry: parsed from its stable code, shown through its translation key.
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $rule:literal, $field:literal { $($(#[$vm:meta])* $v:ident => $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stable code stored and sent.
            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code),+ }
            }

            /// The value of a code, if known.
            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$v),)+ _ => None }
            }

            /// The value of a code, or the violation naming the field and the rule.
            pub fn parse(code: &str) -> Result<$name, Violation> {
                Self::from_code(code.trim())
                    .ok_or_else(|| Violation::new($field, $rule).with_detail(code.trim().to_string()))
            }
        }
    };
}
pub(crate) use code_enum;

code_enum!(
    /// Where a complaint came in.
    Channel, "complaint.channel_unknown", "channel" {
        /// The call centre's hotline (400).
        Hotline => "hotline",
        /// The owner's phone pages.
        App => "app",
        /// Posts on social media, entered by an agent with the source link.
        SocialMedia => "social_media",
        /// The station's own desk.
        Station => "station",
        /// A regulator (12315 and the like), entered by an agent with the source link.
        Regulator => "regulator",
    }
);

impl Channel {
    /// Whether an agent must give the link or reference of the source.
    pub fn needs_source_link(self) -> bool {
        matches!(self, Channel::SocialMedia | Channel::Regulator)
    }
}

code_enum!(
    /// What a complaint is about (SPEC §6 defaults).
    Category, "complaint.category_unknown", "category" {
        /// 维修质量.
        RepairQuality => "repair_quality",
        /// 服务态度.
        ServiceAttitude => "service_attitude",
        /// 价格争议.
        PriceDispute => "price_dispute",
        /// 等待时间.
        WaitingTime => "waiting_time",
        /// 配件质量.
        PartsQuality => "parts_quality",
        /// 其他.
        Other => "other",
    }
);

code_enum!(
    /// Why a complaint is urgent.
    UrgentReason, "complaint.urgent_reason_unknown", "urgent_reason" {
        /// A safety risk to the vehicle's occupants or others.
        Safety => "safety",
        /// Media attention (press, social media with reach).
        Media => "media",
        /// The third complaint on one vehicle within 90 days ([`is_repeated`]).
        Repeated => "repeated",
    }
);

code_enum!(
    /// Who the analysis found responsible.
    Responsibility, "complaint.responsibility_unknown", "responsibility" {
        /// The station (work, attitude, price).
        Station => "station",
        /// A part supplied to the station.
        Parts => "parts",
        /// The product (a design or manufacturing fault).
        ProductQuality => "product_quality",
        /// Head office (policy, logistics).
        HeadOffice => "head_office",
        /// The customer (a misunderstanding, misuse).
        Customer => "customer",
    }
);

/// How serious a complaint is: normal, or urgent for a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "level", content = "reason")]
pub enum Severity {
    /// The ordinary clocks.
    Normal,
    /// The urgent clocks, with why.
    Urgent(UrgentReason),
}

impl Severity {
    /// The level code (`normal`, `urgent`) the policies are keyed by.
    pub fn level(self) -> &'static str {
        match self {
            Severity::Normal => "normal",
            Severity::Urgent(_) => "urgent",
        }
    }

    /// The reason code when urgent.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Severity::Normal => None,
            Severity::Urgent(r) => Some(r.code()),
        }
    }

    /// From the level code and optional reason code as stored or sent.
    pub fn parse(level: &str, reason: Option<&str>) -> Result<Severity, Violation> {
        match (
            level.trim(),
            reason.map(str::trim).filter(|r| !r.is_empty()),
        ) {
            ("normal", None) => Ok(Severity::Normal),
            ("normal", Some(_)) => Err(Violation::new(
                "urgent_reason",
                "complaint.reason_not_urgent",
            )),
            ("urgent", Some(r)) => UrgentReason::parse(r).map(Severity::Urgent),
            ("urgent", None) => Err(Violation::new(
                "urgent_reason",
                "complaint.urgent_reason_required",
            )),
            (other, _) => Err(Violation::new("severity", "complaint.severity_unknown")
                .with_detail(other.to_string())),
        }
    }
}

/// How many days back the "repeated" rule looks.
pub const REPEATED_WINDOW_DAYS: i64 = 90;

/// How many complaints on one vehicle within the window make the latest "repeated".
pub const REPEATED_COUNT: usize = 3;

/// Whether a new complaint received at `now` on a vehicle whose earlier complaints were
/// received at `earlier` is the third (or later) within 90 days, counting itself.
pub fn is_repeated(earlier: &[Timestamp], now: Timestamp) -> bool {
    let from = now.as_second() - REPEATED_WINDOW_DAYS * 24 * 3600;
    let within = earlier
        .iter()
        .filter(|t| t.as_second() > from && **t <= now)
        .count();
    within + 1 >= REPEATED_COUNT
}

/// The severity a new complaint gets: the one asked for, raised to urgent ("repeated")
/// by the 90-day rule; a safety or media reason given by the caller is kept.
pub fn effective_severity(asked: Severity, earlier: &[Timestamp], now: Timestamp) -> Severity {
    match asked {
        Severity::Urgent(_) => asked,
        Severity::Normal if is_repeated(earlier, now) => Severity::Urgent(UrgentReason::Repeated),
        Severity::Normal => Severity::Normal,
    }
}

/// Longest free text (description, evidence, reasons) in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// A required free text, trimmed and bounded.
pub fn text(field: &str, value: &str) -> Result<String, Violation> {
    let t = value.trim();
    if t.is_empty() {
        return Err(Violation::new(field, "complaint.text_required"));
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(Violation::new(field, "text.length").with_detail(MAX_TEXT_CHARS.to_string()));
    }
    Ok(t.to_string())
}
