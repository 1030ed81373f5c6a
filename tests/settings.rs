//! The binary's settings: no secret has a default, and the server refuses to start
//! when a payment provider or the message gateway is turned on without its own key,
//! naming the setting. Runs the real `aftersales` program.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

/// Runs `aftersales serve` with a settings file holding `toml`; returns (exit ok, stderr).
fn serve_with(toml: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!(
        "aftersales-settings-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("aftersales.toml");
    let db = dir.join("refused.db");
    std::fs::write(
        &file,
        format!(
            "database_url = \"sqlite://{}\"\nlisten = \"127.0.0.1:1\"\n{toml}",
            db.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aftersales"))
        .arg("--config")
        .arg(&file)
        .arg("serve")
        .env_remove("AFTERSALES_DATABASE_URL")
        .env_remove("AFTERSALES_PAYMENT_SANDBOX_SECRET")
        .env_remove("AFTERSALES_WEBHOOK_SECRET")
        .output()
        .unwrap();
    let created = db.exists();
    std::fs::remove_dir_all(&dir).ok();
    assert!(!created, "a refused start creates no database");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A name no other call in this run uses. Why the counter: the tests run on parallel
/// threads, and two of them read the same clock value on this machine (a CI run
/// found one test's settings file overwritten by another's); the time keeps names
/// apart across runs.
fn rand_suffix() -> String {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{nanos}-{call}")
}

#[test]
fn a_sandbox_without_its_own_secret_stops_the_server_naming_the_setting() {
    let (ok, err) = serve_with("payment_sandbox = true\n");
    assert!(!ok);
    assert!(err.contains("payment_sandbox_secret"), "{err}");
}

#[test]
fn placeholder_and_short_secrets_are_refused() {
    let (ok, err) = serve_with("payment_sandbox = true\npayment_sandbox_secret = \"change-me\"\n");
    assert!(!ok);
    assert!(err.contains("payment_sandbox_secret"), "{err}");
    let (ok, err) =
        serve_with("webhook_url = \"http://127.0.0.1:9/sms\"\nwebhook_secret = \"short\"\n");
    assert!(!ok);
    assert!(err.contains("webhook_secret"), "{err}");
}

#[test]
fn a_gateway_without_its_secret_stops_the_server() {
    let (ok, err) = serve_with("webhook_url = \"http://127.0.0.1:9/sms\"\n");
    assert!(!ok);
    assert!(err.contains("webhook_secret"), "{err}");
}

#[test]
fn a_bad_trusted_proxy_is_named() {
    let (ok, err) = serve_with("trusted_proxies = [\"10.0.0.0/33\"]\n");
    assert!(!ok);
    assert!(err.contains("trusted_proxies"), "{err}");
}

#[test]
fn a_pool_keeping_more_connections_than_it_may_open_is_named() {
    let (ok, err) = serve_with("max_connections = 4\nmin_connections = 5\n");
    assert!(!ok);
    assert!(
        err.contains("min_connections") && err.contains("max_connections"),
        "{err}"
    );
}

/// A provider's outgoing key is a secret like any other: Alipay turned on with
/// its platform key but without our app key (which signs our gateway requests)
/// stops the server, naming the setting.
#[test]
fn a_provider_without_its_outgoing_key_stops_the_server_naming_the_setting() {
    const PLATFORM: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAssLmWts+lPkXISriHeSgxRi6H5anqw53QmjExAYovLg21YlhsuxGkOPVlXK1tizQgJ7RgZlbQ4AgqIRXgEngpY41kXUky5ZCbaB+imac9+Y85RHEQWrSB3KEvvVMcOp5+oGf1xQwXpuAeUQveFbVbQ6n6kZOFqwzyq543uh96VHLSlE0Oh9fW6jhE4AZdqpHNQM3sqs+R0vJbMHgAITysZ7H/WMgVgXZyLp1wD31mWgy/ZHGTH3tc8fVBNw2yndiVcCSOpNjjPHcU5tOtAuMiv2RGhmxgEZq5k+Uiuv1PsBZDytrXaRGWLGi4eaHd/s/1kcarJK/UR6I0zjDJ8jpTQIDAQAB";
    let (ok, err) = serve_with(&format!(
        "alipay_app_id = \"2021000117600000\"\nalipay_seller_id = \"2088102177000000\"\nalipay_public_key = \"{PLATFORM}\"\n"
    ));
    assert!(!ok);
    assert!(err.contains("alipay_app_private_key"), "{err}");
}
