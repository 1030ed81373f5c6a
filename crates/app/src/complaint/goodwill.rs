//! Goodwill approval limits per role as a head-office setting (SPEC §6): the figures
//! of [`GoodwillLimits::default`] until head office sets its own. Stored in the
//! settings table under [`SETTING_KEY`]; every change is an event with before and after.

use crate::{App, AppError, AppResult, actor, conn};
use domain::complaint::goodwill::GoodwillLimits;
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// The settings key.
pub const SETTING_KEY: &str = "complaint.goodwill_limits";

/// The most a limit may be: one million yuan.
pub const MAX_LIMIT_FEN: i64 = 100_000_000;

/// The limits as set (fen), each at most [`MAX_LIMIT_FEN`], rising with the role:
/// customer relations ≤ station manager ≤ regional manager. The administrator has none.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoodwillLimitsInput {
    /// Customer relations at a station, fen.
    #[schema(minimum = 0, maximum = 100000000)]
    pub customer_relations_fen: i64,
    /// The station manager, fen.
    #[schema(minimum = 0, maximum = 100000000)]
    pub station_manager_fen: i64,
    /// The regional manager, fen.
    #[schema(minimum = 0, maximum = 100000000)]
    pub regional_manager_fen: i64,
}

/// The limits in force, with whether they are still the defaults.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct GoodwillLimitsView {
    /// Customer relations at a station, fen.
    pub customer_relations_fen: i64,
    /// The station manager, fen.
    pub station_manager_fen: i64,
    /// The regional manager, fen.
    pub regional_manager_fen: i64,
    /// Whether head office has not set its own yet.
    pub is_default: bool,
}

fn view(l: GoodwillLimits, is_default: bool) -> GoodwillLimitsView {
    GoodwillLimitsView {
        customer_relations_fen: l.customer_relations_fen,
        station_manager_fen: l.station_manager_fen,
        regional_manager_fen: l.regional_manager_fen,
        is_default,
    }
}

/// The limits in force on `c`, and whether they are the defaults.
pub(crate) async fn load(c: &mut AnyConnection) -> AppResult<(GoodwillLimits, bool)> {
    match store::settings::get(c, SETTING_KEY).await? {
        Some(s) => Ok((crate::shared::rebuild(s.value)?, false)),
        None => Ok((GoodwillLimits::default(), true)),
    }
}

/// Checks the figures: each within 0..=[`MAX_LIMIT_FEN`], rising with the role.
pub fn parse(input: &GoodwillLimitsInput) -> Result<GoodwillLimits, Violations> {
    let mut v = Violations::new();
    for (field, value) in [
        ("customer_relations_fen", input.customer_relations_fen),
        ("station_manager_fen", input.station_manager_fen),
        ("regional_manager_fen", input.regional_manager_fen),
    ] {
        if !(0..=MAX_LIMIT_FEN).contains(&value) {
            v.push(
                Violation::new(field, "complaint.goodwill_limit_range")
                    .with_detail(domain::money::Money::from_fen(MAX_LIMIT_FEN).to_string()),
            );
        }
    }
    if v.is_empty() && input.customer_relations_fen > input.station_manager_fen {
        v.push(Violation::new(
            "customer_relations_fen",
            "complaint.goodwill_limits_order",
        ));
    }
    if v.is_empty() && input.station_manager_fen > input.regional_manager_fen {
        v.push(Violation::new(
            "station_manager_fen",
            "complaint.goodwill_limits_order",
        ));
    }
    v.into_result()?;
    Ok(GoodwillLimits {
        customer_relations_fen: input.customer_relations_fen,
        station_manager_fen: input.station_manager_fen,
        regional_manager_fen: input.regional_manager_fen,
    })
}

/// The limits in force. Needs `ComplaintRead`.
pub async fn limits(app: &App, grant: &Grant) -> AppResult<GoodwillLimitsView> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    let mut c = conn(app).await?;
    let (l, is_default) = load(&mut c).await?;
    Ok(view(l, is_default))
}

/// Sets the limits (head office). Needs `ComplaintPolicy` at head office.
pub async fn set_limits(
    app: &App,
    grant: &Grant,
    input: &GoodwillLimitsInput,
) -> AppResult<GoodwillLimitsView> {
    crate::network::expect(grant, Action::ComplaintPolicy)?;
    if *grant.reach() != Reach::All {
        return Err(AppError::Forbidden);
    }
    let l = parse(input)?;
    let now = app.now_ms();
    let by = grant.principal().id;
    crate::transaction::run(app, "complaint.goodwill_limits", move |mut tx| async move {
        let (before, _) = load(&mut tx).await?;
        let value = serde_json::to_value(l).map_err(|e| AppError::Internal(e.to_string()))?;
        store::settings::put(&mut tx, SETTING_KEY, &value, now, Some(by)).await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "complaint_policy",
            0,
            "goodwill_limits_changed",
            &serde_json::json!({"before": before, "after": value}),
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await?;
    Ok(view(l, false))
}
