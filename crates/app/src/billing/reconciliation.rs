//! Daily reconciliation of a provider's statement against our books, for the
//! cashier (their own station) and head office (everything, also statement lines
//! that name no payment of ours): matched, amount mismatch, missing (the provider
//! took money we never recorded), extra (we recorded money the provider does not
//! know). Days are Shanghai calendar days. Each provider the server has is matched
//! against its own statement file: WeChat Pay's and Alipay's as the nightly job
//! downloaded them over HTTP ([`super::statement`]); the generic sandbox's, and a
//! day not downloaded yet, from the sandbox's own record of what it took.

use super::READ;
use super::provider::SANDBOX;
use crate::input::{Loose, date};
use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::Violations;
use domain::billing::reconciliation::{Outcome, reconcile, spreadsheet_cell};
use domain::permission::{Grant, Reach};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use store::billing::reconciliation::Entry;

/// One provider reference of the day and how it came out.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReconLine {
    /// `matched`, `amount_mismatch`, `missing` or `extra`.
    pub outcome: String,
    /// The provider whose statement the line is from.
    pub provider: String,
    /// The provider's reference.
    pub provider_ref: String,
    /// Our payment reference, as either side names it.
    pub payment_ref: String,
    /// The bill, when the payment is ours.
    pub bill_id: Option<i64>,
    /// The bill's number (what the cashier and the owner call it), when ours.
    pub bill_number: Option<String>,
    /// The bill's repair order, when ours.
    pub repair_order_id: Option<i64>,
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
    /// The providers reconciled, comma-separated.
    pub provider: String,
    /// Its lines, by provider reference.
    pub lines: Vec<ReconLine>,
    /// What the nightly job found for the day, per provider (none before it ran).
    #[schema(value_type = Vec<Object>)]
    pub nightly: Vec<store::billing::reconciliation::Run>,
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

/// The providers this server has, each reconciled against its own statement file.
pub(crate) fn providers(app: &App) -> Vec<&'static str> {
    let s = &app.settings;
    [
        (s.payment_sandbox.is_some(), SANDBOX),
        (s.wechat.is_some(), super::wechat::WECHAT),
        (s.alipay.is_some(), super::alipay::ALIPAY),
    ]
    .into_iter()
    .filter_map(|(on, code)| on.then_some(code))
    .collect()
}

/// The UTC ms bounds `[from, to)` of a Shanghai calendar day.
pub(crate) fn bounds(day: Date) -> AppResult<(i64, i64)> {
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
    let mut c = conn(app).await?;
    reconcile_day(app, &mut c, grant.reach(), d).await
}

/// The provider's statement of day `d` within reach: the file downloaded over
/// HTTP by the nightly job ([`super::statement::download`]) once it has been;
/// before that (a day the page shows before the night, or the generic sandbox,
/// which has no statement API) the sandbox's own record of what it took.
async fn statement(
    c: &mut sqlx::AnyConnection,
    reach: &Reach,
    code: &str,
    d: Date,
    from: i64,
    to: i64,
) -> AppResult<Vec<Entry>> {
    let day = d.to_string();
    if code != SANDBOX
        && store::billing::statement::fetched_at(c, code, &day)
            .await?
            .is_some()
    {
        return Ok(store::billing::statement::lines(c, reach, code, &day).await?);
    }
    Ok(store::billing::reconciliation::sandbox_statement(c, reach, code, from, to).await?)
}

/// Reconciles the day `d` within `reach` (the nightly job reconciles everything).
pub(crate) async fn reconcile_day(
    app: &App,
    c: &mut sqlx::AnyConnection,
    reach: &Reach,
    d: Date,
) -> AppResult<Reconciliation> {
    let (from, to) = bounds(d)?;
    let mut lines: Vec<ReconLine> = Vec::new();
    let mut codes = Vec::new();
    for code in providers(app) {
        codes.push(code);
        let ours = store::billing::reconciliation::ours(c, reach, code, from, to).await?;
        let theirs = statement(c, reach, code, d, from, to).await?;
        let pairs = |e: &[Entry]| -> Vec<(String, i64)> {
            e.iter()
                .map(|x| (x.provider_ref.clone(), x.amount_fen))
                .collect()
        };
        let find = |r: &str| {
            ours.iter()
                .chain(theirs.iter())
                .find(|e| e.provider_ref == r)
        };
        lines.extend(reconcile(&pairs(&ours), &pairs(&theirs)).iter().map(|l| {
            let e = find(&l.provider_ref);
            ReconLine {
                outcome: l.outcome.code().into(),
                provider: code.into(),
                provider_ref: l.provider_ref.clone(),
                payment_ref: e.map(|e| e.payment_ref.clone()).unwrap_or_default(),
                bill_id: e.and_then(|e| e.bill_id),
                bill_number: e.and_then(|e| e.bill_number.clone()),
                repair_order_id: e.and_then(|e| e.repair_order_id),
                ours_fen: l.ours_fen,
                theirs_fen: l.theirs_fen,
            }
        }));
    }
    let counts = Outcome::ALL
        .iter()
        .map(|o| {
            let n = lines.iter().filter(|l| l.outcome == o.code()).count();
            (o.code().to_string(), n)
        })
        .collect();
    Ok(Reconciliation {
        day: d.to_string(),
        provider: codes.join(","),
        nightly: store::billing::reconciliation::runs_of(c, &d.to_string()).await?,
        lines,
        counts,
    })
}

/// The rows of an export: the heads, then one row per provider reference. Every
/// text cell passes through [`spreadsheet_cell`] (a reference starting with `=` is
/// shown, never evaluated); amounts are yuan with two decimals.
fn rows(r: &Reconciliation, heads: &[String; 6]) -> Vec<[String; 6]> {
    let fen = |f: Option<i64>| {
        f.map(|f| format!("{}.{:02}", f / 100, f % 100))
            .unwrap_or_default()
    };
    let cell = |s: &str| spreadsheet_cell(s).into_owned();
    let mut out = vec![heads.clone().map(|h| cell(&h))];
    out.extend(r.lines.iter().map(|l| {
        [
            cell(&l.outcome),
            cell(&l.provider_ref),
            cell(&l.payment_ref),
            cell(l.bill_number.as_deref().unwrap_or_default()),
            fen(l.ours_fen),
            fen(l.theirs_fen),
        ]
    }));
    out
}

/// The reconciliation as CSV (UTF-8 with a byte-order mark, so spreadsheet
/// programs read the Chinese column heads): one row per provider reference.
pub fn csv(r: &Reconciliation, heads: &[String; 6]) -> AppResult<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let err = |e: csv::Error| AppError::Internal(e.to_string());
        for row in rows(r, heads) {
            w.write_record(row).map_err(err)?;
        }
        w.flush().map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(out)
}

/// The reconciliation as an XLSX workbook (one sheet named after the day): the
/// same rows as [`csv`], amounts as numbers with two decimals, text cells written
/// as strings (never formulas) and neutralised as in the CSV.
pub fn xlsx(r: &Reconciliation, heads: &[String; 6]) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(&r.day).map_err(err)?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    for (i, h) in rows(r, heads)[0].iter().enumerate() {
        sheet
            .write_string_with_format(0, i as u16, h, &bold)
            .map_err(err)?;
    }
    for (n, l) in r.lines.iter().enumerate() {
        let row = n as u32 + 1;
        sheet
            .write_string(row, 0, spreadsheet_cell(&l.outcome))
            .map_err(err)?;
        sheet
            .write_string(row, 1, spreadsheet_cell(&l.provider_ref))
            .map_err(err)?;
        sheet
            .write_string(row, 2, spreadsheet_cell(&l.payment_ref))
            .map_err(err)?;
        if let Some(b) = &l.bill_number {
            sheet
                .write_string(row, 3, spreadsheet_cell(b))
                .map_err(err)?;
        }
        for (col, fen) in [(4u16, l.ours_fen), (5, l.theirs_fen)] {
            if let Some(f) = fen {
                // Display only: the amount is exact in fen up to 2^53.
                sheet
                    .write_number_with_format(row, col, f as f64 / 100.0, &money)
                    .map_err(err)?;
            }
        }
    }
    sheet.autofit();
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn recon() -> Reconciliation {
        Reconciliation {
            day: "2026-12-04".into(),
            provider: SANDBOX.into(),
            lines: vec![ReconLine {
                outcome: "missing".into(),
                provider: SANDBOX.into(),
                provider_ref: "=HYPERLINK(\"http://evil\",\"x\")".into(),
                payment_ref: "@SUM(1)".into(),
                bill_id: Some(7),
                bill_number: Some("B-0007".into()),
                repair_order_id: Some(3),
                ours_fen: None,
                theirs_fen: Some(1050),
            }],
            counts: vec![],
            nightly: vec![],
        }
    }

    fn heads() -> [String; 6] {
        ["a", "b", "c", "d", "e", "f"].map(String::from)
    }

    #[test]
    fn csv_cells_cannot_become_formulas() {
        let text = String::from_utf8(csv(&recon(), &heads()).unwrap()).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(row.contains("'=HYPERLINK"), "{row}");
        assert!(row.contains("'@SUM(1)"), "{row}");
        assert!(row.ends_with(",B-0007,,10.50"), "{row}");
    }

    #[test]
    fn xlsx_is_a_workbook_of_strings_not_formulas() {
        let bytes = xlsx(&recon(), &heads()).unwrap();
        // A zip archive (the XLSX container) with no formula element in it.
        assert_eq!(&bytes[..2], b"PK");
        let rows = rows(&recon(), &heads());
        assert_eq!(rows[1][1], "'=HYPERLINK(\"http://evil\",\"x\")");
        assert_eq!(rows[1][5], "10.50");
    }
}
