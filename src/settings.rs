//! The program's settings: a TOML file and `AFTERSALES_*` variables, checked as a
//! whole before anything starts (no secret has a default outside the demo).

use anyhow::Context;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The settings file.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    webhook_previous_secret: Option<String>,
    session_minutes: Option<i64>,
    owner_link_days_after_payment: Option<i64>,
    refund_limit_advisor_fen: Option<i64>,
    refund_limit_station_manager_fen: Option<i64>,
    payment_query_minutes: Option<i64>,
    payment_expire_minutes: Option<i64>,
    log_codes: Option<bool>,
    payment_sandbox: Option<bool>,
    payment_sandbox_secret: Option<String>,
    payment_sandbox_previous_secret: Option<String>,
    wechat_sandbox: Option<bool>,
    wechat_mch_id: Option<String>,
    wechat_app_id: Option<String>,
    wechat_api_v3_key: Option<String>,
    wechat_platform_serial: Option<String>,
    wechat_platform_public_key: Option<String>,
    wechat_platform_previous_serial: Option<String>,
    wechat_platform_previous_public_key: Option<String>,
    wechat_merchant_serial: Option<String>,
    wechat_merchant_private_key: Option<String>,
    wechat_api_base: Option<String>,
    wechat_notify_url: Option<String>,
    alipay_sandbox: Option<bool>,
    alipay_app_id: Option<String>,
    alipay_seller_id: Option<String>,
    alipay_public_key: Option<String>,
    alipay_previous_public_key: Option<String>,
    alipay_app_private_key: Option<String>,
    alipay_gateway: Option<String>,
    alipay_notify_url: Option<String>,
    secure_cookies: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    max_connections: Option<u32>,
    min_connections: Option<u32>,
    retention_sign_in_attempt_days: Option<i64>,
    retention_outbox_failed_days: Option<i64>,
    retention_audit_log_days: Option<i64>,
    retention_accounting_years: Option<i64>,
    retention_three_guarantees_years: Option<i64>,
}

pub(crate) struct Settings {
    pub(crate) database_url: String,
    pub(crate) listen: SocketAddr,
    pub(crate) app: app::AppSettings,
    pub(crate) max_connections: u32,
    /// Connections opened at start and kept open while idle.
    pub(crate) min_connections: u32,
    pub(crate) secure_cookies: bool,
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,
}

/// What the command is for: the demo may invent what a production server must be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Production,
    Demo,
}

/// Reads the settings: the file (`config`, else `aftersales.toml` if present), then
/// `AFTERSALES_*` variables, which win, then the command line's own values.
pub(crate) fn read(
    config: Option<&Path>,
    database_url: Option<&str>,
    listen: Option<SocketAddr>,
    purpose: Purpose,
) -> anyhow::Result<Settings> {
    let path = config
        .map(Path::to_path_buf)
        .or_else(|| Some(PathBuf::from("aftersales.toml")).filter(|p| p.exists()));
    let file: FileSettings = match &path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))?
        }
        None => FileSettings::default(),
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut app = app::AppSettings {
        wechat: wechat(&file, purpose)?,
        alipay: alipay(&file, purpose)?,
        ..Default::default()
    };
    if let Some(u) = env("AFTERSALES_WEBHOOK_URL").or(file.webhook_url) {
        app.webhook_url = Some(u);
    }
    if let Some(s) = env("AFTERSALES_WEBHOOK_SECRET").or(file.webhook_secret) {
        let previous = env("AFTERSALES_WEBHOOK_PREVIOUS_SECRET").or(file.webhook_previous_secret);
        app.gateway_keys = Some(app::signing::KeyRing::new(
            "webhook_secret",
            &s,
            "webhook_previous_secret",
            previous.as_deref(),
        )?);
    }
    let sandbox_on = env("AFTERSALES_PAYMENT_SANDBOX")
        .map(|v| v == "true" || v == "1")
        .or(file.payment_sandbox)
        .unwrap_or(false)
        || purpose == Purpose::Demo;
    let sandbox_secret = env("AFTERSALES_PAYMENT_SANDBOX_SECRET").or(file.payment_sandbox_secret);
    app.payment_sandbox = match (sandbox_on, sandbox_secret) {
        (false, _) => None,
        (true, Some(s)) => {
            let previous = env("AFTERSALES_PAYMENT_SANDBOX_PREVIOUS_SECRET")
                .or(file.payment_sandbox_previous_secret);
            Some(app::signing::KeyRing::new(
                "payment_sandbox_secret",
                &s,
                "payment_sandbox_previous_secret",
                previous.as_deref(),
            )?)
        }
        // The demo's own sandbox signs with a key nobody outside this process knows.
        (true, None) if purpose == Purpose::Demo => Some(app::signing::KeyRing::random()),
        (true, None) => anyhow::bail!(
            "payment_sandbox is on but payment_sandbox_secret is not set: the sandbox provider needs its own secret (setting payment_sandbox_secret or AFTERSALES_PAYMENT_SANDBOX_SECRET)"
        ),
    };
    app.check()?;
    let trusted_proxies = match env("AFTERSALES_TRUSTED_PROXIES") {
        Some(v) => v.split(',').map(|p| p.trim().to_string()).collect(),
        None => file.trusted_proxies.unwrap_or_default(),
    }
    .iter()
    .filter(|p| !p.is_empty())
    .map(|p| parse_proxy(p))
    .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(m) = file.session_minutes {
        app.session_minutes = m;
    }
    if let Some(d) = file.owner_link_days_after_payment {
        if d < 0 {
            anyhow::bail!("owner_link_days_after_payment must be 0 or more days");
        }
        app.owner_link_days_after_payment = d;
    }
    if let Some(f) = file.refund_limit_advisor_fen {
        if f < 0 {
            anyhow::bail!("refund_limit_advisor_fen must be 0 or more fen");
        }
        app.refund_limits.advisor_fen = f;
    }
    if let Some(f) = file.refund_limit_station_manager_fen {
        if f < 0 {
            anyhow::bail!("refund_limit_station_manager_fen must be 0 or more fen");
        }
        app.refund_limits.station_manager_fen = f;
    }
    if let Some(m) = file.payment_query_minutes {
        if m < 1 {
            anyhow::bail!("payment_query_minutes must be 1 or more minutes");
        }
        app.payment_query_minutes = m;
    }
    if let Some(m) = file.payment_expire_minutes {
        if m < 1 {
            anyhow::bail!("payment_expire_minutes must be 1 or more minutes");
        }
        app.payment_expire_minutes = m;
    }
    // Retention per record class: none may go below its legal floor; the error names
    // the setting, the floor and the law.
    let r = &mut app.retention;
    for (value, slot) in [
        (
            file.retention_sign_in_attempt_days,
            &mut r.sign_in_attempt_days,
        ),
        (file.retention_outbox_failed_days, &mut r.outbox_failed_days),
        (file.retention_audit_log_days, &mut r.audit_log_days),
        (file.retention_accounting_years, &mut r.accounting_years),
        (
            file.retention_three_guarantees_years,
            &mut r.three_guarantees_years,
        ),
    ] {
        if let Some(v) = value {
            *slot = v;
        }
    }
    app.retention.check()?;
    // Sign-in codes in the log are a demo convenience, never a production default.
    app.log_codes = file.log_codes.unwrap_or(purpose == Purpose::Demo);
    let database_url = database_url
        .map(str::to_string)
        .or(file.database_url)
        .unwrap_or_else(|| "sqlite://aftersales.db".into());
    let default_connections = if database_url.starts_with("postgres") {
        32
    } else {
        8
    };
    let backend = if database_url.starts_with("postgres") {
        store::Backend::Postgres
    } else {
        store::Backend::Sqlite
    };
    let max_connections = file.max_connections.unwrap_or(default_connections);
    if max_connections == 0 {
        anyhow::bail!("max_connections must be 1 or more");
    }
    let min_connections = file
        .min_connections
        .unwrap_or_else(|| store::db::default_min_connections(backend, max_connections));
    if min_connections > max_connections {
        anyhow::bail!(
            "min_connections ({min_connections}) must not be more than max_connections ({max_connections})"
        );
    }
    Ok(Settings {
        database_url,
        listen: listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        app,
        // SQLite serves reads from a few connections best on a small machine; PostgreSQL
        // takes more.
        max_connections,
        min_connections,
        secure_cookies: file.secure_cookies.unwrap_or(false),
        trusted_proxies,
    })
}

/// A trusted proxy: an address (`10.0.0.5`) or a network (`10.0.0.0/8`).
fn parse_proxy(text: &str) -> anyhow::Result<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .with_context(|| {
            format!("trusted_proxies: `{text}` is not an address or a network (e.g. 10.0.0.0/8)")
        })
}

/// WeChat Pay: its sandbox (`wechat_sandbox`, always in the demo) or the real
/// account from its `wechat_*` settings, every key required and named when missing.
fn wechat(
    file: &FileSettings,
    purpose: Purpose,
) -> anyhow::Result<Option<app::billing::wechat::WechatPay>> {
    use app::billing::wechat::{WechatPay, WechatSettings};
    if file.wechat_sandbox.unwrap_or(false) || purpose == Purpose::Demo {
        return Ok(Some(WechatPay::sandbox()));
    }
    let any = [
        &file.wechat_mch_id,
        &file.wechat_app_id,
        &file.wechat_api_v3_key,
        &file.wechat_platform_serial,
        &file.wechat_platform_public_key,
        &file.wechat_merchant_serial,
        &file.wechat_merchant_private_key,
    ]
    .iter()
    .any(|v| v.is_some());
    if !any {
        return Ok(None);
    }
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let previous = match (
        &file.wechat_platform_previous_serial,
        &file.wechat_platform_previous_public_key,
    ) {
        (Some(a), Some(b)) => Some((a.clone(), b.clone())),
        _ => None,
    };
    Ok(Some(WechatPay::from_settings(&WechatSettings {
        mch_id: s(&file.wechat_mch_id),
        app_id: s(&file.wechat_app_id),
        api_v3_key: s(&file.wechat_api_v3_key),
        platform_serial: s(&file.wechat_platform_serial),
        platform_public_key: s(&file.wechat_platform_public_key),
        previous,
        merchant_serial: s(&file.wechat_merchant_serial),
        merchant_private_key: s(&file.wechat_merchant_private_key),
        api_base: s(&file.wechat_api_base),
        notify_url: s(&file.wechat_notify_url),
    })?))
}

/// Alipay: its sandbox (`alipay_sandbox`, always in the demo) or the real account
/// from its `alipay_*` settings, every key required and named when missing.
fn alipay(
    file: &FileSettings,
    purpose: Purpose,
) -> anyhow::Result<Option<app::billing::alipay::Alipay>> {
    use app::billing::alipay::{Alipay, AlipaySettings};
    if file.alipay_sandbox.unwrap_or(false) || purpose == Purpose::Demo {
        return Ok(Some(Alipay::sandbox()));
    }
    let any = [
        &file.alipay_app_id,
        &file.alipay_seller_id,
        &file.alipay_public_key,
        &file.alipay_app_private_key,
    ]
    .iter()
    .any(|v| v.is_some());
    if !any {
        return Ok(None);
    }
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(Some(Alipay::from_settings(&AlipaySettings {
        app_id: s(&file.alipay_app_id),
        seller_id: s(&file.alipay_seller_id),
        public_key: s(&file.alipay_public_key),
        previous_public_key: file.alipay_previous_public_key.clone(),
        app_private_key: s(&file.alipay_app_private_key),
        gateway: s(&file.alipay_gateway),
        notify_url: s(&file.alipay_notify_url),
    })?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Issue 21, finding 5: owners' sign-in codes go to the log only in the demo; a
    /// plain `serve` with no setting keeps them out, and the file can still say so.
    #[test]
    fn sign_in_codes_are_logged_only_in_the_demo() {
        let dir = std::env::temp_dir().join(format!("aftersales-log-codes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.toml");
        std::fs::write(&empty, "").unwrap();
        let url = Some("sqlite::memory:");
        let prod = read(Some(&empty), url, None, Purpose::Production).unwrap();
        assert!(
            !prod.app.log_codes,
            "no codes in the log of a production server"
        );
        let demo = read(Some(&empty), url, None, Purpose::Demo).unwrap();
        assert!(demo.app.log_codes);
        let on = dir.join("on.toml");
        std::fs::write(&on, "log_codes = true\n").unwrap();
        assert!(
            read(Some(&on), url, None, Purpose::Production)
                .unwrap()
                .app
                .log_codes
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Issue 21: a retention setting below its legal floor stops the server at start,
    /// naming the setting; one at the floor is accepted.
    #[test]
    fn retention_below_the_legal_floor_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("aftersales-retention-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = Some("sqlite::memory:");
        let low = dir.join("low.toml");
        std::fs::write(&low, "retention_accounting_years = 10\n").unwrap();
        let e = read(Some(&low), url, None, Purpose::Production)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("retention_accounting_years"), "{e}");
        let ok = dir.join("ok.toml");
        std::fs::write(
            &ok,
            "retention_audit_log_days = 1095\nretention_outbox_failed_days = 0\n",
        )
        .unwrap();
        let s = read(Some(&ok), url, None, Purpose::Production).unwrap();
        assert_eq!(s.app.retention.outbox_failed_days, 0);
        std::fs::remove_dir_all(&dir).ok();
    }
}
