//! Unit tests of `billing::wechat`: verifying and decrypting notices as WeChat Pay sends them.

use super::*;

const NOW: i64 = 1_764_000_000_000;

fn lookup(n: &ProviderNotice) -> Vec<(&str, &str)> {
    n.headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn a_sandbox_notice_verifies_decrypts_and_reads_back() {
    let w = WechatPay::sandbox();
    let tx = w.sandbox_transaction("ref1", "4200000001", 1234, true);
    let n = w.sandbox_notice("TRANSACTION.SUCCESS", &tx, NOW).unwrap();
    assert!(w.verify(&lookup(&n), &n.body, NOW + 1000).is_ok());
    match w.read(&n.body).unwrap() {
        WechatEvent::Transaction {
            facts,
            transaction_id,
            paid,
        } => {
            assert_eq!(facts.order_no, "ref1");
            assert_eq!(facts.amount_fen, 1234);
            assert_eq!(facts.currency, "CNY");
            assert_eq!(facts.merchant_id, w.mch_id);
            assert_eq!(transaction_id, "4200000001");
            assert!(paid);
        }
        other => panic!("{other:?}"),
    }
    // The resource is really encrypted: the order number is not in the body.
    assert!(!n.body.contains("ref1"));
}

#[test]
fn tampered_stale_and_unknown_serial_notices_are_refused() {
    let w = WechatPay::sandbox();
    let tx = w.sandbox_transaction("ref1", "4200000001", 1234, true);
    let n = w.sandbox_notice("TRANSACTION.SUCCESS", &tx, NOW).unwrap();
    let tampered = n.body.replace("支付成功", "支付失败");
    assert_eq!(
        w.verify(&lookup(&n), &tampered, NOW),
        Err(SignatureError::Invalid)
    );
    assert_eq!(
        w.verify(&lookup(&n), &n.body, NOW + (MAX_AGE_S + 5) * 1000),
        Err(SignatureError::Stale)
    );
    let serial: Vec<(&str, &str)> = lookup(&n)
        .into_iter()
        .map(|(k, v)| (k, if k == "wechatpay-serial" { "0000" } else { v }))
        .collect();
    assert_eq!(
        w.verify(&serial, &n.body, NOW),
        Err(SignatureError::Invalid)
    );
    assert_eq!(w.verify(&[], &n.body, NOW), Err(SignatureError::Invalid));
    // Another APIv3 key cannot read the resource.
    let mut other = w.clone();
    other.api_v3_key = [7u8; 32];
    assert_eq!(other.read(&n.body), Err(bad("resource", "payment.decrypt")));
}

#[test]
fn refund_notices_read_back() {
    let w = WechatPay::sandbox();
    let r = json!({"mchid": w.mch_id, "out_trade_no": "ref1", "transaction_id": "42",
        "out_refund_no": "rf1", "refund_id": "5030", "refund_status": "SUCCESS",
        "amount": {"total": 1234, "refund": 234, "payer_total": 1234, "payer_refund": 234}});
    let n = w.sandbox_notice("REFUND.SUCCESS", &r, NOW).unwrap();
    assert!(w.verify(&lookup(&n), &n.body, NOW).is_ok());
    assert_eq!(
        w.read(&n.body).unwrap(),
        WechatEvent::Refund {
            out_refund_no: "rf1".into(),
            refund_id: "5030".into(),
            mch_id: w.mch_id.clone(),
            amount_fen: 234,
            succeeded: true,
        }
    );
}

#[test]
fn settings_without_keys_are_refused_naming_the_setting() {
    let e = WechatPay::from_settings(&WechatSettings::default()).unwrap_err();
    assert_eq!(e, KeyError::Missing("wechat_platform_serial"));
    use rsa::pkcs8::EncodePublicKey;
    let pem = rsa_keys::sandbox(0)
        .to_public_key()
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    let s = WechatSettings {
        mch_id: "1".into(),
        app_id: "wx".into(),
        api_v3_key: "change-me".into(),
        platform_serial: "AB".into(),
        platform_public_key: pem,
        previous: None,
        merchant_serial: "5157F09EFDC096DE15EBE81A47057A72".into(),
        merchant_private_key: String::new(),
        api_base: String::new(),
        notify_url: String::new(),
    };
    assert_eq!(
        WechatPay::from_settings(&s).unwrap_err(),
        KeyError::Placeholder("wechat_api_v3_key")
    );
}
