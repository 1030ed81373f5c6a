//! The small demo's stream of complaints over the past four months, so the queue, the
//! inboxes and the analysis are not empty: most are answered within the hour and
//! closed with the three zeros and a follow-up; some are answered late (breached and
//! escalated by the clocks), some closed and reopened, the recent ones still open in
//! every stage.
//!
//! Everything goes through the ordinary use cases on a hand-set clock: every step of
//! every complaint is planned first, then the steps run in time order while the clock
//! walks up to the demo's now, and the job worker runs the timers due at each step
//! (so warnings, breaches and escalations are what the server itself would write).
//! Which cars and fates take part follows the seed.

use super::internal;
use crate::clock::ManualClock;
use crate::complaint::FileInput;
use crate::complaint::action::{AnalysisInput, FollowUpInput, GoodwillInput, NoteInput, ZeroInput};
use crate::job::handler::Registry;
use crate::job::worker::Worker;
use crate::{App, AppResult, AppSettings};
use domain::complaint::closure::Zero;
use domain::permission::{Action, ActorKind, Principal, Unit};
use domain::role::Role;
use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;
use std::sync::Arc;
use store::Db;

/// Complaints in the stream.
const COUNT: usize = 72;
/// How far back the stream starts, in days.
const DAYS: i64 = 120;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// What the stream made.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StreamSummary {
    /// Complaints filed.
    pub filed: usize,
    /// Closed (and not reopened since).
    pub closed: usize,
    /// Reopened at least once.
    pub reopened: usize,
    /// Answered after the first-response target.
    pub late: usize,
}

/// One step of one complaint.
#[derive(Debug, Clone, Copy)]
enum Step {
    File,
    Respond,
    Event(&'static str),
    Analyse,
    Zeros,
    FollowUp,
    Goodwill,
}

/// How one complaint's story goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Answered in time, closed with the three zeros.
    Closed,
    /// Answered hours late, then closed days later.
    Late,
    /// Closed, then reopened and closed again.
    Reopened,
    /// Still open: the recent ones.
    Open,
}

const CATEGORIES: &[&str] = &[
    "repair_quality",
    "repair_quality",
    "service_attitude",
    "price_dispute",
    "waiting_time",
    "parts_quality",
    "other",
];

const TEXTS: &[&str] = &[
    "保养后发动机异响，回店两次仍未解决",
    "接待顾问态度冷淡，等了半小时没人理",
    "结算金额比报价高出很多，没有提前说明",
    "预约十点到店，下午三点才交车",
    "更换的刹车片一个月就有异响",
    "车内清洁没有做好，座椅有油污",
];

fn head_office() -> Principal {
    Principal {
        kind: ActorKind::Person,
        id: 0,
        name: "demo".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
}

/// The plan of one complaint: its steps at their instants.
fn plan(rng: &mut StdRng, start: i64, fate: Fate) -> Vec<(i64, Step)> {
    let mut t = start;
    let mut out = vec![(t, Step::File)];
    let mut at = |out: &mut Vec<(i64, Step)>, gap: i64, s: Step| {
        t += gap;
        out.push((t, s));
    };
    let answer = match fate {
        Fate::Late => rng.random_range(3 * HOUR..30 * HOUR),
        _ => rng.random_range(10 * MINUTE..55 * MINUTE),
    };
    at(&mut out, answer, Step::Respond);
    at(
        &mut out,
        rng.random_range(MINUTE..2 * HOUR),
        Step::Event("acknowledge"),
    );
    let open_until = if fate == Fate::Open {
        rng.random_range(0..6)
    } else {
        99
    };
    let work: [(i64, Step); 8] = [
        (
            rng.random_range(HOUR..6 * HOUR),
            Step::Event("start_analysis"),
        ),
        (rng.random_range(2 * HOUR..20 * HOUR), Step::Analyse),
        (
            rng.random_range(HOUR..8 * HOUR),
            Step::Event("propose_solution"),
        ),
        (
            rng.random_range(HOUR..6 * HOUR),
            Step::Event("customer_accepts"),
        ),
        (rng.random_range(HOUR..4 * HOUR), Step::Event("start_work")),
        (
            rng.random_range(2 * HOUR..12 * HOUR),
            Step::Event("finish_work"),
        ),
        (rng.random_range(HOUR..6 * HOUR), Step::Zeros),
        (rng.random_range(HOUR..4 * HOUR), Step::FollowUp),
    ];
    for (i, (gap, s)) in work.into_iter().enumerate() {
        if i >= open_until {
            return out;
        }
        let gap = if fate == Fate::Late { gap * 3 } else { gap };
        at(&mut out, gap, s);
    }
    if rng.random_bool(0.2) {
        at(&mut out, 10 * MINUTE, Step::Goodwill);
    }
    at(&mut out, 10 * MINUTE, Step::Event("close"));
    if fate == Fate::Reopened {
        at(
            &mut out,
            rng.random_range(2 * DAY..10 * DAY),
            Step::Event("reopen"),
        );
        at(&mut out, rng.random_range(10 * MINUTE..HOUR), Step::Respond);
        at(&mut out, 30 * MINUTE, Step::Event("acknowledge"));
        for (gap, s) in [
            (2 * HOUR, Step::Event("start_analysis")),
            (6 * HOUR, Step::Analyse),
            (2 * HOUR, Step::Event("propose_solution")),
            (2 * HOUR, Step::Event("customer_accepts")),
            (HOUR, Step::Event("start_work")),
            (6 * HOUR, Step::Event("finish_work")),
            (2 * HOUR, Step::Zeros),
            (HOUR, Step::FollowUp),
            (10 * MINUTE, Step::Event("close")),
        ] {
            at(&mut out, gap, s);
        }
    }
    out
}

/// The cars complained about, with their station: the seed's pick.
async fn cars(db: &Db) -> AppResult<Vec<(i64, i64, i64)>> {
    let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
    // The first station's cars first: its manager (a fixed account) has an inbox.
    let rows = sqlx::query(
        "SELECT id, owner_id, station_id FROM vehicles \
         ORDER BY CASE WHEN station_id = 1 THEN 0 ELSE 1 END, id LIMIT 400",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(store::StoreError::from)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0).map_err(store::StoreError::from)?,
                r.try_get(1).map_err(store::StoreError::from)?,
                r.try_get(2).map_err(store::StoreError::from)?,
            ))
        })
        .collect()
}

/// Files and works the stream of complaints up to `now`.
pub async fn stream(
    db: &Db,
    settings: AppSettings,
    seed: u64,
    now: Timestamp,
) -> AppResult<StreamSummary> {
    let now_ms = now.as_millisecond();
    let clock = Arc::new(ManualClock::new(
        Timestamp::from_millisecond(now_ms - DAYS * DAY).map_err(internal)?,
    ));
    let app = App::new(db.clone(), clock.clone(), settings);
    let worker = Worker::with_client(
        app.clone(),
        Registry::standard(),
        reqwest::Client::new(),
        "demo-complaints".into(),
    );
    let boss = head_office();
    let write = boss
        .grant(Action::ComplaintWrite)
        .map_err(|_| internal("grant"))?;
    let mut rng = StdRng::seed_from_u64(seed ^ 0xC0C0);
    let cars = cars(db).await?;
    if cars.is_empty() {
        return Err(internal("no demo cars"));
    }
    let mut summary = StreamSummary::default();
    let mut steps: Vec<(i64, usize, Step)> = Vec::new();
    let mut fates = Vec::new();
    for i in 0..COUNT {
        // Spread over the period, office hours in Shanghai (UTC+8: 01:00–09:00 UTC).
        let day = (i as i64 * DAYS) / COUNT as i64;
        let start = now_ms - (DAYS - day) * DAY + rng.random_range(HOUR..9 * HOUR);
        let recent = now_ms - start < 6 * DAY;
        let fate = match rng.random_range(0..100) {
            _ if recent => Fate::Open,
            0..60 => Fate::Closed,
            60..78 => Fate::Late,
            78..90 => Fate::Reopened,
            _ => Fate::Open,
        };
        fates.push(fate);
        for (t, s) in plan(&mut rng, start, fate) {
            if t < now_ms {
                steps.push((t, i, s));
            }
        }
    }
    steps.sort_by_key(|s| (s.0, s.1));
    let mut ids: Vec<Option<i64>> = vec![None; COUNT];
    for (t, i, step) in steps {
        clock.set(Timestamp::from_millisecond(t).map_err(internal)?);
        while worker.run_once().await? > 0 {}
        if !matches!(step, Step::File) && ids[i].is_none() {
            continue;
        }
        let id = ids[i].unwrap_or(0);
        let note = |s: &str| NoteInput { note: s.into() };
        match step {
            Step::File => {
                // Half at the first station, the rest anywhere.
                let pick = if i % 2 == 0 {
                    rng.random_range(0..cars.len().min(30))
                } else {
                    rng.random_range(0..cars.len())
                };
                let (vehicle, owner, station) = cars[pick];
                let urgent = rng.random_bool(0.12);
                let input = FileInput {
                    station_id: station,
                    customer_id: Some(owner),
                    vehicle_id: Some(vehicle),
                    channel: ["hotline", "hotline", "station", "social_media"][i % 4].into(),
                    source_link: (i % 4 == 3).then(|| "https://weibo.com/demo".into()),
                    category: CATEGORIES[rng.random_range(0..CATEGORIES.len())].into(),
                    severity: if urgent { "urgent" } else { "normal" }.into(),
                    urgent_reason: urgent.then(|| "safety".into()),
                    description: TEXTS[rng.random_range(0..TEXTS.len())].into(),
                    ..Default::default()
                };
                let c = crate::complaint::file(&app, &write, &input).await?;
                ids[i] = Some(c.id);
                summary.filed += 1;
            }
            Step::Respond => {
                crate::complaint::action::respond(
                    &app,
                    &write,
                    id,
                    &note("已致电客户，说明处理安排"),
                )
                .await?;
            }
            Step::Event(e) => {
                crate::complaint::action::act(&app, &write, id, e, &note("")).await?;
            }
            Step::Analyse => {
                // A quarter blame the parts and name one of the demo catalogue's, so
                // the analysis by part has groups.
                let responsibility = ["station", "station", "parts", "customer"][i % 4];
                let input = AnalysisInput {
                    responsibility: responsibility.into(),
                    cause: "技师未按标准工艺装配，质检漏检".into(),
                    part_number: (responsibility == "parts")
                        .then(|| ["BRAKE-PAD-F", "BRAKE-DISC-F", "OIL-FILTER"][i % 3].into()),
                };
                crate::complaint::action::analyse(&app, &write, id, &input).await?;
            }
            Step::Zeros => {
                for z in Zero::ALL {
                    let (status, text) = match (z, i % 3) {
                        (Zero::Technical, 0) => ("not_applicable", "非技术原因"),
                        (Zero::Complaint, _) => ("done", "已为客户返修并试车确认"),
                        (Zero::Management, _) => ("done", "已修订质检流程并培训"),
                        (Zero::Technical, _) => ("done", "已更新装配作业指导书"),
                    };
                    let input = ZeroInput {
                        zero: z.code().into(),
                        status: status.into(),
                        text: text.into(),
                    };
                    crate::complaint::closure::set_zero(&app, &write, id, &input).await?;
                }
            }
            Step::FollowUp => {
                let input = FollowUpInput {
                    satisfaction: rng.random_range(3..=5),
                    accepts_closure: true,
                    note: "客户表示认可处理结果".into(),
                };
                crate::complaint::closure::follow_up(&app, &write, id, &input).await?;
            }
            Step::Goodwill => {
                let input = GoodwillInput {
                    kind: "free_service".into(),
                    value: 30_000,
                    note: "赠送一次免费保养".into(),
                };
                crate::complaint::closure::grant_goodwill(&app, &write, id, &input).await?;
            }
        }
    }
    clock.set(now);
    while worker.run_once().await? > 0 {}
    for (i, fate) in fates.iter().enumerate() {
        let Some(id) = ids[i] else { continue };
        let mut c = db.pool.acquire().await.map_err(store::StoreError::from)?;
        let row = store::complaint::get(&mut c, &domain::permission::Reach::All, id)
            .await?
            .ok_or_else(|| internal("demo complaint"))?;
        summary.closed += usize::from(row.state == "closed");
        summary.reopened += usize::from(row.reopened);
        summary.late += usize::from(*fate == Fate::Late);
    }
    Ok(summary)
}
