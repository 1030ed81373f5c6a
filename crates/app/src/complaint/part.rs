//! Naming the part a complaint is about at any time (issue 10): at intake (agent,
//! station desk), on the detail page, or by the analysis. Each change is a
//! `part_named` event in the timeline with the part before and after.

use crate::transaction::run;
use crate::{App, AppError, AppResult};
use domain::Violations;
use domain::permission::{Action, Grant};
use serde::Deserialize;

use super::ComplaintRow;
use super::action::{event, finish, load};

/// The part to name.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ComplaintPartInput)]
pub struct PartInput {
    /// A number of the parts catalogue; blank or absent clears it. An unknown number
    /// is 422 `complaint.part_unknown`.
    #[serde(default)]
    #[schema(schema_with = crate::schema::part_number)]
    pub part_number: Option<String>,
}

/// Names (or clears) the part of a complaint within the caller's reach; nothing
/// happens, and no event is written, when it is already that part.
pub async fn name_part(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &PartInput,
) -> AppResult<ComplaintRow> {
    crate::network::expect(grant, Action::ComplaintWrite)?;
    let mut v = Violations::new();
    let part = super::parse_part(&mut v, input.part_number.as_deref());
    let Some(part) = part else {
        return Err(AppError::Invalid(v));
    };
    let now = app.now_ms();
    let part = &part;
    run(app, "complaint.name_part", move |mut tx| async move {
        let c = load(&mut tx, grant, id).await?;
        super::part_known(&mut tx, part.as_ref()).await?;
        if c.part_number.as_ref() == part.as_ref() {
            return Ok((tx, ()));
        }
        store::complaint::set_part(&mut tx, id, part.as_deref()).await?;
        event(
            &mut tx,
            grant,
            id,
            now,
            "part_named",
            serde_json::json!({ "before": c.part_number, "part_number": part }),
        )
        .await?;
        Ok((tx, ()))
    })
    .await?;
    finish(app, id).await
}
