//! The main parts of the ten systems (GB/T 29632) as head office keeps them (issue 19
//! item 1): everyone who reads the three guarantees lists them; head office
//! (`NetworkWrite` at head office, as for the policy) adds a part, renames one and
//! retires or restores it, each change an event on the `guarantee_main_part` timeline.
//! A classified fault names a part of this list ([`load`] then
//! [`domain::guarantee::main_part::MainPartList::choose`]); a retired part stays valid
//! on the faults recorded with it, so the counters keep counting them.

use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::guarantee::main_part::{
    Entry, MainPartList, MainPartNames, NewMainPart, System, parse_code, parse_system,
};
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
pub use store::guarantee::main_part::MainPartRow;

/// Entity of the list's timeline events.
pub const ENTITY: &str = "guarantee_main_part";

/// One main part as the API states it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = GuaranteeMainPart)]
pub struct MainPartView {
    /// System code (one of the ten).
    pub system: String,
    /// Code, unique within the system.
    pub code: String,
    /// 中文名.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Whether a new fault may name it (a retired part stays on past faults).
    pub active: bool,
}

impl From<&MainPartRow> for MainPartView {
    fn from(r: &MainPartRow) -> Self {
        MainPartView {
            system: r.system.clone(),
            code: r.code.clone(),
            name_zh: r.name_zh.clone(),
            name_en: r.name_en.clone(),
            active: r.retired_at.is_none(),
        }
    }
}

/// What head office sends to add a part.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = GuaranteeMainPartInput)]
#[serde(deny_unknown_fields)]
pub struct MainPartInput {
    /// One of the ten systems (`engine`, `transmission`, `traction_battery`,
    /// `drive_motor`, `steering`, `brakes`, `suspension`, `drivetrain`,
    /// `emission_control`, `body`).
    #[serde(default)]
    #[schema(schema_with = crate::schema::code::<domain::guarantee::main_part::System>, required = true)]
    pub system: String,
    /// Code: `a`–`z`, `0`–`9`, `_`, starting with a letter, 2–40 characters; unique
    /// within the system.
    #[serde(default)]
    #[schema(pattern = "^[a-z][a-z0-9_]{1,39}$", required = true)]
    pub code: String,
    /// 中文名 (one line, at most 60 characters).
    #[serde(default)]
    #[schema(schema_with = crate::schema::line::<60>, required = true)]
    pub name_zh: String,
    /// English name (one line, at most 60 characters).
    #[serde(default)]
    #[schema(schema_with = crate::schema::line::<60>, required = true)]
    pub name_en: String,
}

/// What head office sends to change a part: new names, retired or not; what is left
/// out stays as it is.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = GuaranteeMainPartPatch)]
#[serde(deny_unknown_fields)]
pub struct MainPartPatch {
    /// 中文名.
    #[serde(default)]
    #[schema(schema_with = crate::schema::opt_line::<60>)]
    pub name_zh: Option<String>,
    /// English name.
    #[serde(default)]
    #[schema(schema_with = crate::schema::opt_line::<60>)]
    pub name_en: Option<String>,
    /// `true` retires the part (past faults keep it), `false` brings it back.
    #[serde(default)]
    pub retired: Option<bool>,
}

/// The stored list as the domain's, retired parts included (past faults name them).
pub(crate) async fn load(c: &mut AnyConnection) -> AppResult<MainPartList> {
    let rows = store::guarantee::main_part::all(c).await?;
    MainPartList::from_entries(rows.iter().map(|r| Entry {
        system: &r.system,
        code: &r.code,
        zh: &r.name_zh,
        en: &r.name_en,
        retired: r.retired_at.is_some(),
    }))
    .map_err(|e| AppError::Internal(format!("main part list: {e}")))
}

/// The list for showing names on a page the caller was already allowed to open (a
/// part's name is no one's secret).
pub async fn names(app: &App) -> AppResult<MainPartList> {
    let mut c = conn(app).await?;
    load(&mut c).await
}

/// Every part, retired ones too, in display order. Needs `RepairOrderRead` (the
/// advisor classifying a fault picks from it).
pub async fn list(app: &App, grant: &Grant) -> AppResult<Vec<MainPartRow>> {
    expect(grant, Action::RepairOrderRead)?;
    let mut c = conn(app).await?;
    Ok(store::guarantee::main_part::all(&mut c).await?)
}

fn head_office(grant: &Grant) -> AppResult<()> {
    expect(grant, Action::NetworkWrite)?;
    if *grant.reach() != Reach::All {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

async fn record(
    tx: &mut AnyConnection,
    grant: &Grant,
    now: i64,
    kind: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    store::event::record(tx, now, actor(grant), ENTITY, 0, kind, &data, None).await?;
    Ok(())
}

async fn get(app: &App, system: &str, code: &str) -> AppResult<MainPartRow> {
    let mut c = conn(app).await?;
    store::guarantee::main_part::get(&mut c, system, code)
        .await?
        .ok_or(AppError::NotFound)
}

/// Adds a part (head office); a code the system has already is 409
/// `guarantee.main_part_duplicate` on `code`, a bad field 422 naming it, nothing written.
pub async fn add(app: &App, grant: &Grant, input: &MainPartInput) -> AppResult<MainPartRow> {
    head_office(grant)?;
    let new = NewMainPart::parse(&input.system, &input.code, &input.name_zh, &input.name_en)
        .map_err(|v| AppError::Invalid(Violations(v)))?;
    let now = app.now_ms();
    let new = &new;
    crate::transaction::run(app, "guarantee.main_part_add", move |mut tx| async move {
        let (system, code) = (new.part.system.code(), new.part.code.as_str());
        let fresh = store::guarantee::main_part::insert(
            &mut tx,
            system,
            code,
            &new.names.zh,
            &new.names.en,
            now,
        )
        .await?;
        if !fresh {
            return Err(AppError::Refused(
                Violation::new("code", "guarantee.main_part_duplicate")
                    .with_detail(format!("{system}/{code}"))
                    .into(),
            ));
        }
        let data = serde_json::json!({"system": system, "code": code,
            "name_zh": new.names.zh, "name_en": new.names.en});
        record(&mut tx, grant, now, "guarantee_main_part_added", data).await?;
        Ok((tx, ()))
    })
    .await?;
    get(app, new.part.system.code(), &new.part.code).await
}

/// Renames, retires or restores a part (head office); an unknown part is 404, a
/// blank or over-long name 422 naming the field, nothing written.
pub async fn change(
    app: &App,
    grant: &Grant,
    system: &str,
    code: &str,
    patch: &MainPartPatch,
) -> AppResult<MainPartRow> {
    head_office(grant)?;
    let system: System = parse_system(system).map_err(|_| AppError::NotFound)?;
    let code = parse_code(code).map_err(|_| AppError::NotFound)?;
    let now = app.now_ms();
    let (code_ref, patch) = (&code, patch);
    crate::transaction::run(
        app,
        "guarantee.main_part_change",
        move |mut tx| async move {
            let sys = system.code();
            let row = store::guarantee::main_part::get(&mut tx, sys, code_ref)
                .await?
                .ok_or(AppError::NotFound)?;
            let names = MainPartNames::parse(
                patch.name_zh.as_deref().unwrap_or(&row.name_zh),
                patch.name_en.as_deref().unwrap_or(&row.name_en),
            )
            .map_err(|v| AppError::Invalid(Violations(v)))?;
            let retired_at = match patch.retired {
                Some(true) => Some(row.retired_at.unwrap_or(now)),
                Some(false) => None,
                None => row.retired_at,
            };
            store::guarantee::main_part::update(
                &mut tx, sys, code_ref, &names.zh, &names.en, retired_at, now,
            )
            .await?;
            let renamed = names.zh != row.name_zh || names.en != row.name_en;
            if renamed {
                let data = serde_json::json!({"system": sys, "code": code_ref,
                "before": {"name_zh": row.name_zh, "name_en": row.name_en},
                "after": {"name_zh": names.zh, "name_en": names.en}});
                record(&mut tx, grant, now, "guarantee_main_part_renamed", data).await?;
            }
            if retired_at.is_some() != row.retired_at.is_some() {
                let kind = if retired_at.is_some() {
                    "guarantee_main_part_retired"
                } else {
                    "guarantee_main_part_restored"
                };
                let data = serde_json::json!({"system": sys, "code": code_ref});
                record(&mut tx, grant, now, kind, data).await?;
            }
            Ok((tx, ()))
        },
    )
    .await?;
    get(app, system.code(), &code).await
}
