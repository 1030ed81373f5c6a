//! The catalogue of complaint categories (issue 10 item 1): head office adds one
//! (code, zh-CN and en names), renames it and retires it. A new category gets the
//! SPEC's default service-level targets at once, as version 1 of its normal and
//! urgent policies, which head office edits on the policy page. Every intake checks
//! the category against this catalogue ([`choose`]); filters accept retired ones too
//! ([`known`]), since old complaints keep theirs.

use crate::{App, AppError, AppResult, actor, conn};
use domain::Violations;
use domain::complaint::Severity;
use domain::complaint::category::{self as rules, CategoryCode, CategoryNames, Standing};
use domain::permission::{Action, Grant, Reach};
use serde::Deserialize;
use sqlx::AnyConnection;
pub use store::complaint::category::CategoryRow;

/// The whole catalogue as the API states it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ComplaintCategory)]
pub struct CategoryView {
    /// Stable code.
    pub code: String,
    /// 中文名.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Whether new complaints may choose it.
    pub active: bool,
}

impl From<&CategoryRow> for CategoryView {
    fn from(r: &CategoryRow) -> Self {
        CategoryView {
            code: r.code.clone(),
            name_zh: r.name_zh.clone(),
            name_en: r.name_en.clone(),
            active: r.active(),
        }
    }
}

/// What head office sends to add a category.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ComplaintCategoryInput)]
pub struct CategoryInput {
    /// Stable code: `a`–`z`, `0`–`9`, `_`, starting with a letter, 2–40 characters.
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

/// What head office sends to rename a category.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ComplaintCategoryNames)]
pub struct NamesInput {
    /// 中文名.
    #[serde(default)]
    #[schema(schema_with = crate::schema::line::<60>, required = true)]
    pub name_zh: String,
    /// English name.
    #[serde(default)]
    #[schema(schema_with = crate::schema::line::<60>, required = true)]
    pub name_en: String,
}

/// The catalogue on a connection.
pub(crate) async fn load(c: &mut AnyConnection) -> AppResult<Vec<CategoryRow>> {
    Ok(store::complaint::category::all(c).await?)
}

fn standing(cats: &[CategoryRow]) -> impl Fn(&CategoryCode) -> Option<Standing> + '_ {
    move |code| {
        cats.iter().find(|c| c.code == code.as_str()).map(|c| {
            if c.active() {
                Standing::Active
            } else {
                Standing::Retired
            }
        })
    }
}

/// The category of a new complaint: known and not retired (422 on `category`).
pub(crate) fn choose(cats: &[CategoryRow], raw: &str) -> Result<CategoryCode, domain::Violation> {
    rules::choose(raw, standing(cats))
}

/// A category a filter or a policy may name: known, retired or not.
pub(crate) fn known(cats: &[CategoryRow], raw: &str) -> Result<CategoryCode, domain::Violation> {
    rules::known(raw, standing(cats))
}

/// Every category, retired ones too, in display order. Anyone who reads complaints
/// (the owner's phone page too) may read the catalogue.
pub async fn list(app: &App, grant: &Grant) -> AppResult<Vec<CategoryRow>> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    let mut c = conn(app).await?;
    load(&mut c).await
}

fn head_office(grant: &Grant) -> AppResult<()> {
    crate::network::expect(grant, Action::ComplaintPolicy)?;
    if *grant.reach() != Reach::All {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

fn names(zh: &str, en: &str) -> AppResult<CategoryNames> {
    CategoryNames::parse(zh, en).map_err(|v| AppError::Invalid(Violations(v)))
}

/// Adds a category (head office) with the default targets for both severities; a
/// code in use is 409 `complaint.category_exists` on `code`, nothing written.
pub async fn add(app: &App, grant: &Grant, input: &CategoryInput) -> AppResult<CategoryRow> {
    head_office(grant)?;
    let mut v = Violations::new();
    let code = v.field("code", CategoryCode::parse(&input.code));
    let names = match CategoryNames::parse(&input.name_zh, &input.name_en) {
        Ok(n) => Some(n),
        Err(e) => {
            v.0.extend(e);
            None
        }
    };
    let (Some(code), Some(names)) = (code, names) else {
        return Err(AppError::Invalid(v));
    };
    let now = app.now_ms();
    let by = grant.principal().id;
    let (code, names) = (&code, &names);
    crate::transaction::run(app, "complaint.category_add", move |mut tx| async move {
        let fresh = store::complaint::category::insert(
            &mut tx,
            code.as_str(),
            &names.zh,
            &names.en,
            now,
            by,
        )
        .await?;
        if !fresh {
            return Err(AppError::Refused(
                domain::Violation::new("code", "complaint.category_exists")
                    .with_detail(code.to_string())
                    .into(),
            ));
        }
        for sev in [
            Severity::Normal,
            Severity::Urgent(domain::complaint::UrgentReason::Safety),
        ] {
            super::clock::policy_in_force(&mut tx, code, sev, now).await?;
        }
        record(&mut tx, grant, now, "complaint_category_added", code, names).await?;
        Ok((tx, ()))
    })
    .await?;
    get(app, code.as_str()).await
}

async fn record(
    tx: &mut AnyConnection,
    grant: &Grant,
    now: i64,
    kind: &str,
    code: &CategoryCode,
    names: &CategoryNames,
) -> AppResult<()> {
    store::event::record(
        tx,
        now,
        actor(grant),
        "complaint_category",
        0,
        kind,
        &serde_json::json!({"code": code.as_str(), "name_zh": names.zh, "name_en": names.en}),
        None,
    )
    .await?;
    Ok(())
}

async fn get(app: &App, code: &str) -> AppResult<CategoryRow> {
    let mut c = conn(app).await?;
    store::complaint::category::get(&mut c, code)
        .await?
        .ok_or(AppError::NotFound)
}

/// Renames a category (head office); an unknown code is 404.
pub async fn rename(
    app: &App,
    grant: &Grant,
    code: &str,
    input: &NamesInput,
) -> AppResult<CategoryRow> {
    head_office(grant)?;
    let names = names(&input.name_zh, &input.name_en)?;
    let code = CategoryCode::parse(code).map_err(|_| AppError::NotFound)?;
    let now = app.now_ms();
    let (code_ref, names_ref) = (&code, &names);
    crate::transaction::run(app, "complaint.category_rename", move |mut tx| async move {
        if !store::complaint::category::rename(
            &mut tx,
            code_ref.as_str(),
            &names_ref.zh,
            &names_ref.en,
        )
        .await?
        {
            return Err(AppError::NotFound);
        }
        record(
            &mut tx,
            grant,
            now,
            "complaint_category_renamed",
            code_ref,
            names_ref,
        )
        .await?;
        Ok((tx, ()))
    })
    .await?;
    get(app, code.as_str()).await
}

/// Retires a category (`retired`), or brings it back; an unknown code is 404. Old
/// complaints keep it; new ones cannot choose it while it is retired.
pub async fn retire(app: &App, grant: &Grant, code: &str, retired: bool) -> AppResult<CategoryRow> {
    head_office(grant)?;
    let code = CategoryCode::parse(code).map_err(|_| AppError::NotFound)?;
    let now = app.now_ms();
    let code_ref = &code;
    crate::transaction::run(app, "complaint.category_retire", move |mut tx| async move {
        let row = store::complaint::category::get(&mut tx, code_ref.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        let at = retired.then_some(row.retired_at.unwrap_or(now));
        store::complaint::category::set_retired(&mut tx, code_ref.as_str(), at).await?;
        let names = CategoryNames {
            zh: row.name_zh,
            en: row.name_en,
        };
        let kind = if retired {
            "complaint_category_retired"
        } else {
            "complaint_category_restored"
        };
        record(&mut tx, grant, now, kind, code_ref, &names).await?;
        Ok((tx, ()))
    })
    .await?;
    get(app, code.as_str()).await
}
