//! Stage standards (SPEC §5): stages, standard times and checkpoints as a versioned
//! standard head office publishes. Version 1 is built in
//! ([`domain::repair_order::default_standard`]); each later version is stored. A new
//! order runs under the current standard and keeps that version for its whole life.

use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::Violation;
use domain::permission::{Action, Grant, Reach};
use domain::repair_order::{StageStandard, default_standard};
use store::StoreError;
use store::stage_standard::StageStandardRow;

/// The stored rule for a version that is not the next one.
const VERSION_RULE: &str = "stage_standard.version";

fn parse(row: &StageStandardRow) -> AppResult<StageStandard> {
    let standard: StageStandard = serde_json::from_str(&row.body)
        .map_err(|e| AppError::Internal(format!("stored stage standard {}: {e}", row.version)))?;
    if i64::from(standard.version) != row.version {
        return Err(AppError::Internal(format!(
            "stored stage standard {} says version {}",
            row.version, standard.version
        )));
    }
    Ok(standard)
}

/// The standard new orders run under: the latest published, else the built-in version 1.
pub async fn current(c: &mut sqlx::AnyConnection) -> AppResult<StageStandard> {
    match store::stage_standard::latest(c).await? {
        Some(row) => parse(&row),
        None => Ok(default_standard()),
    }
}

/// The standard with `version`: the built-in one for version 1, else the stored one.
/// Version 1 is never stored (the first publication is version 2, see
/// [`publish`]), so orders under it — most of them — are loaded without a query.
pub async fn by_version(c: &mut sqlx::AnyConnection, version: i64) -> AppResult<StageStandard> {
    if version == 1 {
        return Ok(default_standard());
    }
    match store::stage_standard::get(c, version).await? {
        Some(row) => parse(&row),
        None => Err(AppError::Internal(format!(
            "stage standard version {version} unknown"
        ))),
    }
}

/// The current standard, for head office and the stations. Needs `NetworkRead`.
pub async fn read_current(app: &App, grant: &Grant) -> AppResult<StageStandard> {
    expect(grant, Action::NetworkRead)?;
    let mut c = conn(app).await?;
    current(&mut c).await
}

/// Publishes `standard` as the next version (exactly the current version plus one).
/// Needs `NetworkWrite` with head-office reach. Orders already open keep their version.
pub async fn publish(
    app: &App,
    grant: &Grant,
    standard: &StageStandard,
) -> AppResult<StageStandard> {
    expect(grant, Action::NetworkWrite)?;
    if *grant.reach() != Reach::All {
        return Err(AppError::Forbidden);
    }
    standard
        .validate()
        .map_err(|e| match duplicate_checkpoint(standard) {
            // One code across every stage is a rule no JSON Schema can state; the API
            // document declares this refusal (409) for it.
            Some(code) => AppError::Refused(
                Violation::new("stages", "repair_order.standard_invalid")
                    .with_detail(format!("checkpoint {code} listed twice"))
                    .into(),
            ),
            None => AppError::Invalid(Violation::from(e).into()),
        })?;
    let now = app.now_ms();
    crate::transaction::run(app, "stage_standard.publish", move |mut tx| async move {
        let current = current(&mut tx).await?;
        let next = u64::from(current.version) + 1;
        if u64::from(standard.version) != next {
            return Err(AppError::Refused(
                Violation::new("version", VERSION_RULE)
                    .with_detail(next.to_string())
                    .into(),
            ));
        }
        let body =
            serde_json::to_string(standard).map_err(|e| AppError::Internal(e.to_string()))?;
        let who = actor(grant);
        let row = StageStandardRow {
            version: i64::from(standard.version),
            body,
            published_at: now,
            published_by: who.id,
        };
        store::stage_standard::insert(&mut tx, &row)
            .await
            .map_err(|e| match e {
                // Another publisher took this version between the check and the insert.
                StoreError::Duplicate(_) => AppError::Refused(
                    Violation::new("version", VERSION_RULE)
                        .with_detail(next.to_string())
                        .into(),
                ),
                other => AppError::from(other),
            })?;
        store::event::record(
            &mut tx,
            now,
            who,
            "stage_standard",
            row.version,
            "published",
            &serde_json::json!({"version": standard.version}),
            None,
        )
        .await?;
        Ok((tx, standard.clone()))
    })
    .await
}

/// The first checkpoint code listed twice across the stages of `standard`, if any.
fn duplicate_checkpoint(standard: &StageStandard) -> Option<&str> {
    let mut seen = std::collections::BTreeSet::new();
    standard
        .stages
        .iter()
        .flat_map(|s| &s.checkpoints)
        .map(|c| c.code.as_str())
        .find(|code| !seen.insert(*code))
}
