//! Delivering the outbox: pluggable senders (log, the owner's in-app inbox, a signed
//! webhook to an SMS/WeChat gateway) and the worker loop that claims due messages.

use crate::{App, AppResult};
use store::outbox::OutboxMessage;

/// Where a message goes.
#[derive(Debug, Clone)]
pub enum Sender {
    /// Writes the message to the log only.
    Log,
    /// Puts the message into the owner's in-app inbox.
    Inbox,
    /// Posts the message as JSON to a gateway, signed with HMAC-SHA256 in the
    /// `X-Aftersales-Signature` header (`t=<unix ms>,v1=<hex>` over `t.body`, one
    /// `v1` per key while a rotation overlaps; see [`crate::signing`]).
    Webhook {
        /// Gateway URL.
        url: String,
        /// The gateway's own keys (never the payment providers').
        keys: crate::signing::KeyRing,
    },
}

/// Which sender delivers a message on a channel, given the settings.
pub fn sender_for(app: &App, channel: &str) -> Sender {
    match (
        channel,
        &app.settings.webhook_url,
        &app.settings.gateway_keys,
    ) {
        ("app", _, _) => Sender::Inbox,
        ("sms" | "wechat", Some(url), Some(keys)) => Sender::Webhook {
            url: url.clone(),
            keys: keys.clone(),
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
        Sender::Webhook { url, keys } => {
            let body = serde_json::json!({
                "id": m.dedupe_key, "channel": m.channel, "to": m.recipient, "template": m.template, "values": m.payload,
            })
            .to_string();
            let sig = keys.sign(app.now_ms(), &body);
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
