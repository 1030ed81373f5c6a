//! The bills of a batch's delivered orders, paid at the desk at hand-over: one
//! labour line (and a parts line when parts were fitted), VAT as the bill rules
//! round it, and the desk payment that settles it.

use super::model::Station;
use crate::AppResult;
use crate::demo::bulk::Bulk;
use sqlx::{AnyConnection, Row};
use store::Backend;

/// VAT on service, basis points (as the batch charges it).
pub(super) const VAT_BP: i64 = 1_300;

/// Writes the bills (order, customer, net fen, delivered at, labour hundredths) and
/// their payments.
pub(super) async fn bills(
    tx: &mut AnyConnection,
    backend: Backend,
    s: &Station,
    rows: &[(i64, i64, i64, i64, i64)],
) -> AppResult<()> {
    let first: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM bills")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
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
    for (i, (order, customer, net, at, hundredths)) in rows.iter().enumerate() {
        let id = first + i as i64;
        let labour = (hundredths * s.rate_fen / 100).min(*net);
        let parts = net - labour;
        let mut lines = vec![serde_json::json!({
            "line_no": 1, "kind": "labour", "code": "SIM-SERVICE", "quantity_hundredths": hundredths,
            "unit_price_fen": s.rate_fen, "amount_fen": labour, "comeback": false,
        })];
        if parts > 0 {
            lines.push(serde_json::json!({
                "line_no": 2, "kind": "part", "code": "SIM-PARTS", "quantity_hundredths": 100,
                "unit_price_fen": parts, "amount_fen": parts, "comeback": false,
            }));
        }
        let gross = domain::billing::line_gross(*net, VAT_BP);
        b.i(id)?;
        b.i(*order)?;
        b.i(s.id)?;
        b.i(*customer)?;
        b.s(format!("INV-{:04}-{:08}", s.id, order))?;
        b.s(serde_json::Value::Array(lines).to_string())?;
        b.i(VAT_BP)?;
        b.i(*net)?;
        b.i(gross - net)?;
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
            b.flush(tx).await?;
            pays.flush(tx).await?;
        }
    }
    b.flush(tx).await?;
    pays.flush(tx).await
}
