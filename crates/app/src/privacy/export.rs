//! The owner's complete export (PIPL Art 45; SPEC §15 "customers can see and export
//! what is kept"): every section of `store::privacy::export::SECTIONS`, read for the
//! signed-in owner, as JSON (`GET /api/v1/me/data`) and as the readable phone page
//! (`/owner/data`). Each export is one audit row with the rows it carried.
//!
//! Consent: the consent ledger (`consent_entries`, migration 0028) is the one truth,
//! exported whole as its own section (every grant and withdrawal with its source);
//! the customer section carries no consent flags, so the two can never disagree.

use crate::{App, AppError, AppResult, actor, conn};
use domain::permission::{Action, Grant, Reach};
use serde::Serialize;
use store::audit::AuditRow;

/// One section: its name and rows (each a JSON object of the record's columns).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExportSection {
    /// Section name (`vehicles`, `appointments`, `pickups`, `bills`, …).
    pub name: String,
    /// The records.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
}

/// A table holding the owner's id that the export leaves out, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeftOut {
    /// The table.
    pub table: String,
    /// Why it is not in the export.
    pub why: String,
}

/// Everything kept about the owner.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnExport {
    /// When it was made, UTC ms.
    pub generated_at: i64,
    /// The customer record, whole (it is their own data).
    #[schema(value_type = Object)]
    pub customer: serde_json::Value,
    /// Every other section, in a fixed order.
    pub sections: Vec<ExportSection>,
    /// What is left out on purpose, with why.
    pub left_out: Vec<LeftOut>,
}

impl OwnExport {
    /// The rows of one section (empty when it has none).
    pub fn section(&self, name: &str) -> &[serde_json::Value] {
        self.sections
            .iter()
            .find(|s| s.name == name)
            .map_or(&[], |s| s.rows.as_slice())
    }
}

/// Collects everything kept about the signed-in owner and audits the export (one
/// `export` row about the customer, field `own_data`, with the row count).
pub async fn own(app: &App, grant: &Grant) -> AppResult<OwnExport> {
    crate::network::expect(grant, Action::OwnDataExport)?;
    let Reach::Customer(cid) = *grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let cid = cid.get();
    let now = app.now_ms();
    let mut c = conn(app).await?;
    let mut customer = serde_json::Value::Null;
    let mut sections = Vec::new();
    let mut rows = 0i64;
    for s in store::privacy::export::SECTIONS {
        let mut got = store::privacy::export::section(&mut c, s, cid).await?;
        rows += got.len() as i64;
        if s.name == "customer" {
            customer = got.pop().unwrap_or(serde_json::Value::Null);
        } else {
            sections.push(ExportSection {
                name: s.name.to_string(),
                rows: got,
            });
        }
    }
    drop(c);
    let who = actor(grant);
    crate::transaction::run(app, "privacy.export", move |mut tx| async move {
        let row = AuditRow {
            action: "export",
            entity: "customer",
            entity_id: cid,
            field: "own_data",
            reason: "owner's complete export",
            row_count: Some(rows),
        };
        store::audit::insert(&mut tx, now, who, row).await?;
        Ok((tx, ()))
    })
    .await?;
    Ok(OwnExport {
        generated_at: now,
        customer,
        sections,
        left_out: store::privacy::export::LEFT_OUT
            .iter()
            .map(|(t, w)| LeftOut {
                table: (*t).to_string(),
                why: (*w).to_string(),
            })
            .collect(),
    })
}
