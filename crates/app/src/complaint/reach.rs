//! The stations and regions a staff user may choose on complaint pages (the station
//! of an intake, the target of a reassignment, the queue's filters), named in the
//! page's language. Names of stations and regions are not personal data; the list
//! is cut to the caller's reach, so a station user is only offered their own.

use crate::{App, AppResult, conn};
use domain::permission::{Action, Grant};

/// The grant must be one of the complaint pages' (reading or working them).
fn expect(grant: &Grant) -> AppResult<()> {
    match grant.action() {
        Action::ComplaintRead | Action::ComplaintWrite => Ok(()),
        _ => Err(crate::AppError::Forbidden),
    }
}

/// Most stations listed (the network has about a thousand).
const MAX_STATIONS: i64 = 5_000;

/// Stations within the caller's reach as (id, name, region id), by name.
pub async fn stations_in_regions(
    app: &App,
    grant: &Grant,
    en: bool,
) -> AppResult<Vec<(i64, String, i64)>> {
    expect(grant)?;
    let mut c = conn(app).await?;
    let per_page = store::Page::MAX_PER_PAGE;
    let mut out = Vec::new();
    let mut page = 1;
    while (page - 1) * per_page < MAX_STATIONS {
        let p = store::network::stations(
            &mut c,
            grant.reach(),
            &store::network::StationFilter::default(),
            store::Page { page, per_page },
        )
        .await?;
        let n = p.items.len() as i64;
        out.extend(p.items.into_iter().map(|s| {
            let name = if en { s.name_en } else { s.name_zh };
            (s.id, format!("{name} ({})", s.code), s.region_id)
        }));
        if n < per_page || page * per_page >= p.total {
            break;
        }
        page += 1;
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// Stations within the caller's reach as (id, name), by name.
pub async fn stations(app: &App, grant: &Grant, en: bool) -> AppResult<Vec<(i64, String)>> {
    Ok(stations_in_regions(app, grant, en)
        .await?
        .into_iter()
        .map(|(id, name, _)| (id, name))
        .collect())
}

/// Every region as (id, name), by name (regions are not secret to staff).
pub async fn regions(app: &App, grant: &Grant, en: bool) -> AppResult<Vec<(i64, String)>> {
    expect(grant)?;
    let mut c = conn(app).await?;
    Ok(store::network::regions(&mut c)
        .await?
        .into_iter()
        .map(|r| (r.id, if en { r.name_en } else { r.name_zh }))
        .collect())
}
