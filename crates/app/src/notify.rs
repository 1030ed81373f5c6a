//! Delivering the outbox: pluggable senders (log, the owner's in-app inbox, a signed
//! webhook to an SMS/WeChat gateway) and the worker loop that claims due messages.

use crate::{App, AppResult};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use store::outbox::OutboxMessage;

/// Where a message goes.
#[derive(Debug, Clone)]
pub enum Sender {
    /// Writes the message to the log only.
    Log,
    /// Puts the message into the owner's in-app inbox.
    Inbox,
    /// Posts the message as JSON to a gateway, signed with HMAC-SHA256 in the
    /// `X-Aftersales-Signature` header (`t=<unix ms>,v1=<hex>` over `t.body`).
    Webhook {
        /// Gateway URL.
        url: String,
        /// Shared secret.
        secret: String,
    },
}

/// The signature header value for a webhook body at `t` (unix ms).
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a signature header made by [`sign`], in constant time, and that it is no
/// older than `max_age_ms`.
pub fn verify(secret: &str, header: &str, body: &str, now_ms: i64, max_age_ms: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = hex::decode(x).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now_ms - t).abs() > max_age_ms {
        return false;
    }
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&v1).is_ok()
}

/// Which sender delivers a message on a channel, given the settings.
pub fn sender_for(app: &App, channel: &str) -> Sender {
    match (channel, &app.settings.webhook_url) {
        ("app", _) => Sender::Inbox,
        ("sms" | "wechat", Some(url)) => Sender::Webhook {
            url: url.clone(),
            secret: app.settings.webhook_secret.clone(),
        },
        _ => Sender::Log,
    }
}

async fn deliver(app: &App, m: &OutboxMessage, client: &reqwest::Client) -> Result<(), String> {
    match sender_for(app, &m.channel) {
        Sender::Log => {
            tracing::info!(id = m.id, channel = %m.channel, template = %m.template, "message delivered to log");
            Ok(())
        }
        Sender::Inbox => {
            let customer = m.customer_id.ok_or("no customer")?;
            let mut c = app.db.pool.acquire().await.map_err(|e| e.to_string())?;
            store::outbox::insert_inbox(&mut c, customer, &m.template, &m.payload, app.now_ms())
                .await
                .map_err(|e| e.to_string())
        }
        Sender::Webhook { url, secret } => {
            let body = serde_json::json!({
                "id": m.dedupe_key, "channel": m.channel, "to": m.recipient, "template": m.template, "values": m.payload,
            })
            .to_string();
            let sig = sign(&secret, app.now_ms(), &body);
            let r = client
                .post(url)
                .header("content-type", "application/json")
                .header("x-aftersales-signature", sig)
                .body(body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if r.status().is_success() {
                Ok(())
            } else {
                Err(format!("gateway answered {}", r.status()))
            }
        }
    }
}

/// Claims and delivers due messages once; returns how many were sent. Failures are
/// retried with backoff up to 8 attempts.
pub async fn run_once(app: &App, client: &reqwest::Client) -> AppResult<usize> {
    let now = app.now_ms();
    let batch = store::outbox::claim_due(&app.db, now, 60_000, 100).await?;
    let mut sent = 0;
    for m in &batch {
        let result = deliver(app, m, client).await;
        let mut c = app
            .db
            .pool
            .acquire()
            .await
            .map_err(store::StoreError::from)?;
        match result {
            Ok(()) => {
                store::outbox::mark_sent(&mut c, m.id, app.now_ms()).await?;
                sent += 1;
            }
            Err(e) => {
                let backoff = 30_000i64 << m.attempts.clamp(0, 10);
                store::outbox::mark_failed(
                    &mut c,
                    m.id,
                    &e,
                    app.now_ms() + backoff,
                    m.attempts >= 8,
                )
                .await?;
                tracing::warn!(id = m.id, error = %e, "message delivery failed");
            }
        }
    }
    Ok(sent)
}

/// Runs the outbox worker until the process ends.
pub async fn worker(app: App) {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    loop {
        match run_once(&app, &client).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox worker"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_detect_tampering() {
        let h = sign("s3cret", 1_000, "{\"a\":1}");
        assert!(verify("s3cret", &h, "{\"a\":1}", 1_500, 60_000));
        assert!(!verify("s3cret", &h, "{\"a\":2}", 1_500, 60_000));
        assert!(!verify("other", &h, "{\"a\":1}", 1_500, 60_000));
        assert!(!verify("s3cret", &h, "{\"a\":1}", 1_000_000, 60_000));
        assert!(!verify("s3cret", "garbage", "{}", 0, 60_000));
    }
}
