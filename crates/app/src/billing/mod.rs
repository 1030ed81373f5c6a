//! The electronic bill of a delivered repair order, drawn from its estimate's invoice
//! (approved and done lines, comebacks free, VAT), and its payment: at the desk
//! (cash, card, WeChat, Alipay with their reference) or online through a provider
//! whose signed callback marks it paid exactly once.

pub mod provider;
use self::provider::{Callback, PaymentProvider, SANDBOX, SignatureError, provider};
use crate::input::{Loose, int, opt_text, text};
use crate::network::expect;
use crate::repair_order::load::{Loaded, load, owner_order};
use crate::shared::{
    ORDER_ENTITY, duplicate_as, new_ref, owner_actor, refused_rule as refused, required,
};
use crate::{App, AppError, AppResult, actor, begin, commit, conn};
use domain::estimate::LineItem;
use domain::permission::{Action, Grant};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use store::billing::{BillRow, NewBill, NewPayment, PaymentRow};
use store::event::Actor;
use store::rating::RatingRow;

/// The action that reads bills and their payments.
pub const READ: Action = Action::BillingRead;
/// The action that issues bills and records payments at the desk.
pub const WRITE: Action = Action::BillingWrite;

/// Desk payment methods.
pub const DESK_METHODS: [&str; 4] = ["cash", "card", "wechat", "alipay"];

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
    /// The owner's rating of the order, once given.
    #[schema(value_type = Option<Object>)]
    pub rating: Option<RatingRow>,
}

async fn view_of(c: &mut sqlx::AnyConnection, bill: BillRow) -> AppResult<BillView> {
    let payments = store::billing::payments(c, bill.id).await?;
    let rating = store::rating::get(c, bill.repair_order_id).await?;
    Ok(BillView {
        outstanding_fen: (bill.gross_fen - bill.paid_fen).max(0),
        bill,
        payments,
        rating,
    })
}

/// The bill's lines and totals from the order's invoice.
fn new_bill(l: &Loaded) -> NewBill {
    let invoice = l.estimate.invoice();
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
    NewBill {
        repair_order_id: l.row.id,
        station_id: l.row.station_id,
        customer_id: l.row.customer_id,
        number: format!("INV-{:04}-{:08}", l.row.station_id, l.row.id),
        lines: serde_json::Value::Array(lines),
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
    let mut tx = begin(app).await?;
    let l = load(&mut tx, grant.reach(), order_id).await?;
    if l.row.delivered_at.is_none() {
        return Err(refused("repair_order_id", "bill.not_delivered"));
    }
    if let Ok(existing) = store::billing::by_order_unscoped(&mut tx, order_id).await {
        return view_of(&mut tx, existing).await;
    }
    match insert_bill(&mut tx, now, actor(grant), &l).await? {
        Some(v) => {
            commit(tx).await?;
            Ok(v)
        }
        None => {
            // Issued meanwhile: the same bill.
            drop(tx);
            let mut c = conn(app).await?;
            let bill = store::billing::by_order_unscoped(&mut c, order_id).await?;
            view_of(&mut c, bill).await
        }
    }
}

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
    let l = owner_order(&mut c, token).await?;
    let bill = store::billing::by_order_unscoped(&mut c, l.row.id).await?;
    view_of(&mut c, bill).await
}

/// A payment taken at the desk.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DeskPaymentInput {
    /// `cash`, `card`, `wechat` or `alipay`.
    #[schema(schema_with = crate::schema::desk_method, required = true)]
    pub method: Loose,
    /// Card slip or WeChat/Alipay transaction number; required except for cash.
    #[schema(value_type = Option<String>)]
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
    let mut tx = begin(app).await?;
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
            && store::billing::close(&mut tx, p.id, "cancelled", None, "paid_at_desk", now).await?
        {
            record(&mut tx, now, actor(grant), &bill, "payment_cancelled", &p).await?;
        }
    }
    let p = NewPayment {
        bill_id: bill.id,
        payment_ref: new_ref(),
        method,
        provider: None,
        reference,
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
    commit(tx).await?;
    Ok(row)
}

/// What is still owed on an unpaid bill; a paid bill is refused (`bill.paid`).
fn payable(bill: &BillRow) -> AppResult<i64> {
    let owed = bill.gross_fen - bill.paid_fen;
    if bill.state != "unpaid" || owed <= 0 {
        return Err(refused("bill", "bill.paid"));
    }
    Ok(owed)
}

async fn record(
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

/// Starts an online payment of what is still owed through `provider_code` (only
/// `sandbox` ships). Needs [`WRITE`].
pub async fn start_online(
    app: &App,
    grant: &Grant,
    order_id: i64,
    provider_code: Option<&str>,
) -> AppResult<OnlinePayment> {
    expect(grant, WRITE)?;
    let p = pick_provider(app, provider_code)?;
    let mut tx = begin(app).await?;
    let bill = store::billing::by_order(&mut tx, grant.reach(), order_id).await?;
    let out = start(app, &mut tx, actor(grant), &bill, p.as_ref()).await?;
    commit(tx).await?;
    Ok(out)
}

/// The owner starts an online payment from the transparent-workshop link. An
/// unknown or revoked token, or a bill not yet issued, is [`AppError::NotFound`].
pub async fn owner_start_online(
    app: &App,
    token: &str,
    provider_code: Option<&str>,
) -> AppResult<OnlinePayment> {
    let p = pick_provider(app, provider_code)?;
    let mut tx = begin(app).await?;
    let l = owner_order(&mut tx, token).await?;
    let bill = store::billing::by_order_unscoped(&mut tx, l.row.id).await?;
    let out = start(
        app,
        &mut tx,
        owner_actor(l.row.customer_id),
        &bill,
        p.as_ref(),
    )
    .await?;
    commit(tx).await?;
    Ok(out)
}

fn pick_provider(app: &App, code: Option<&str>) -> AppResult<Box<dyn PaymentProvider>> {
    let code = code
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or(SANDBOX);
    provider(app, code).ok_or_else(|| {
        AppError::Invalid(Violation::new("provider", "payment.provider_unknown").into())
    })
}

async fn start(
    app: &App,
    tx: &mut sqlx::AnyConnection,
    who: Actor<'_>,
    bill: &BillRow,
    p: &dyn PaymentProvider,
) -> AppResult<OnlinePayment> {
    let owed = payable(bill)?;
    let now = app.now_ms();
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
    store::billing::insert_payment(tx, &new, now).await?;
    let row = store::billing::payment_by_ref(tx, &new.payment_ref).await?;
    record(tx, now, who, bill, "payment_started", &row).await?;
    Ok(OnlinePayment {
        pay_url: p.checkout_url(&new.payment_ref),
        payment_ref: new.payment_ref,
        provider: p.code().into(),
        amount_fen: owed,
    })
}

/// What a callback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CallbackOutcome {
    /// Our payment reference.
    pub payment_ref: String,
    /// The payment's state after the callback.
    pub state: String,
    /// Whether this callback changed anything (false for a repeated callback).
    pub changed: bool,
}

/// Handles a provider's callback: the signature (over the raw body) must verify with
/// the named provider's secret and be fresh (a forged signature is refused as
/// `payment.signature_invalid`, an old one as `payment.signature_stale`); the payment
/// must be this provider's and the amount exactly the payment's
/// (`payment.amount_mismatch`). Marks the payment paid (or failed) exactly once: a
/// repeated callback with the same provider reference changes nothing. Nothing is
/// written when a callback is refused.
pub async fn callback(app: &App, signature: &str, body: &str) -> AppResult<CallbackOutcome> {
    let now = app.now_ms();
    // The provider named in the body picks the secret; nothing else is trusted
    // before the signature is verified.
    let named = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("provider")
                .and_then(|p| p.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let p = provider(app, &named)
        .ok_or_else(|| refused("signature", SignatureError::Invalid.rule()))?;
    p.verify(signature, body, now)
        .map_err(|e| refused("signature", e.rule()))?;
    let cb: Callback = serde_json::from_str(body).map_err(|e| {
        AppError::Invalid(
            Violation::new("body", "body.type")
                .with_detail(e.to_string())
                .into(),
        )
    })?;
    let mut v = Violations::new();
    if cb.provider_ref.trim().is_empty() || cb.provider_ref.len() > 64 {
        v.push(Violation::new("provider_ref", "required"));
    }
    if !["paid", "failed"].contains(&cb.status.as_str()) {
        v.push(Violation::new("status", "payment.status"));
    }
    v.into_result()?;
    let mut tx = begin(app).await?;
    let pay = store::billing::payment_by_ref(&mut tx, &cb.payment_ref).await?;
    if pay.provider.as_deref() != Some(p.code()) {
        return Err(refused("provider", "payment.provider_mismatch"));
    }
    if cb.amount_fen != pay.amount_fen {
        return Err(AppError::Refused(
            Violation::new("amount_fen", "payment.amount_mismatch")
                .with_detail(pay.amount_fen.to_string())
                .into(),
        ));
    }
    let same_ref = pay.provider_ref.as_deref() == Some(cb.provider_ref.as_str());
    let unchanged = |state: &str| CallbackOutcome {
        payment_ref: pay.payment_ref.clone(),
        state: state.into(),
        changed: false,
    };
    match (pay.state.as_str(), cb.status.as_str()) {
        ("paid", "paid") | ("failed", "failed") if same_ref => return Ok(unchanged(&pay.state)),
        ("pending", _) => {}
        _ => return Err(refused("payment_ref", "payment.not_pending")),
    }
    let who = Actor {
        role: "provider",
        id: 0,
    };
    let bill = store::billing::get(&mut tx, pay.bill_id).await?;
    let done = if cb.status == "paid" {
        store::billing::settle(&mut tx, pay.id, &cb.provider_ref, now)
            .await
            .map_err(|e| duplicate_as(e, "provider_ref", "payment.provider_ref_used"))?
    } else {
        store::billing::close(
            &mut tx,
            pay.id,
            "failed",
            Some(&cb.provider_ref),
            "provider",
            now,
        )
        .await
        .map_err(|e| duplicate_as(e, "provider_ref", "payment.provider_ref_used"))?
    };
    if !done {
        // A concurrent callback got there first: report what it did.
        drop(tx);
        let mut c = conn(app).await?;
        let now_pay = store::billing::payment_by_ref(&mut c, &cb.payment_ref).await?;
        return if now_pay.provider_ref.as_deref() == Some(cb.provider_ref.as_str()) {
            Ok(unchanged(&now_pay.state))
        } else {
            Err(refused("payment_ref", "payment.not_pending"))
        };
    }
    if cb.status == "paid" {
        store::billing::add_paid(&mut tx, bill.id, pay.amount_fen, now)
            .await
            .map_err(|e| duplicate_as(e, "bill", "bill.paid"))?;
    }
    let row = store::billing::payment_by_ref(&mut tx, &cb.payment_ref).await?;
    let kind = if cb.status == "paid" {
        "payment_recorded"
    } else {
        "payment_failed"
    };
    record(&mut tx, now, who, &bill, kind, &row).await?;
    commit(tx).await?;
    Ok(CallbackOutcome {
        payment_ref: row.payment_ref,
        state: row.state,
        changed: true,
    })
}

/// What the sandbox checkout page shows.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxCheckout {
    /// Our payment reference.
    pub payment_ref: String,
    /// The bill's number.
    pub bill_number: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// The payment's state.
    pub state: String,
}

async fn sandbox_payment(c: &mut sqlx::AnyConnection, payment_ref: &str) -> AppResult<PaymentRow> {
    if payment_ref.len() < 32 {
        return Err(AppError::NotFound);
    }
    let p = store::billing::payment_by_ref(c, payment_ref).await?;
    if p.provider.as_deref() != Some(SANDBOX) {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

/// The sandbox provider's checkout page data for a payment (the reference is the
/// capability, as with a real provider's checkout URL).
pub async fn sandbox_checkout(app: &App, payment_ref: &str) -> AppResult<SandboxCheckout> {
    if !app.settings.online_payment() {
        return Err(AppError::NotFound);
    }
    let mut c = conn(app).await?;
    let p = sandbox_payment(&mut c, payment_ref).await?;
    let bill = store::billing::get(&mut c, p.bill_id).await?;
    Ok(SandboxCheckout {
        payment_ref: p.payment_ref,
        bill_number: bill.number,
        amount_fen: p.amount_fen,
        state: p.state,
    })
}

/// The callback the sandbox provider sends when the payer presses "pay"
/// (`pay = true`) or "fail": a new provider reference, the payment's amount, signed
/// now with the sandbox secret. Refused when the payment is no longer pending.
pub async fn sandbox_submit(
    app: &App,
    payment_ref: &str,
    pay: bool,
) -> AppResult<provider::SignedCallback> {
    let mut c = conn(app).await?;
    let p = sandbox_payment(&mut c, payment_ref).await?;
    if p.state != "pending" {
        return Err(refused("payment_ref", "payment.not_pending"));
    }
    let cb = Callback {
        provider: SANDBOX.into(),
        payment_ref: p.payment_ref,
        provider_ref: format!("SBX-{}", &new_ref()[..24]),
        amount_fen: p.amount_fen,
        status: if pay { "paid" } else { "failed" }.into(),
    };
    provider::Sandbox::for_app(app)
        .ok_or(AppError::NotFound)?
        .sign(&cb, app.now_ms())
}
