//! What a provider's notice must agree with before it may touch a payment: its own
//! order (our order number, the amount in fen, the currency) and our own account at
//! the provider (merchant and app id). The adapters for WeChat Pay and Alipay turn
//! their wire shapes into [`NoticeFacts`] after the signature is verified; these
//! rules then decide whether the facts belong to the order they name.
//!
//! Amounts: WeChat Pay counts in fen (an integer); Alipay writes yuan with exactly
//! two decimals (`"10.00"`). [`alipay_amount`] parses the latter to fen exactly and
//! refuses anything else (`"10"`, `"10.001"`, `"1e3"`), never through floating point.

use crate::violation::Violation;

/// The only currency our orders are in.
pub const CURRENCY: &str = "CNY";

/// What a verified notice says, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFacts {
    /// Our order number (`out_trade_no`): the payment reference.
    pub order_no: String,
    /// The amount the provider took, fen.
    pub amount_fen: i64,
    /// The currency the provider names.
    pub currency: String,
    /// The merchant the notice is for (WeChat `mchid`, Alipay `seller_id`).
    pub merchant_id: String,
    /// The application the notice is for (`appid` / `app_id`).
    pub app_id: String,
}

/// Our side: the account the provider must name and the order's amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected<'a> {
    /// Our order number.
    pub order_no: &'a str,
    /// What the order asked for, fen.
    pub amount_fen: i64,
    /// Our merchant id at the provider.
    pub merchant_id: &'a str,
    /// Our app id at the provider.
    pub app_id: &'a str,
}

/// Checks a notice's facts against the account (merchant and app id) alone, before
/// the order is loaded: a notice for another merchant or app is refused whatever
/// it names. The violation names the field and the rule.
pub fn check_account(f: &NoticeFacts, merchant_id: &str, app_id: &str) -> Result<(), Violation> {
    if f.merchant_id != merchant_id {
        return Err(Violation::new("merchant_id", "payment.merchant_mismatch"));
    }
    if f.app_id != app_id {
        return Err(Violation::new("app_id", "payment.app_mismatch"));
    }
    if f.currency != CURRENCY {
        return Err(Violation::new("currency", "payment.currency").with_detail(CURRENCY));
    }
    if f.amount_fen <= 0 {
        return Err(Violation::new("amount_fen", "payment.amount_mismatch"));
    }
    Ok(())
}

/// Checks a notice's facts against its own order and our account: every field must
/// agree, or the first that does not is named.
pub fn check(f: &NoticeFacts, e: &Expected<'_>) -> Result<(), Violation> {
    if f.order_no != e.order_no {
        return Err(Violation::new("out_trade_no", "payment.order_mismatch"));
    }
    check_account(f, e.merchant_id, e.app_id)?;
    if f.amount_fen != e.amount_fen {
        return Err(Violation::new("amount_fen", "payment.amount_mismatch")
            .with_detail(e.amount_fen.to_string()));
    }
    Ok(())
}

/// Why an Alipay amount is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not `digits.dd` (two decimals exactly, no sign, no exponent).
    #[error("an amount must be yuan with exactly two decimals, like 10.00")]
    Format,
    /// Above what any order of ours can be.
    #[error("the amount is out of range")]
    Range,
}

/// The largest amount a provider may name: 100 million yuan.
const MAX_FEN: i64 = 10_000_000_000;

/// Parses an Alipay amount (`"10.00"`) to fen exactly.
pub fn alipay_amount(s: &str) -> Result<i64, AmountError> {
    let (int, frac) = s.split_once('.').ok_or(AmountError::Format)?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.len() != 2 || !digits(frac) || (int.len() > 1 && int.starts_with('0')) {
        return Err(AmountError::Format);
    }
    if int.len() > 12 {
        return Err(AmountError::Range);
    }
    let yuan: i64 = int.parse().map_err(|_| AmountError::Format)?;
    let fen: i64 = frac.parse().map_err(|_| AmountError::Format)?;
    let total = yuan * 100 + fen;
    if total > MAX_FEN {
        return Err(AmountError::Range);
    }
    Ok(total)
}

/// Writes fen as an Alipay amount (`1000` → `"10.00"`); negative amounts are never
/// sent to a provider and are written as zero.
pub fn alipay_yuan(fen: i64) -> String {
    let f = fen.max(0);
    format!("{}.{:02}", f / 100, f % 100)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts() -> NoticeFacts {
        NoticeFacts {
            order_no: "o1".into(),
            amount_fen: 1000,
            currency: "CNY".into(),
            merchant_id: "m".into(),
            app_id: "a".into(),
        }
    }

    fn expected() -> Expected<'static> {
        Expected {
            order_no: "o1",
            amount_fen: 1000,
            merchant_id: "m",
            app_id: "a",
        }
    }

    #[test]
    fn each_disagreeing_field_is_named() {
        assert_eq!(check(&facts(), &expected()), Ok(()));
        let field = |f: NoticeFacts| check(&f, &expected()).unwrap_err().field;
        assert_eq!(
            field(NoticeFacts {
                order_no: "o2".into(),
                ..facts()
            }),
            "out_trade_no"
        );
        assert_eq!(
            field(NoticeFacts {
                merchant_id: "x".into(),
                ..facts()
            }),
            "merchant_id"
        );
        assert_eq!(
            field(NoticeFacts {
                app_id: "x".into(),
                ..facts()
            }),
            "app_id"
        );
        assert_eq!(
            field(NoticeFacts {
                currency: "USD".into(),
                ..facts()
            }),
            "currency"
        );
        assert_eq!(
            field(NoticeFacts {
                amount_fen: 999,
                ..facts()
            }),
            "amount_fen"
        );
    }

    #[test]
    fn alipay_amounts_need_two_decimals() {
        assert_eq!(alipay_amount("10.00"), Ok(1000));
        assert_eq!(alipay_amount("0.01"), Ok(1));
        assert_eq!(alipay_amount("1234.56"), Ok(123_456));
        for bad in [
            "10",
            "10.0",
            "10.001",
            "-1.00",
            "+1.00",
            "1e3",
            " 1.00",
            "1.00 ",
            ".50",
            "01.00",
            "1,000.00",
            "",
            "1.0a",
            "１.００",
        ] {
            assert_eq!(alipay_amount(bad), Err(AmountError::Format), "{bad:?}");
        }
        assert_eq!(alipay_amount("9999999999999.00"), Err(AmountError::Range));
        assert_eq!(alipay_amount("100000000.01"), Err(AmountError::Range));
    }

    proptest! {
        #[test]
        fn alipay_amounts_round_trip(fen in 0i64..=MAX_FEN) {
            prop_assert_eq!(alipay_amount(&alipay_yuan(fen)), Ok(fen));
        }

        #[test]
        fn any_text_parses_to_the_amount_it_writes_or_is_refused(s in "[0-9.]{0,8}") {
            if let Ok(fen) = alipay_amount(&s) {
                prop_assert_eq!(alipay_yuan(fen), s);
            }
        }
    }
}
