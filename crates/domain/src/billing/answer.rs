//! What a provider's answer to one of our requests must agree with before we act
//! on it: the request it answers. A provider API answer is signed by the platform,
//! but a signed answer can still be about another order, another refund or another
//! amount (a proxy that mixed up two replies, a provider bug, a replayed answer);
//! these rules compare it field by field with what we asked, and name the first
//! field that differs.

use super::notice::CURRENCY;
use crate::violation::Violation;

/// A refund we asked a provider for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAsked<'a> {
    /// The order refunded (`out_trade_no`): our payment reference.
    pub order_no: &'a str,
    /// Our refund reference (`out_refund_no` / `out_request_no`).
    pub refund_no: &'a str,
    /// The amount to give back, fen.
    pub refund_fen: i64,
    /// What the order took, fen.
    pub total_fen: i64,
}

/// What the provider's answer says about the refund, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAnswered {
    /// The order it names.
    pub order_no: String,
    /// The refund it names (empty when the provider does not repeat it, as
    /// Alipay's synchronous answer may not).
    pub refund_no: String,
    /// The amount it gives back, fen.
    pub refund_fen: i64,
    /// The order's total it names, fen (`None` when the answer does not say).
    pub total_fen: Option<i64>,
    /// The currency it names.
    pub currency: String,
}

/// Checks a refund answer against the refund asked for.
pub fn check_refund(a: &RefundAnswered, asked: &RefundAsked<'_>) -> Result<(), Violation> {
    if a.order_no != asked.order_no {
        return Err(Violation::new("out_trade_no", "payment.order_mismatch"));
    }
    if !a.refund_no.is_empty() && a.refund_no != asked.refund_no {
        return Err(Violation::new("out_refund_no", "payment.refund_mismatch"));
    }
    if a.currency != CURRENCY {
        return Err(Violation::new("currency", "payment.currency").with_detail(CURRENCY));
    }
    if a.refund_fen != asked.refund_fen {
        return Err(Violation::new("amount.refund", "payment.amount_mismatch")
            .with_detail(asked.refund_fen.to_string()));
    }
    if a.total_fen.is_some_and(|t| t != asked.total_fen) {
        return Err(Violation::new("amount.total", "payment.amount_mismatch")
            .with_detail(asked.total_fen.to_string()));
    }
    Ok(())
}

/// An order we asked a provider to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderAsked<'a> {
    /// Our order number.
    pub order_no: &'a str,
}

/// Checks a provider's answer to opening an order: it must name our order (when it
/// names one at all) and give a payer something to pay with (a QR code or pay URL
/// of the provider's own scheme).
pub fn check_opened(
    answered_order_no: Option<&str>,
    code_url: &str,
    asked: &OrderAsked<'_>,
) -> Result<(), Violation> {
    if answered_order_no.is_some_and(|n| n != asked.order_no) {
        return Err(Violation::new("out_trade_no", "payment.order_mismatch"));
    }
    let safe = |u: &str| {
        (u.starts_with("https://") || u.starts_with("http://") || u.starts_with("weixin://"))
            && !u
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b == b'"' || b == b'<')
    };
    if code_url.is_empty() || code_url.len() > 1000 || !safe(code_url) {
        return Err(Violation::new("code_url", "payment.pay_url_invalid"));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn asked() -> RefundAsked<'static> {
        RefundAsked {
            order_no: "o1",
            refund_no: "r1",
            refund_fen: 500,
            total_fen: 1000,
        }
    }

    fn answered() -> RefundAnswered {
        RefundAnswered {
            order_no: "o1".into(),
            refund_no: "r1".into(),
            refund_fen: 500,
            total_fen: Some(1000),
            currency: "CNY".into(),
        }
    }

    #[test]
    fn a_refund_answer_must_name_our_order_refund_and_amounts() {
        assert_eq!(check_refund(&answered(), &asked()), Ok(()));
        let field = |a: RefundAnswered| check_refund(&a, &asked()).unwrap_err().field;
        let mut a = answered();
        a.order_no = "o2".into();
        assert_eq!(field(a), "out_trade_no");
        let mut a = answered();
        a.refund_no = "r2".into();
        assert_eq!(field(a), "out_refund_no");
        let mut a = answered();
        a.currency = "USD".into();
        assert_eq!(field(a), "currency");
        let mut a = answered();
        a.total_fen = Some(999);
        assert_eq!(field(a), "amount.total");
        // Alipay's answer repeats neither the refund number nor the total.
        let mut a = answered();
        a.refund_no = String::new();
        a.total_fen = None;
        assert_eq!(check_refund(&a, &asked()), Ok(()));
    }

    #[test]
    fn an_opened_order_must_be_ours_with_a_pay_url() {
        let o = OrderAsked { order_no: "o1" };
        assert!(check_opened(Some("o1"), "weixin://wxpay/bizpayurl?pr=abc", &o).is_ok());
        assert!(check_opened(None, "https://qr.alipay.com/bax1", &o).is_ok());
        assert!(check_opened(Some("o2"), "weixin://x", &o).is_err());
        for bad in ["", "javascript:alert(1)", "https://a b", "ftp://x"] {
            assert!(check_opened(Some("o1"), bad, &o).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Any refund amount other than the one asked is refused, naming the field.
        #[test]
        fn any_other_refund_amount_is_refused(fen in -1_000_000i64..1_000_000) {
            let mut a = answered();
            a.refund_fen = fen;
            let r = check_refund(&a, &asked());
            if fen == 500 {
                prop_assert!(r.is_ok());
            } else {
                prop_assert_eq!(r.unwrap_err().field, "amount.refund");
            }
        }
    }
}
