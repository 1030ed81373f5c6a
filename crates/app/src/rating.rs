//! The owner's rating of a delivered repair order: 1–5 stars and a comment, once per
//! order; given from the owner link, or recorded at the desk.

use crate::input::{Loose, int, opt_lines};
use crate::network::expect;
use crate::repair_order::load::{Loaded, load, owner_order};
use crate::shared::{ORDER_ENTITY, duplicate_as, owner_actor, refused_rule as refused, required};
use crate::{App, AppResult, actor};
use domain::Violations;
use domain::permission::{Action, Grant};
use serde::Deserialize;
use store::event::Actor;
use store::rating::RatingRow;

/// The action that reads ratings.
pub const READ: Action = Action::RatingRead;
/// The action that records a rating at the desk.
pub const WRITE: Action = Action::RatingWrite;

/// Longest comment, in characters.
pub const MAX_COMMENT: usize = 500;

/// A rating as given.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RatingInput {
    /// 1 to 5.
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 5)]
    pub stars: Loose,
    /// The owner's words, optional.
    #[schema(schema_with = crate::schema::opt_lines::<{MAX_COMMENT}>)]
    pub comment: Loose,
}

fn parse(input: &RatingInput) -> AppResult<(i64, Option<String>)> {
    let mut v = Violations::new();
    let stars = int(&mut v, "stars", &input.stars, 1, 5);
    let comment = opt_lines(&mut v, "comment", &input.comment, MAX_COMMENT);
    v.into_result()?;
    Ok((required(stars)?, required(comment)?))
}

async fn save(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    who: Actor<'_>,
    l: &Loaded,
    stars: i64,
    comment: Option<String>,
    channel: &str,
) -> AppResult<RatingRow> {
    if l.row.delivered_at.is_none() {
        return Err(refused("repair_order_id", "rating.not_delivered"));
    }
    let r = RatingRow {
        repair_order_id: l.row.id,
        station_id: l.row.station_id,
        stars,
        comment,
        channel: channel.into(),
        rated_at: now,
    };
    store::rating::insert(tx, &r)
        .await
        .map_err(|e| duplicate_as(e, "repair_order_id", "rating.once"))?;
    store::event::record(
        tx,
        now,
        who,
        ORDER_ENTITY,
        l.row.id,
        "rated",
        // The history keeps the comment with typed numbers masked: the rating row
        // holds what was written, the log need not (issue 21, finding 4).
        &serde_json::json!({
            "stars": r.stars,
            "comment": r.comment.as_deref().map(domain::privacy::text::mask_numbers),
            "channel": r.channel,
        }),
        None,
    )
    .await?;
    Ok(r)
}

/// The owner rates a delivered order from the transparent-workshop link. Stars
/// outside 1–5 are invalid (`number.range`); a second rating is refused
/// (`rating.once`), as is rating before delivery (`rating.not_delivered`). An unknown
/// or revoked token is [`crate::AppError::NotFound`].
pub async fn rate_by_owner(app: &App, token: &str, input: &RatingInput) -> AppResult<RatingRow> {
    let (stars, comment) = parse(input)?;
    let now = app.now_ms();
    let comment = &comment;
    crate::transaction::run(app, "rating.rate_by_owner", move |mut tx| async move {
        let l = owner_order(app, &mut tx, token).await?;
        let who = owner_actor(l.row.customer_id);
        let r = save(&mut tx, now, who, &l, stars, comment.clone(), "owner_page").await?;
        Ok((tx, r))
    })
    .await
}

/// Records the owner's rating given at the desk (same rules as
/// [`rate_by_owner`]). Needs [`WRITE`].
pub async fn rate_at_desk(
    app: &App,
    grant: &Grant,
    order_id: i64,
    input: &RatingInput,
) -> AppResult<RatingRow> {
    expect(grant, WRITE)?;
    let (stars, comment) = parse(input)?;
    let now = app.now_ms();
    let comment = &comment;
    crate::transaction::run(app, "rating.rate_at_desk", move |mut tx| async move {
        let l = load(&mut tx, grant.reach(), order_id).await?;
        let r = save(
            &mut tx,
            now,
            actor(grant),
            &l,
            stars,
            comment.clone(),
            "desk",
        )
        .await?;
        Ok((tx, r))
    })
    .await
}
