//! The bills of a batch's delivered orders, paid at the desk at hand-over: the
//! order's invoice (its approved, done estimate lines; a comeback's free) as the
//! desk bill stores it (`billing::invoice_lines`), with its totals, and the desk
//! payment that settles it.

use super::model::Station;
use crate::AppResult;
use domain::estimate::Invoice;
use sqlx::AnyConnection;
use store::Backend;
use store::bulk::Bulk;

/// Writes the bills (order, customer, issued at, invoice), numbered from `first`, and
/// their payments.
pub(super) async fn bills(
    tx: &mut AnyConnection,
    backend: Backend,
    s: &Station,
    first: i64,
    rows: &[(i64, i64, i64, Invoice)],
) -> AppResult<()> {
    let mut b = Bulk::new(
        backend,
        "bills",
        &[
            "id",
            "repair_order_id",
            "station_id",
            "customer_id",
            "number",
            "lines",
            "vat_bp",
            "net_fen",
            "vat_fen",
            "gross_fen",
            "paid_fen",
            "state",
            "issued_at",
            "paid_at",
        ],
    );
    let mut pays = Bulk::new(
        backend,
        "payments",
        &[
            "bill_id",
            "payment_ref",
            "method",
            "amount_fen",
            "state",
            "created_at",
            "created_by_role",
            "created_by_id",
            "settled_at",
        ],
    );
    for (i, (order, customer, at, invoice)) in rows.iter().enumerate() {
        let id = first + i as i64;
        let t = invoice.totals;
        let gross = t.gross.fen();
        b.i(id)?;
        b.i(*order)?;
        b.i(s.id)?;
        b.i(*customer)?;
        b.s(format!("INV-{:04}-{:08}", s.id, order))?;
        b.s(crate::billing::invoice_lines(invoice).to_string())?;
        b.i(super::model::VAT_BP)?;
        b.i(t.net.fen())?;
        b.i(t.vat.fen())?;
        b.i(gross)?;
        b.i(gross)?;
        b.s("paid")?;
        b.i(*at)?;
        b.i(*at)?;
        b.row_then_flush(tx).await?;
        if gross > 0 {
            pays.i(id)?;
            pays.s(format!("SIM-{id}"))?;
            pays.s(if order % 2 == 0 { "wechat" } else { "card" })?;
            pays.i(gross)?;
            pays.s("paid")?;
            pays.i(*at)?;
            pays.s("service_advisor")?;
            pays.i(0)?;
            pays.i(*at)?;
        }
        if gross > 0 && pays.end_row() {
            // Bills before their payments: the payments reference them.
            b.flush(tx).await?;
            pays.flush(tx).await?;
        }
    }
    b.flush(tx).await?;
    pays.flush(tx).await?;
    Ok(())
}
