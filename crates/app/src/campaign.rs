//! Marketing campaigns, the smallest real thing: a station's customers are sent one
//! short message. Starting one queues a `campaign.send` job (batches run on the job
//! machinery); the job queues one outbox message per customer (template
//! `campaign_offer`), and each delivery asks the consent ledger for marketing at send
//! time, so a customer who withdrew gets nothing and the message is `suppressed`.

use crate::input::{Loose, int, text};
use crate::job::handler::{BoxFuture, Ctx, Handler, Outcome};
use crate::network::expect;
use crate::{App, AppResult};
use domain::Violations;
use domain::permission::{Action, Grant};
use serde::Deserialize;
use sqlx::AnyConnection;
use store::job::Claimed;

/// The action that starts a campaign: the desk's customer writers.
pub const WRITE: Action = Action::CustomerWrite;
/// The job kind that queues a campaign's messages.
pub const KIND: &str = "campaign.send";
/// The outbox template of a campaign message (needs marketing consent).
pub const TEMPLATE: &str = "campaign_offer";
/// Customers one campaign reaches at most.
pub const MAX_RECIPIENTS: i64 = 20_000;

/// A campaign as started.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CampaignInput {
    /// The station whose customers it goes to.
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub station_id: Loose,
    /// The message, 1 to 200 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    pub message: Loose,
}

/// Starts a campaign for a station within reach: queues its job and returns the
/// job's key. Needs [`WRITE`].
pub async fn start(app: &App, grant: &Grant, input: &CampaignInput) -> AppResult<String> {
    expect(grant, WRITE)?;
    let mut v = Violations::new();
    let station = int(&mut v, "station_id", &input.station_id, 1, i64::MAX);
    let message = text(&mut v, "message", &input.message, 200);
    v.into_result()?;
    let (Some(station), Some(message)) = (station, message) else {
        return Err(domain::Violation::new("body", "required").into());
    };
    let now = app.now_ms();
    let key = crate::transaction::run(app, "campaign.start", |mut tx| {
        let message = &message;
        async move {
            store::network::station(&mut tx, grant.reach(), station)
                .await
                .map_err(|_| crate::shared::refused_rule("station_id", "station.unknown"))?;
            let key = format!("campaign:{station}:{now}");
            let payload =
                serde_json::json!({"station_id": station, "message": message}).to_string();
            store::job::enqueue(
                &mut tx,
                &store::job::NewJob {
                    kind: KIND,
                    key: Some(&key),
                    payload: &payload,
                    due_at: now,
                    max_attempts: crate::job::DEFAULT_MAX_ATTEMPTS,
                },
                now,
            )
            .await?;
            store::event::record(
                &mut tx,
                now,
                crate::actor(grant),
                "station",
                station,
                "campaign",
                &serde_json::json!({"key": key}),
                None,
            )
            .await?;
            Ok((tx, key))
        }
    })
    .await?;
    app.wake_jobs();
    Ok(key)
}

/// Queues a campaign's messages: the `campaign.send` job kind.
#[derive(Debug, Clone, Copy)]
pub struct Send;

impl Handler for Send {
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let p: serde_json::Value =
                serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
            let station = p["station_id"].as_i64().ok_or("campaign without station")?;
            let message = p["message"].as_str().unwrap_or_default();
            let now = ctx.app.now_ms();
            let to = store::campaign::recipients(conn, station, MAX_RECIPIENTS)
                .await
                .map_err(|e| e.to_string())?;
            for r in to {
                let key = format!("campaign:{}:{}", job.id, r.customer_id);
                store::outbox::enqueue(
                    conn,
                    &key,
                    &r.channel,
                    &r.phone,
                    Some(r.customer_id),
                    TEMPLATE,
                    &serde_json::json!({"message": message}),
                    now,
                )
                .await
                .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    }
}
