//! Dead-letter alerts for administrators (issue 22, finding 10). A job or timer that
//! gives up raises one (the worker, in the transaction that records the death); one
//! alert stays open per queue and kind and counts the dead letters that join it, so
//! an outage of the SMS gateway is one alert saying how many messages died rather
//! than a notice per message. Administrators (`JobAdmin`) see the open alerts on the
//! console's home and on the queue page, send all of a kind's dead letters round
//! again at once ([`retry_all`]) or acknowledge the alert ([`acknowledge`]); the next
//! dead letter of that kind opens a new one. The count of open alerts is the gauge
//! `job_alerts_open` in /metrics, beside `job_queue_depth{state="dead"}`.
//!
//! Why not a message through the outbox: the outbox is what is failing when its
//! dead letters pile up, so the alert lives in the database the console reads.

use super::{check, handler};
use crate::{App, AppError, AppResult};
use domain::permission::Grant;
pub use store::job::alert::JobAlert;

/// Most dead letters one "send all again" sends round (the rest stay dead and are
/// sent by pressing again).
pub const RETRY_ALL_LIMIT: i64 = 1_000;

/// The open alerts, the latest death first.
pub async fn open(app: &App, grant: &Grant) -> AppResult<Vec<JobAlert>> {
    check(grant)?;
    let mut c = crate::conn(app).await?;
    Ok(store::job::alert::open(&mut c).await?)
}

/// Acknowledges an open alert (someone has seen it); 409 `state` when it is not open.
pub async fn acknowledge(app: &App, grant: &Grant, id: i64) -> AppResult<()> {
    check(grant)?;
    let now = app.now_ms();
    let by = grant.principal().id;
    crate::transaction::run(app, "job.acknowledge_alert", move |mut tx| async move {
        if !store::job::alert::acknowledge(&mut tx, id, by, now).await? {
            return Err(AppError::Refused(
                domain::Violation::new("state", "job_alert.closed").into(),
            ));
        }
        Ok((tx, ()))
    })
    .await?;
    tracing::info!(alert = id, by, "dead-letter alert acknowledged");
    Ok(())
}

/// Sends every dead letter of an open alert's queue and kind round again (at most
/// [`RETRY_ALL_LIMIT`]), telling each row's handler (an outbox message turns pending
/// again), and acknowledges the alert, in one transaction; answers how many rows
/// were sent round. 404 when no such alert is open.
pub async fn retry_all(app: &App, grant: &Grant, id: i64) -> AppResult<usize> {
    check(grant)?;
    let now = app.now_ms();
    let by = grant.principal().id;
    let sent = crate::transaction::run(app, "job.retry_alert", move |mut tx| async move {
        let alert = store::job::alert::open(&mut tx)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(AppError::NotFound)?;
        let dead = store::job::list(
            &mut tx,
            alert.queue,
            Some("dead"),
            Some(&alert.kind),
            RETRY_ALL_LIMIT,
        )
        .await?;
        let h = handler::Registry::standard().get(&alert.kind);
        let mut sent = 0;
        for row in &dead {
            if store::job::retry(&mut tx, alert.queue, row.id, now).await? {
                if let Some(h) = &h {
                    h.retried(&mut tx, &row.payload).await?;
                }
                sent += 1;
            }
        }
        store::job::alert::acknowledge(&mut tx, id, by, now).await?;
        Ok((tx, sent))
    })
    .await?;
    app.wake_jobs();
    tracing::info!(alert = id, by, sent, "dead letters sent round again");
    Ok(sent)
}
