//! The electronic bill of a delivered repair order, drawn from its estimate's invoice
//! (approved and done lines, comebacks free, VAT), and its payment: at the desk
//! (cash, card, WeChat, Alipay with their reference) or online through a provider
//! whose signed callback marks it paid exactly once.

pub mod alipay;
pub mod alipay_api;
pub mod configured;
pub mod nightly;
pub mod notice;
pub mod notify;
mod open;
pub mod provider;
pub mod provider_refund;
pub mod provider_sandbox;
pub mod query;
pub mod reconciliation;
pub mod refund;
pub mod sandbox;
pub mod settlement;
pub mod statement;
pub mod watch;
pub mod wechat;
pub mod wechat_api;
use self::configured::provider;
pub use self::notice::{CallbackOutcome, NoticeFilterInput, NoticePage, callback, notices};
pub use self::open::Payer;
use self::provider::{PaymentProvider, SANDBOX};
pub use self::refund::{REFUND, RefundInput, RefundLineInput, refund};
pub use self::sandbox::{
    SandboxCheckout, sandbox_checkout, sandbox_notice, sandbox_notice_again, sandbox_submit,
};
use crate::input::{Loose, int, opt_text, text};
use crate::network::expect;
use crate::repair_order::load::{Loaded, load, owner_order};
use crate::shared::{
    ORDER_ENTITY, duplicate_as, new_ref, owner_actor, refused_rule as refused, required,
};
use crate::{App, AppError, AppResult, actor, conn};
use domain::estimate::{Invoice, LineItem};
use domain::permission::{Action, Grant};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
pub use store::billing::refund::RefundRow;
use store::billing::{BillRow, NewBill, NewPayment, PaymentRow};
use store::event::Actor;
use store::rating::RatingRow;

/// The action that reads bills and their payments.
pub const READ: Action = Action::BillingRead;
/// The action that issues bills and records payments at the desk.
pub const WRITE: Action = Action::BillingWrite;

/// Desk payment methods.
pub const DESK_METHODS: [&str; 4] = ["cash", "card", "wechat", "alipay"];

/// The schema of a desk payment method: one of [`DESK_METHODS`].
fn desk_method_schema() -> utoipa::openapi::Object {
    crate::schema::code_list(&DESK_METHODS)
}

/// A bill with its payments and what is still owed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BillView {
    /// The bill.
    #[schema(value_type = Object)]
    pub bill: BillRow,
    /// Its payments, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub payments: Vec<PaymentRow>,
    /// Still owed, fen.
    pub outstanding_fen: i64,
    /// Its refunds, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub refunds: Vec<RefundRow>,
    /// The owner's rating of the order, once given.
    #[schema(value_type = Option<Object>)]
    pub rating: Option<RatingRow>,
}

async fn view_of(c: &mut sqlx::AnyConnection, bill: BillRow) -> AppResult<BillView> {
    let payments = store::billing::payments(c, bill.id).await?;
    // A phone or ID number typed into the comment is masked on every view of the bill
    // (order page, API, the owner's link, which may be forwarded): issue 21, finding 4.
    let rating = store::rating::get(c, bill.repair_order_id)
        .await?
        .map(|mut r| {
            r.comment = r
                .comment
                .as_deref()
                .map(domain::privacy::text::mask_numbers);
            r
        });
    let refunds = store::billing::refund::of_bill(c, bill.id).await?;
    Ok(BillView {
        refunds,
        outstanding_fen: (bill.gross_fen - bill.paid_fen).max(0),
        bill,
        payments,
        rating,
    })
}

/// The bill's lines as stored (JSON) from an invoice: what the desk bill and the
/// network simulator both write.
pub(crate) fn invoice_lines(invoice: &Invoice) -> serde_json::Value {
    let lines: Vec<serde_json::Value> = invoice
        .lines
        .iter()
        .map(|line| {
            let (kind, code, qty, unit) = match &line.item {
                LineItem::Labour {
                    operation_code,
                    hundredths,
                    hourly_rate,
                } => ("labour", operation_code, hundredths, hourly_rate),
                LineItem::Part {
                    part_number,
                    quantity_hundredths,
                    unit_price,
                } => ("part", part_number, quantity_hundredths, unit_price),
            };
            serde_json::json!({
                "line_no": line.no, "kind": kind, "code": code, "quantity_hundredths": qty,
                "unit_price_fen": unit.fen(), "amount_fen": line.charge().fen(), "comeback": line.comeback,
            })
        })
        .collect();
    serde_json::Value::Array(lines)
}

/// The bill's lines and totals from the order's invoice.
fn new_bill(l: &Loaded) -> NewBill {
    let invoice = l.estimate.invoice();
    let lines = invoice_lines(&invoice);
    NewBill {
        repair_order_id: l.row.id,
        station_id: l.row.station_id,
        customer_id: l.row.customer_id,
        number: format!("INV-{:04}-{:08}", l.row.station_id, l.row.id),
        lines,
        vat_bp: l.estimate.vat_bp(),
        net_fen: invoice.totals.net.fen(),
        vat_fen: invoice.totals.vat.fen(),
        gross_fen: invoice.totals.gross.fen(),
    }
}

/// The electronic bill of a delivered order: delivery issues it (see
/// [`issue_at_delivery`]), so this returns that bill, and issues one only for an
/// order delivered before bills were issued at delivery. Refused before delivery, as
/// `bill.not_delivered`. A bill of nothing (a free comeback) is issued paid.
/// Needs [`WRITE`].
pub async fn issue(app: &App, grant: &Grant, order_id: i64) -> AppResult<BillView> {
    expect(grant, WRITE)?;
    let now = app.now_ms();
    let issued = crate::transaction::run(app, "billing.issue", move |mut tx| async move {
        let l = load(&mut tx, grant.reach(), order_id).await?;
        if l.row.delivered_at.is_none() {
            return Err(refused("repair_order_id", "bill.not_delivered"));
        }
        if let Ok(existing) = store::billing::by_order_unscoped(&mut tx, order_id).await {
            let v = view_of(&mut tx, existing).await?;
            return Ok((tx, v));
        }
        match insert_bill(&mut tx, now, actor(grant), &l).await? {
            Some(v) => Ok((tx, v)),
            // The transaction is spoilt: roll it back and read the bill made meanwhile.
            None => Err(refused("repair_order_id", ISSUED_MEANWHILE)),
        }
    })
    .await;
    match issued {
        Err(AppError::Refused(v)) if v.0.first().is_some_and(|x| x.rule == ISSUED_MEANWHILE) => {
            // Issued meanwhile: the same bill.
            let mut c = conn(app).await?;
            let bill = store::billing::by_order_unscoped(&mut c, order_id).await?;
            view_of(&mut c, bill).await
        }
        other => other,
    }
}

/// The rule of a bill inserted by another request meanwhile (never shown: the
/// caller gets that bill).
const ISSUED_MEANWHILE: &str = "bill.issued_meanwhile";

/// Inserts the bill of a delivered, not yet billed order and records `bill_issued`;
/// `None` when a bill of the order was inserted meanwhile (the transaction is then
/// spoilt and must be dropped).
async fn insert_bill(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    who: Actor<'_>,
    l: &Loaded,
) -> AppResult<Option<BillView>> {
    let b = new_bill(l);
    let id = match store::billing::insert(tx, &b, now).await {
        Ok(id) => id,
        Err(store::StoreError::Duplicate(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    store::event::record(
        tx,
        now,
        who,
        ORDER_ENTITY,
        l.row.id,
        "bill_issued",
        &serde_json::json!({"bill_id": id, "number": b.number, "net_fen": b.net_fen, "vat_fen": b.vat_fen, "gross_fen": b.gross_fen}),
        None,
    )
    .await?;
    let bill = store::billing::get(tx, id).await?;
    view_of(tx, bill).await.map(Some)
}

/// Issues the bill as the car is handed back, inside the delivery's own transaction,
/// so a delivered order always has its bill. `l` is the order as loaded for the
/// delivery (its lines are final: repair is complete).
pub(crate) async fn issue_at_delivery(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    who: Actor<'_>,
    l: &Loaded,
) -> AppResult<()> {
    match insert_bill(tx, now, who, l).await? {
        Some(_) => Ok(()),
        // Only a second delivery of the same order could have billed it, and the
        // order's version guard refuses that one: the transaction is spoilt anyway.
        None => Err(store::StoreError::Conflict("repair_order.changed_meanwhile").into()),
    }
}

/// The bill of an order within reach (not found until issued). Needs [`READ`].
pub async fn view(app: &App, grant: &Grant, order_id: i64) -> AppResult<BillView> {
    expect(grant, READ)?;
    let mut c = conn(app).await?;
    let bill = store::billing::by_order(&mut c, grant.reach(), order_id).await?;
    view_of(&mut c, bill).await
}

/// The bill the owner sees from the transparent-workshop link. An unknown or revoked
/// token, or a bill not yet issued, is [`AppError::NotFound`].
pub async fn owner_view(app: &App, token: &str) -> AppResult<BillView> {
    let mut c = conn(app).await?;
    let l = owner_order(app, &mut c, token).await?;
    let bill = store::billing::by_order_unscoped(&mut c, l.row.id).await?;
    view_of(&mut c, bill).await
}

/// A payment taken at the desk.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DeskPaymentInput {
    /// `cash`, `card`, `wechat` or `alipay`.
    #[schema(schema_with = desk_method_schema, required = true)]
    pub method: Loose,
    /// Card slip or WeChat/Alipay transaction number; required except for cash.
    #[schema(schema_with = crate::schema::opt_line::<64>)]
    pub reference: Loose,
    /// Amount taken, fen: must be what is still owed.
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub amount_fen: Loose,
}

/// Records a payment taken at the desk. The amount must be exactly what is still
/// owed (`payment.amount_mismatch`, naming the amount owed); pending online payments
/// of the bill are cancelled. Needs [`WRITE`].
pub async fn pay_at_desk(
    app: &App,
    grant: &Grant,
    order_id: i64,
    input: &DeskPaymentInput,
) -> AppResult<PaymentRow> {
    expect(grant, WRITE)?;
    let mut v = Violations::new();
    let method = text(&mut v, "method", &input.method, 20);
    if let Some(m) = &method
        && !DESK_METHODS.contains(&m.as_str())
    {
        v.push(Violation::new("method", "payment.method").with_detail(DESK_METHODS.join(", ")));
    }
    let reference = opt_text(&mut v, "reference", &input.reference, 64);
    if let (Some(m), Some(None)) = (&method, &reference)
        && m != "cash"
    {
        v.push(Violation::new("reference", "required"));
    }
    let amount = int(&mut v, "amount_fen", &input.amount_fen, 1, i64::MAX);
    v.into_result()?;
    let (method, reference, amount) = (required(method)?, required(reference)?, required(amount)?);
    let now = app.now_ms();
    let (method, reference) = (&method, &reference);
    crate::transaction::run(app, "billing.pay_at_desk", move |mut tx| async move {
        let bill = store::billing::by_order(&mut tx, grant.reach(), order_id).await?;
        let owed = payable(&bill)?;
        if amount != owed {
            return Err(AppError::Refused(
                Violation::new("amount_fen", "payment.amount_mismatch")
                    .with_detail(owed.to_string())
                    .into(),
            ));
        }
        for p in store::billing::payments(&mut tx, bill.id).await? {
            if p.state == "pending"
                && store::billing::close(&mut tx, p.id, "cancelled", None, "paid_at_desk", now)
                    .await?
            {
                record(&mut tx, now, actor(grant), &bill, "payment_cancelled", &p).await?;
            }
        }
        let p = NewPayment {
            bill_id: bill.id,
            payment_ref: new_ref(),
            method: method.clone(),
            provider: None,
            reference: reference.clone(),
            amount_fen: amount,
            state: "paid".into(),
            created_by_role: grant.principal().role.code().into(),
            created_by_id: grant.principal().id,
        };
        store::billing::insert_payment(&mut tx, &p, now).await?;
        store::billing::add_paid(&mut tx, bill.id, amount, now)
            .await
            .map_err(|e| duplicate_as(e, "bill", "bill.paid"))?;
        let row = store::billing::payment_by_ref(&mut tx, &p.payment_ref).await?;
        record(&mut tx, now, actor(grant), &bill, "payment_recorded", &row).await?;
        Ok((tx, row))
    })
    .await
}

/// What is still owed on an unpaid bill; a paid bill is refused (`bill.paid`).
fn payable(bill: &BillRow) -> AppResult<i64> {
    let owed = bill.gross_fen - bill.paid_fen;
    if bill.state != "unpaid" || owed <= 0 {
        return Err(refused("bill", "bill.paid"));
    }
    Ok(owed)
}

/// Records a payment's state change on its order's timeline.
pub(crate) async fn record(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    who: Actor<'_>,
    bill: &BillRow,
    kind: &str,
    p: &PaymentRow,
) -> AppResult<()> {
    store::event::record(
        tx,
        now,
        who,
        ORDER_ENTITY,
        bill.repair_order_id,
        kind,
        &serde_json::json!({
            "bill_id": bill.id, "payment_id": p.id, "payment_ref": p.payment_ref, "method": p.method,
            "provider": p.provider, "provider_ref": p.provider_ref, "reference": p.reference, "amount_fen": p.amount_fen,
        }),
        None,
    )
    .await?;
    Ok(())
}

/// An online payment started: where the payer goes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OnlinePayment {
    /// Our payment reference (256 random bits).
    pub payment_ref: String,
    /// Provider code.
    pub provider: String,
    /// Amount to pay, fen.
    pub amount_fen: i64,
    /// The provider's checkout URL (the sandbox's is on this server).
    pub pay_url: String,
}

/// How many times a start is tried when simultaneous starts race for the bill's one
/// open provider order (each retry finds the winner's order and reuses it).
const START_ATTEMPTS: usize = 5;

/// Starts an online payment of what is still owed through `provider_code` (only
/// `sandbox` ships). A bill has at most one open provider order: a start reuses the
/// pending one while it is still valid (same provider, same amount), and otherwise
/// closes it (state `closed`, event `payment_closed`) before opening a new one, so
/// a payer never holds two live pay buttons. Needs [`WRITE`].
pub async fn start_online(
    app: &App,
    grant: &Grant,
    order_id: i64,
    provider_code: Option<&str>,
) -> AppResult<OnlinePayment> {
    expect(grant, WRITE)?;
    let p = pick_provider(app, provider_code)?;
    let p = &p;
    let out = start_attempts(|| {
        crate::transaction::run(app, "billing.start_online", move |mut tx| async move {
            let bill = store::billing::by_order(&mut tx, grant.reach(), order_id).await?;
            let out = start(app, &mut tx, actor(grant), &bill, p.as_ref()).await?;
            Ok((tx, out.ok_or_else(changed_meanwhile)?))
        })
    })
    .await?;
    at_provider(app, out, &Payer::DESK).await
}

/// Closes at their provider the orders the committed start replaced, then asks
/// the provider to open the start's order and gives the payer its link.
async fn at_provider(app: &App, started: Started, payer: &Payer<'_>) -> AppResult<OnlinePayment> {
    let Started { mut out, replaced } = started;
    open::close_replaced(app, &replaced).await;
    if let Some(url) = open::pay_url(app, &out.provider, &out.payment_ref, payer).await? {
        out.pay_url = url;
    }
    Ok(out)
}

/// The owner starts an online payment from the transparent-workshop link (one open
/// provider order per bill, as [`start_online`]). An unknown, revoked or expired
/// token, or a bill not yet issued, is [`AppError::NotFound`].
pub async fn owner_start_online(
    app: &App,
    token: &str,
    provider_code: Option<&str>,
) -> AppResult<OnlinePayment> {
    owner_start_online_from(app, token, provider_code, &Payer::DESK).await
}

/// [`owner_start_online`] from the owner's own browser: the order's shape suits
/// their device (WeChat Pay Native or JSAPI; Alipay's phone or computer cashier,
/// which sends them back to `payer.back`).
pub async fn owner_start_online_from(
    app: &App,
    token: &str,
    provider_code: Option<&str>,
    payer: &Payer<'_>,
) -> AppResult<OnlinePayment> {
    let p = pick_provider(app, provider_code)?;
    let p = &p;
    let out = start_attempts(|| {
        crate::transaction::run(
            app,
            "billing.owner_start_online",
            move |mut tx| async move {
                let l = owner_order(app, &mut tx, token).await?;
                let bill = store::billing::by_order_unscoped(&mut tx, l.row.id).await?;
                let who = owner_actor(l.row.customer_id);
                let out = start(app, &mut tx, who, &bill, p.as_ref()).await?;
                Ok((tx, out.ok_or_else(changed_meanwhile)?))
            },
        )
    })
    .await?;
    at_provider(app, out, payer).await
}

/// The refusal when another start took the bill's open order meanwhile (the
/// transaction is rolled back and, up to [`START_ATTEMPTS`] times, started again).
fn changed_meanwhile() -> AppError {
    store::StoreError::Conflict("bill.changed_meanwhile").into()
}

/// Runs a start of an online payment again while another start raced it.
async fn start_attempts<F, Fut>(mut attempt: F) -> AppResult<Started>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = AppResult<Started>>,
{
    let mut last = changed_meanwhile();
    for _ in 0..START_ATTEMPTS {
        match attempt().await {
            Err(AppError::Refused(v))
                if v.0
                    .first()
                    .is_some_and(|x| x.rule == "bill.changed_meanwhile") =>
            {
                last = AppError::Refused(v);
            }
            other => return other,
        }
    }
    Err(last)
}

/// The provider named, or the first this server has of the sandbox, WeChat Pay
/// and Alipay.
fn pick_provider(app: &App, code: Option<&str>) -> AppResult<Box<dyn PaymentProvider>> {
    let s = &app.settings;
    let default = if s.payment_sandbox.is_some() {
        SANDBOX
    } else if s.wechat.is_some() {
        wechat::WECHAT
    } else if s.alipay.is_some() {
        alipay::ALIPAY
    } else {
        SANDBOX
    };
    let code = code
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or(default);
    provider(app, code).ok_or_else(|| {
        AppError::Invalid(Violation::new("provider", "payment.provider_unknown").into())
    })
}

/// Opens (or reuses) the bill's one provider order. `None` when a simultaneous start
/// opened one first (the unique index on pending online payments refused ours): the
/// transaction is spoilt, and the caller tries again, then reusing that order.
async fn start(
    app: &App,
    tx: &mut sqlx::AnyConnection,
    who: Actor<'_>,
    bill: &BillRow,
    p: &dyn PaymentProvider,
) -> AppResult<Option<Started>> {
    let owed = payable(bill)?;
    let now = app.now_ms();
    let started = |payment_ref: String| OnlinePayment {
        pay_url: p.checkout_url(&payment_ref),
        payment_ref,
        provider: p.code().into(),
        amount_fen: owed,
    };
    let mut replaced = Vec::new();
    for open in store::billing::payments(tx, bill.id).await? {
        if open.state != "pending" || open.method != "online" {
            continue;
        }
        if open.provider.as_deref() == Some(p.code()) && open.amount_fen == owed {
            return Ok(Some(Started {
                out: started(open.payment_ref),
                replaced,
            }));
        }
        if store::billing::close(tx, open.id, "closed", None, "replaced", now).await? {
            record(tx, now, who, bill, "payment_closed", &open).await?;
            if matches!(
                open.provider.as_deref(),
                Some(wechat::WECHAT | alipay::ALIPAY)
            ) {
                watch::arm_close(tx, &open, now).await?;
                replaced.push(open.payment_ref.clone());
            }
        }
    }
    let new = NewPayment {
        bill_id: bill.id,
        payment_ref: new_ref(),
        method: "online".into(),
        provider: Some(p.code().into()),
        reference: None,
        amount_fen: owed,
        state: "pending".into(),
        created_by_role: who.role.into(),
        created_by_id: who.id,
    };
    match store::billing::insert_payment(tx, &new, now).await {
        Ok(_) => {}
        Err(store::StoreError::Duplicate(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let row = store::billing::payment_by_ref(tx, &new.payment_ref).await?;
    record(tx, now, who, bill, "payment_started", &row).await?;
    watch::arm(app, tx, &row, now).await?;
    Ok(Some(Started {
        out: started(new.payment_ref),
        replaced,
    }))
}

/// A committed start: the order the payer is given, and the provider orders it
/// replaced (closed here; still to be closed at their provider).
struct Started {
    out: OnlinePayment,
    replaced: Vec<String>,
}
