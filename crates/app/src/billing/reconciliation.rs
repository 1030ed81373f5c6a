//! Daily reconciliation of a provider's statement against our books, for the
//! cashier (their own station) and head office (everything, also statement lines
//! that name no payment of ours): matched, amount mismatch, missing (the provider
//! took money we never recorded), extra (we recorded money the provider does not
//! know). Days are Shanghai calendar days. Only the sandbox provider ships, so its
//! statement is the one read.

use super::READ;
use super::provider::SANDBOX;
use crate::input::{Loose, date};
use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::Violations;
use domain::billing::reconciliation::{Outcome, reconcile};
use domain::permission::Grant;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use store::billing::reconciliation::Entry;

/// One provider reference of the day and how it came out.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReconLine {
    /// `matched`, `amount_mismatch`, `missing` or `extra`.
    pub outcome: String,
    /// The provider's reference.
    pub provider_ref: String,
    /// Our payment reference, as either side names it.
    pub payment_ref: String,
    /// The bill, when the payment is ours.
    pub bill_id: Option<i64>,
    /// Our amount, fen.
    pub ours_fen: Option<i64>,
    /// The statement's amount, fen.
    pub theirs_fen: Option<i64>,
}

/// A day's reconciliation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    /// The day, `YYYY-MM-DD` (Shanghai).
    pub day: String,
    /// The provider.
    pub provider: String,
    /// Its lines, by provider reference.
    pub lines: Vec<ReconLine>,
    /// How many lines of each outcome, in the order `matched`, `amount_mismatch`,
    /// `missing`, `extra`.
    pub counts: Vec<(String, usize)>,
}

impl Reconciliation {
    /// Whether every line matched (and there is at least one).
    pub fn all_matched(&self) -> bool {
        !self.lines.is_empty() && self.lines.iter().all(|l| l.outcome == "matched")
    }
}

/// The UTC ms bounds `[from, to)` of a Shanghai calendar day.
fn bounds(day: Date) -> AppResult<(i64, i64)> {
    let tz = TimeZone::get("Asia/Shanghai").map_err(|e| AppError::Internal(e.to_string()))?;
    let at = |d: Date| -> AppResult<i64> {
        Ok(d.to_zoned(tz.clone())
            .map_err(|e| AppError::Internal(e.to_string()))?
            .timestamp()
            .as_millisecond())
    };
    let next = day
        .tomorrow()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((at(day)?, at(next)?))
}

/// Reconciles the day `day` (`YYYY-MM-DD`, Shanghai) within the caller's reach.
/// A malformed day is 422 naming `day`. Needs [`READ`].
pub async fn day(app: &App, grant: &Grant, day: &str) -> AppResult<Reconciliation> {
    expect(grant, READ)?;
    let mut v = Violations::new();
    let d = date(&mut v, "day", &Loose::String(day.trim().to_string()));
    v.into_result()?;
    let d = crate::shared::required(d)?;
    let (from, to) = bounds(d)?;
    let mut c = conn(app).await?;
    let ours =
        store::billing::reconciliation::ours(&mut c, grant.reach(), SANDBOX, from, to).await?;
    let theirs =
        store::billing::reconciliation::sandbox_statement(&mut c, grant.reach(), from, to).await?;
    let pairs = |e: &[Entry]| -> Vec<(String, i64)> {
        e.iter()
            .map(|x| (x.provider_ref.clone(), x.amount_fen))
            .collect()
    };
    let matched = reconcile(&pairs(&ours), &pairs(&theirs));
    let find = |r: &str| {
        ours.iter()
            .chain(theirs.iter())
            .find(|e| e.provider_ref == r)
    };
    let lines: Vec<ReconLine> = matched
        .iter()
        .map(|l| {
            let e = find(&l.provider_ref);
            ReconLine {
                outcome: l.outcome.code().into(),
                provider_ref: l.provider_ref.clone(),
                payment_ref: e.map(|e| e.payment_ref.clone()).unwrap_or_default(),
                bill_id: e.and_then(|e| e.bill_id),
                ours_fen: l.ours_fen,
                theirs_fen: l.theirs_fen,
            }
        })
        .collect();
    let counts = Outcome::ALL
        .iter()
        .map(|o| {
            let n = matched.iter().filter(|l| l.outcome == *o).count();
            (o.code().to_string(), n)
        })
        .collect();
    Ok(Reconciliation {
        day: d.to_string(),
        provider: SANDBOX.into(),
        lines,
        counts,
    })
}

/// The reconciliation as CSV (UTF-8 with a byte-order mark, so spreadsheet
/// programs read the Chinese column heads): one row per provider reference.
pub fn csv(r: &Reconciliation, heads: &[String; 6]) -> AppResult<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let err = |e: csv::Error| AppError::Internal(e.to_string());
        w.write_record(heads).map_err(err)?;
        let fen = |f: Option<i64>| f.map(|f| format!("{}.{:02}", f / 100, f % 100));
        for l in &r.lines {
            w.write_record([
                l.outcome.clone(),
                l.provider_ref.clone(),
                l.payment_ref.clone(),
                l.bill_id.map(|b| b.to_string()).unwrap_or_default(),
                fen(l.ours_fen).unwrap_or_default(),
                fen(l.theirs_fen).unwrap_or_default(),
            ])
            .map_err(err)?;
        }
        w.flush().map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(out)
}
