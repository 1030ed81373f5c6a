//! Customers (SPEC §3): contact preferences, quiet hours, consent.

use jiff::civil::Time;
use serde::{Deserialize, Serialize};

/// How a customer wants to be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// SMS to the mobile number.
    Sms,
    /// WeChat message.
    Wechat,
    /// Phone call.
    Call,
    /// The owner's in-app inbox.
    App,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 4] = [Channel::Sms, Channel::Wechat, Channel::Call, Channel::App];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Wechat => "wechat",
            Channel::Call => "call",
            Channel::App => "app",
        }
    }

    /// Parses a code.
    pub fn from_code(s: &str) -> Option<Channel> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }
}

/// Hours in which no outbound contact is made; may cross midnight (22:00–08:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Start of the quiet window.
    pub from: Time,
    /// End of the quiet window.
    pub to: Time,
}

impl QuietHours {
    /// Whether `t` falls in the quiet window.
    pub fn contains(&self, t: Time) -> bool {
        if self.from <= self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }

    /// Parses `22:00-08:00`.
    pub fn parse(s: &str) -> Result<QuietHours, CustomerError> {
        let (a, b) = s.split_once('-').ok_or(CustomerError::QuietHours)?;
        let from: Time = a.trim().parse().map_err(|_| CustomerError::QuietHours)?;
        let to: Time = b.trim().parse().map_err(|_| CustomerError::QuietHours)?;
        Ok(QuietHours { from, to })
    }

    /// Formats as `22:00-08:00`.
    pub fn format(&self) -> String {
        format!(
            "{}-{}",
            self.from.strftime("%H:%M"),
            self.to.strftime("%H:%M")
        )
    }
}

/// Why customer data is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    /// Name empty or too long.
    #[error("a name has 1 to 50 characters")]
    Name,
    /// Quiet hours not `HH:MM-HH:MM`.
    #[error("quiet hours are written 22:00-08:00")]
    QuietHours,
    /// Unknown channel.
    #[error("unknown contact channel")]
    Channel,
}

impl From<CustomerError> for crate::Violation {
    fn from(e: CustomerError) -> Self {
        match e {
            CustomerError::Name => crate::Violation::new("name", "customer.name"),
            CustomerError::QuietHours => {
                crate::Violation::new("quiet_hours", "customer.quiet_hours")
            }
            CustomerError::Channel => crate::Violation::new("channel", "customer.channel"),
        }
    }
}

/// A checked person's name.
pub fn parse_name(s: &str) -> Result<String, CustomerError> {
    // The text rules of `crate::text` (no control, bidi or invisible-only names);
    // the readers before this name the exact rule, the CSV import reports this one.
    match crate::text::clean(s, 50, crate::text::Lines::One) {
        Ok(Some(name)) => Ok(name),
        _ => Err(CustomerError::Name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::time;

    #[test]
    fn quiet_hours_cross_midnight() {
        let q = QuietHours::parse("22:00-08:00").unwrap_or_else(|_| unreachable!());
        assert!(q.contains(time(23, 0, 0, 0)));
        assert!(q.contains(time(7, 59, 0, 0)));
        assert!(!q.contains(time(8, 0, 0, 0)));
        assert!(!q.contains(time(12, 0, 0, 0)));
        assert_eq!(q.format(), "22:00-08:00");
        assert!(QuietHours::parse("late").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(parse_name(" 张三 "), Ok("张三".into()));
        assert_eq!(parse_name(""), Err(CustomerError::Name));
    }
}
