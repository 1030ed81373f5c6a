//! The minimal parts catalogue: head office keeps part numbers and catalogue prices;
//! estimates price part lines from it (价格透明).

use crate::input::{Loose, int, text};
use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use serde::Deserialize;
use store::part::PartRow;

/// A catalogue entry as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PartInput {
    /// Part number: 3–32 letters, digits or dashes.
    #[schema(schema_with = crate::schema::part_number, required = true)]
    pub part_number: Loose,
    /// Chinese name.
    #[schema(schema_with = crate::schema::line::<100>, required = true)]
    pub name_zh: Loose,
    /// English name.
    #[schema(schema_with = crate::schema::line::<100>, required = true)]
    pub name_en: Loose,
    /// Catalogue price per unit in fen.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 100_000_000)]
    pub price_fen: Loose,
}

/// Checks a part number: 3–32 capital letters, digits or dashes.
pub fn parse_part_number(s: &str) -> Result<String, Violation> {
    let t = s.trim().to_ascii_uppercase();
    if (3..=32).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        Ok(t)
    } else {
        Err(Violation::new("part_number", "part.number"))
    }
}

/// Adds or changes a catalogue entry (head office).
pub async fn upsert(app: &App, grant: &Grant, input: &PartInput) -> AppResult<String> {
    expect(grant, Action::NetworkWrite)?;
    if *grant.reach() != Reach::All {
        return Err(AppError::Forbidden);
    }
    let mut v = Violations::new();
    let number = text(&mut v, "part_number", &input.part_number, 32)
        .and_then(|n| v.field("part_number", parse_part_number(&n)));
    let zh = text(&mut v, "name_zh", &input.name_zh, 100);
    let en = text(&mut v, "name_en", &input.name_en, 100);
    let price = int(&mut v, "price_fen", &input.price_fen, 0, 100_000_000);
    v.into_result()?;
    let (Some(part_number), Some(name_zh), Some(name_en), Some(price_fen)) =
        (number, zh, en, price)
    else {
        return Err(AppError::Internal("part".into()));
    };
    let row = PartRow {
        part_number,
        name_zh,
        name_en,
        price_fen,
    };
    let now = app.now_ms();
    let row = &row;
    crate::transaction::run(app, "part.upsert", move |mut tx| async move {
        store::part::upsert(&mut tx, row, now).await?;
        let data =
            serde_json::json!({ "part_number": row.part_number, "price_fen": row.price_fen });
        store::event::record(&mut tx, now, actor(grant), "part", 0, "priced", &data, None).await?;
        Ok((tx, row.part_number.clone()))
    })
    .await
}

/// The catalogue.
pub async fn list(app: &App, grant: &Grant) -> AppResult<Vec<PartRow>> {
    expect(grant, Action::NetworkRead)?;
    Ok(store::part::list(&mut *conn(app).await?).await?)
}
