//! The address reveal of a pick-up: its driver and the advisor who scheduled it see
//! the address whole for a purpose from the list, for a limited time, with one audit
//! row; anyone else, or a request without purpose, is refused and the attempt audited.

use super::{ENTITY, READ};
use crate::customer::{RevealInput, Revealed};
use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::Violations;
use domain::permission::Grant;
use domain::privacy::reveal::{RevealRequest, VISIBLE_MS};
use domain::privacy::{Field, Purpose, Visibility, see};

async fn refused(app: &App, grant: &Grant, id: i64, reason: &str) -> AppResult<()> {
    let row = store::audit::AuditRow {
        action: "reveal_refused",
        entity: ENTITY,
        entity_id: id,
        field: Field::PickupAddress.code(),
        reason,
        row_count: None,
    };
    crate::transaction::run(app, "pickup.reveal_refused", move |mut tx| async move {
        store::audit::insert(&mut tx, app.now_ms(), actor(grant), row).await?;
        Ok((tx, ()))
    })
    .await
}

/// Shows a pick-up's address whole to its driver or scheduling advisor. Needs
/// `PickupRead` within reach and the assignment.
pub async fn reveal_address(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &RevealInput,
) -> AppResult<Revealed> {
    expect(grant, READ)?;
    let field = if input.field.trim().is_empty() {
        Field::PickupAddress.code()
    } else {
        input.field.as_str()
    };
    let req =
        match RevealRequest::parse(field, &input.purpose, &input.note, &[Field::PickupAddress]) {
            Ok(r) => r,
            Err(v) => {
                refused(app, grant, id, "").await?;
                return Err(AppError::Invalid(Violations(v)));
            }
        };
    let mut c = conn(app).await?;
    let row = store::pickup::get(&mut c, grant.reach(), id).await?;
    let p = grant.principal();
    let rel = crate::privacy::relation_to_pickup(&mut c, p, &row).await?;
    drop(c);
    if see(p.role, Field::PickupAddress, rel, Purpose::Reveal) != Visibility::Whole {
        refused(app, grant, id, &req.reason()).await?;
        return Err(AppError::Forbidden);
    }
    let now = app.now_ms();
    let reason = req.reason();
    crate::transaction::run(app, "pickup.reveal_address", |mut tx| {
        let reason = &reason;
        async move {
            store::audit::write(
                &mut tx,
                now,
                actor(grant),
                "reveal",
                ENTITY,
                id,
                Field::PickupAddress.code(),
                reason,
            )
            .await?;
            Ok((tx, ()))
        }
    })
    .await?;
    Ok(Revealed {
        field: Field::PickupAddress.code().to_string(),
        value: Some(row.address),
        visible_until: now + VISIBLE_MS,
    })
}
