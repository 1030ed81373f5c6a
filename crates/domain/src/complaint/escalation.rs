//! How an escalation notice reaches a person (issue 10 item 3): besides the in-app
//! inbox and the webhook, by SMS to a mobile number and by WeChat to a WeChat id, as
//! far as the person's record holds them. Each message has one idempotency key per
//! complaint × clock × stage × step × level × kind × person, so a re-run timer (a
//! restart, a second server) queues nothing twice.

use crate::phone::Phone;

/// A kind of outbox message an escalation goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A text message to a mobile number.
    Sms,
    /// A WeChat message to a WeChat id.
    WeChat,
}

impl Kind {
    /// The outbox channel code.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Sms => "sms",
            Kind::WeChat => "wechat",
        }
    }
}

/// The kinds a person's record supports, each with its address: a valid mobile number
/// gets an SMS (in E.164), a non-blank WeChat id a WeChat message. A record with
/// neither gets only the inbox and the webhook.
pub fn kinds(phone: &str, wechat_id: Option<&str>) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    if let Ok(p) = Phone::parse(phone) {
        out.push((Kind::Sms, p.e164().to_string()));
    }
    if let Some(w) = wechat_id.map(str::trim).filter(|w| !w.is_empty()) {
        out.push((Kind::WeChat, w.to_string()));
    }
    out
}

/// The idempotency key of one message: the timer's key (complaint, clock, stage,
/// percent), the level, the kind and the person.
pub fn dedupe_key(timer_key: &str, level: &str, kind: Kind, staff_id: i64) -> String {
    format!("outbox:{timer_key}:{level}:{}:{staff_id}", kind.code())
}

/// A person's name in a message body: the family name only (张**).
pub fn masked_name(name: &str) -> String {
    crate::mask::mask_name(name.trim())
}

/// The values of an escalation message: what happened to which complaint, where;
/// the customer by family name only and no number of theirs (a text message is read
/// on a lock screen).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Body {
    /// The complaint's id.
    pub complaint_id: i64,
    /// The stage code whose target was missed.
    pub stage: String,
    /// The step code (`breach100`, …).
    pub step: String,
    /// The level code the message goes to.
    pub level: String,
    /// The station's name.
    pub station: Option<String>,
    /// The customer's masked name.
    pub customer: Option<String>,
    /// The category code.
    pub category: String,
    /// The severity level code.
    pub severity: String,
}

impl Body {
    /// A body with the customer's whole `name` masked here, so no caller can forget.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        complaint_id: i64,
        stage: &str,
        step: &str,
        level: &str,
        station: Option<String>,
        customer_name: Option<&str>,
        category: &str,
        severity: &str,
    ) -> Body {
        Body {
            complaint_id,
            stage: stage.into(),
            step: step.into(),
            level: level.into(),
            station,
            customer: customer_name.map(masked_name),
            category: category.into(),
            severity: severity.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_decides_the_kinds() {
        assert_eq!(
            kinds("138 1234 5678", Some(" wx_zhang ")),
            vec![
                (Kind::Sms, "+8613812345678".to_string()),
                (Kind::WeChat, "wx_zhang".to_string())
            ]
        );
        assert_eq!(kinds("13812345678", None).len(), 1);
        assert_eq!(kinds("", Some("")), vec![]);
        assert_eq!(
            kinds("12345", Some("wx")),
            vec![(Kind::WeChat, "wx".to_string())]
        );
    }

    #[test]
    fn one_key_per_person_level_and_kind() {
        let t = "complaint.clock:7:1:first_response:100";
        let a = dedupe_key(t, "station_manager", Kind::Sms, 3);
        assert_eq!(
            a,
            "outbox:complaint.clock:7:1:first_response:100:station_manager:sms:3"
        );
        assert_ne!(a, dedupe_key(t, "station_manager", Kind::WeChat, 3));
        assert_ne!(a, dedupe_key(t, "station_manager", Kind::Sms, 4));
        assert_eq!(masked_name(" 张伟 "), "张*");
    }

    #[test]
    fn the_body_masks_the_customer() {
        let b = Body::new(
            1,
            "first_response",
            "breach100",
            "head_office",
            None,
            Some("欧阳娜娜"),
            "other",
            "urgent",
        );
        assert_eq!(b.customer.as_deref(), Some("欧***"));
        assert!(!format!("{b:?}").contains("娜娜"));
    }
}
