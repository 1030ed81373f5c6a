//! Delivering the outbox: pluggable senders (log, the owner's in-app inbox, a signed
//! webhook to an SMS/WeChat gateway), run as the `outbox.deliver` job kind.

use crate::App;
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use sqlx::AnyConnection;
use store::job::Claimed;
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
        ("sms" | "wechat" | "webhook", Some(url), Some(keys)) => Sender::Webhook {
            url: url.clone(),
            keys: keys.clone(),
        },
        _ => Sender::Log,
    }
}

/// The outbox id a delivery job carries.
fn outbox_id(payload: &str) -> Result<i64, String> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v["outbox_id"].as_i64())
        .ok_or_else(|| "delivery job without outbox_id".to_string())
}

async fn load(app: &App, job: &Claimed) -> Result<OutboxMessage, String> {
    let id = outbox_id(&job.payload)?;
    let mut c = app.db.pool.acquire().await.map_err(|e| e.to_string())?;
    store::outbox::get(&mut c, id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("outbox message {id} is gone"))
}

/// Delivers outbox messages: the `outbox.deliver` job kind. A webhook call is made
/// before the completing transaction (at least once; the gateway drops repeats by the
/// message's dedupe key, stable per event, sent as `id` and as the `Idempotency-Key`
/// header); an inbox message is written in it (exactly
/// once). After the last attempt the message is marked `failed`; retrying the job
/// re-sends it.
#[derive(Debug, Clone, Copy)]
pub struct Delivery;

impl Handler for Delivery {
    fn outside<'a>(&'a self, ctx: &'a Ctx, job: &'a Claimed) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let app = &ctx.app;
            let m = load(app, job).await?;
            if m.status != "pending" {
                // Withdrawn (its cause went away) or sent already: nothing to send.
                return Ok(());
            }
            // The consent ledger is asked at send time: a customer who withdrew after
            // the message was queued gets nothing (the completing step marks it
            // suppressed, asking again inside its transaction).
            let mut c = app.db.pool.acquire().await.map_err(|e| e.to_string())?;
            let refused =
                crate::privacy::consent::refused_at_send(&mut c, m.customer_id, &m.template)
                    .await
                    .map_err(|e| e.to_string())?;
            drop(c);
            if refused.is_some() {
                return Ok(());
            }
            match sender_for(app, &m.channel) {
                Sender::Log => {
                    tracing::info!(id = m.id, channel = %m.channel, template = %m.template, "message delivered to log");
                    Ok(())
                }
                // Written inside the completing transaction.
                Sender::Inbox => Ok(()),
                Sender::Webhook { url, keys } => {
                    let body = serde_json::json!({
                        "id": m.dedupe_key, "channel": m.channel, "to": m.recipient, "template": m.template, "values": m.payload,
                    })
                    .to_string();
                    let sig = keys.sign(app.now_ms(), &body);
                    let r = ctx
                        .http
                        .post(url)
                        .header("content-type", "application/json")
                        .header("x-aftersales-signature", sig)
                        // The same stable key per event, in the standard header too.
                        .header("idempotency-key", &m.dedupe_key)
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
        })
    }

    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let id = outbox_id(&job.payload)?;
            let m = store::outbox::get(conn, id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("outbox message {id} is gone"))?;
            if m.status != "pending" {
                tracing::info!(id, status = %m.status, "outbox message not pending; not sent");
                return Ok(());
            }
            if let Some(purpose) =
                crate::privacy::consent::refused_at_send(conn, m.customer_id, &m.template)
                    .await
                    .map_err(|e| e.to_string())?
            {
                let reason = format!("consent:{}", purpose.code());
                store::outbox::mark_suppressed(conn, id, job.attempts, &reason, ctx.app.now_ms())
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::info!(id, template = %m.template, %reason, "outbox message suppressed");
                metrics::counter!("outbox_suppressed_total", "purpose" => purpose.code())
                    .increment(1);
                return Ok(());
            }
            let now = ctx.app.now_ms();
            if let Sender::Inbox = sender_for(&ctx.app, &m.channel) {
                let customer = m.customer_id.ok_or("no customer")?;
                store::outbox::insert_inbox(conn, customer, &m.template, &m.payload, now)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            store::outbox::mark_sent(conn, id, job.attempts, now)
                .await
                .map_err(|e| e.to_string())?;
            metrics::counter!("outbox_sent_total", "channel" => m.channel).increment(1);
            Ok(())
        })
    }

    fn failed<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
        error: &'a str,
        dead: bool,
    ) -> BoxFuture<'a, Result<(), store::StoreError>> {
        Box::pin(async move {
            let Ok(id) = outbox_id(&job.payload) else {
                return Ok(());
            };
            metrics::counter!("outbox_failed_total").increment(1);
            if dead {
                metrics::counter!("outbox_dead_total").increment(1);
            }
            store::outbox::mark_failed(conn, id, job.attempts, error, dead).await
        })
    }

    fn retried<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        payload: &'a str,
    ) -> BoxFuture<'a, Result<(), store::StoreError>> {
        Box::pin(async move {
            match outbox_id(payload) {
                Ok(id) => store::outbox::mark_pending(conn, id).await,
                Err(_) => Ok(()),
            }
        })
    }
}

/// The channel a link to an owner goes out on (the progress link, a survey link):
/// WeChat for owners who chose it, else SMS (a phone call or the app inbox cannot
/// carry a link to tap).
pub fn owner_link_channel(customer_channel: &str) -> &'static str {
    if customer_channel == "wechat" {
        "wechat"
    } else {
        "sms"
    }
}
