//! Checklist versions: the current one (the shipped default is published as version 1
//! the first time a visit needs it), publishing a new version (head office), and the
//! version a visit was scored on.

use super::ChecklistRow;
use crate::transaction::run;
use crate::{App, AppError, AppResult, conn};
use domain::Violation;
use domain::permission::{Action, Grant};
use domain::quality_audit::checklist::{Checklist, Checkpoint};
use serde::Deserialize;
use sqlx::AnyConnection;

/// The name the shipped checklist is published under.
pub const DEFAULT_NAME: &str = "服务流程与设施检核表 / Service process and facility checklist";

/// What publishing a version sends.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChecklistPublishInput)]
pub struct PublishInput {
    /// The version's name.
    #[serde(default)]
    #[schema(schema_with = crate::schema::line::<100>, required = true)]
    pub name: String,
    /// The checkpoints in order: at least one, at most 200, codes unique and each
    /// step's checkpoints together (a repeated code or a split step is refused, 409).
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 200)]
    pub checkpoints: Vec<CheckpointInput>,
}

/// One checkpoint as sent.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointInput {
    /// Its step (`appointment`, …, `facility`; a short ASCII code).
    #[serde(default)]
    #[schema(required = true, pattern = "^[A-Za-z0-9_]{1,20}$")]
    pub step: String,
    /// Its code, unique in the checklist.
    #[serde(default)]
    #[schema(required = true, pattern = "^[A-Za-z0-9_]{1,20}$")]
    pub code: String,
    /// What is checked, in Chinese.
    #[serde(default)]
    #[schema(schema_with = crate::schema::line::<200>, required = true)]
    pub text_zh: String,
    /// What is checked, in English.
    #[serde(default)]
    #[schema(schema_with = crate::schema::line::<200>, required = true)]
    pub text_en: String,
}

pub(crate) fn decode(row: &ChecklistRow) -> AppResult<Checklist> {
    let list: Vec<Checkpoint> =
        serde_json::from_str(&row.body).map_err(|e| AppError::Internal(e.to_string()))?;
    Checklist::new(list)
        .map_err(|v| AppError::Internal(format!("stored checklist {}: {}", row.id, v.rule)))
}

/// The newest version on the caller's transaction, publishing the shipped default
/// as version 1 when none exists.
pub(crate) async fn current_or_default(
    tx: &mut AnyConnection,
    now: i64,
) -> AppResult<ChecklistRow> {
    if let Some(row) = store::quality_audit::current_checklist(tx).await? {
        return Ok(row);
    }
    let list = Checklist::default_list();
    let body =
        serde_json::to_string(list.checkpoints()).map_err(|e| AppError::Internal(e.to_string()))?;
    let n = i64::try_from(list.checkpoints().len()).unwrap_or(i64::MAX);
    Ok(store::quality_audit::publish_checklist(tx, DEFAULT_NAME, &body, n, now, 0).await?)
}

/// The checklist a visit is scored on.
pub(crate) async fn of_visit(app: &App, visit: &super::VisitRow) -> AppResult<Checklist> {
    let mut c = conn(app).await?;
    let row = store::quality_audit::checklist(&mut c, visit.checklist_id)
        .await?
        .ok_or(AppError::NotFound)?;
    decode(&row)
}

/// Every published version, newest first, with its checkpoints.
pub async fn versions(app: &App, grant: &Grant) -> AppResult<Vec<(ChecklistRow, Vec<Checkpoint>)>> {
    crate::network::expect(grant, Action::QualityAuditRead)?;
    let mut c = conn(app).await?;
    let rows = store::quality_audit::checklists(&mut c).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let list = decode(&r)?;
        out.push((r, list.checkpoints().to_vec()));
    }
    if out.is_empty() {
        // Nothing published yet: show what the first visit will use.
        let list = Checklist::default_list();
        let n = i64::try_from(list.checkpoints().len()).unwrap_or(i64::MAX);
        let row = ChecklistRow {
            id: 0,
            version: 0,
            name: DEFAULT_NAME.to_string(),
            body: String::new(),
            checkpoints: n,
            published_at: 0,
            published_by: 0,
        };
        out.push((row, list.checkpoints().to_vec()));
    }
    Ok(out)
}

/// Publishes a new version (head office); earlier visits keep theirs.
pub async fn publish(app: &App, grant: &Grant, input: &PublishInput) -> AppResult<ChecklistRow> {
    crate::network::expect(grant, Action::QualityAuditWrite)?;
    let name = match domain::text::clean(&input.name, 100, domain::text::Lines::One) {
        Ok(Some(n)) => n,
        Ok(None) => {
            return Err(AppError::Invalid(
                Violation::new("name", "quality_audit.text_required").into(),
            ));
        }
        Err(e) => {
            let mut v = Violation::from(e);
            v.field = "name".into();
            return Err(AppError::Invalid(v.into()));
        }
    };
    let list = Checklist::new(
        input
            .checkpoints
            .iter()
            .map(|c| Checkpoint {
                step: c.step.trim().to_string(),
                code: c.code.trim().to_string(),
                text_zh: c.text_zh.clone(),
                text_en: c.text_en.clone(),
            })
            .collect(),
    )
    .map_err(|v| {
        // A list that is well formed item by item but repeats a code or splits a
        // step breaks a rule across items, which no schema states: refused.
        if matches!(
            v.rule,
            "quality_audit.code_repeated" | "quality_audit.step_split"
        ) {
            AppError::Refused(v.into())
        } else {
            AppError::Invalid(v.into())
        }
    })?;
    let body =
        serde_json::to_string(list.checkpoints()).map_err(|e| AppError::Internal(e.to_string()))?;
    let n = i64::try_from(list.checkpoints().len()).unwrap_or(i64::MAX);
    let now = app.now_ms();
    let by = grant.principal().id;
    let row = run(app, "quality_audit.publish_checklist", |mut tx| {
        let (name, body) = (name.clone(), body.clone());
        async move {
            // The shipped default is version 1 when nothing was published before.
            current_or_default(&mut tx, now).await?;
            let row =
                store::quality_audit::publish_checklist(&mut tx, &name, &body, n, now, by).await?;
            Ok((tx, row))
        }
    })
    .await?;
    Ok(row)
}
