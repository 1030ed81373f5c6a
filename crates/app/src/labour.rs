//! The labour-operation catalogue: head office keeps it; bookings, estimates and
//! assignments read standard hours and the certification needed from it.

use crate::network::expect;
use crate::shared::refused;
use crate::{App, AppResult, actor, conn};
use domain::certification::{Qualification, Requirement, TechnicianGrade};
use domain::guarantee::main_part::System;
use domain::labour::LabourOperation;
use domain::permission::{Action, Grant};
use domain::{Violation, Violations};
pub use store::labour::LabourOperationRow;

/// Creates or changes a catalogue entry (by code); returns its id. Needs `NetworkWrite`.
pub async fn upsert_operation(app: &App, grant: &Grant, op: &LabourOperation) -> AppResult<i64> {
    expect(grant, Action::NetworkWrite)?;
    // Re-check through the domain constructor so a hand-built value cannot slip by.
    let op = LabourOperation::new(
        &op.code,
        &op.name_zh,
        &op.name_en,
        op.standard_hundredths,
        op.requirement,
    )
    .map_err(|e| crate::AppError::Invalid(Violations::from(Violation::from(e))))?
    .with_major_part(op.major_part);
    let now = app.now_ms();
    let op = &op;
    crate::transaction::run(app, "labour.upsert_operation", move |mut tx| async move {
        let row = LabourOperationRow {
            id: 0,
            code: op.code.clone(),
            name_zh: op.name_zh.clone(),
            name_en: op.name_en.clone(),
            standard_hundredths: op.standard_hundredths,
            min_grade: op.requirement.min_grade.map(TechnicianGrade::level),
            qualification: op.requirement.qualification.map(|q| q.code().to_string()),
            major_part: op.major_part.map(|p| p.code().to_string()),
        };
        let id = store::labour::upsert(&mut tx, &row, now).await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "labour_operation",
            id,
            "saved",
            &serde_json::json!({
                "code": op.code, "hundredths": op.standard_hundredths,
                "major_part": op.major_part.map(System::code),
            }),
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await
}

/// The whole catalogue. Needs `NetworkRead`.
pub async fn operations(app: &App, grant: &Grant) -> AppResult<Vec<LabourOperationRow>> {
    expect(grant, Action::NetworkRead)?;
    let mut c = conn(app).await?;
    Ok(store::labour::list(&mut c).await?)
}

/// The domain form of a stored entry.
pub fn to_domain(row: &LabourOperationRow) -> LabourOperation {
    LabourOperation {
        code: row.code.clone(),
        name_zh: row.name_zh.clone(),
        name_en: row.name_en.clone(),
        standard_hundredths: row.standard_hundredths,
        requirement: requirement(row),
        major_part: row.major_part.as_deref().and_then(System::from_code),
    }
}

/// What a stored entry needs of the technician.
pub fn requirement(row: &LabourOperationRow) -> Requirement {
    Requirement {
        min_grade: row.min_grade.and_then(TechnicianGrade::from_level),
        qualification: row
            .qualification
            .as_deref()
            .and_then(Qualification::from_code),
    }
}

/// The catalogue entry with `code`, refused as `field` / `labour.unknown` when missing.
pub(crate) async fn lookup(
    c: &mut sqlx::AnyConnection,
    field: &str,
    code: &str,
) -> AppResult<LabourOperationRow> {
    store::labour::by_code(c, code)
        .await?
        .ok_or_else(|| refused(Violation::new(field, "labour.unknown").with_detail(code)))
}
