//! The maker's three-guarantees policy (三包, Arts 4, 18, 21, 24), a head-office
//! setting. The regulation's figures are floors: a maker may promise more (longer
//! periods, fewer repairs before a right), never less, so a value less generous than
//! the law is refused with a 422 naming the field and the article
//! (`guarantee.below_legal_floor`, detail `art18 24`).

use crate::input::{Loose, int};
use crate::network::expect;
use crate::shared::{rebuild, to_json};
use crate::{App, AppError, AppResult, actor, conn};
use domain::guarantee::period::Policy;
use domain::permission::{Action, Grant, Reach};
use domain::{Violation, Violations};
use serde::{Deserialize, Serialize};

/// Key of the policy in the settings table.
pub const SETTING_KEY: &str = "three_guarantees_policy";

/// Entity name of setting changes in the event log.
pub const ENTITY: &str = "setting";

/// The policy in force and where it comes from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicySetting {
    /// The policy (fields as in [`PolicyInput`]).
    #[schema(value_type = Object)]
    pub policy: Policy,
    /// Whether this is the regulation itself (nothing stored yet).
    pub is_default: bool,
    /// When head office last changed it, UTC ms.
    pub updated_at: Option<i64>,
    /// Staff id of who changed it.
    pub updated_by: Option<i64>,
}

/// The policy in force on an open connection: the stored one, else the regulation.
pub(crate) async fn load(c: &mut sqlx::AnyConnection) -> AppResult<PolicySetting> {
    match store::settings::get(c, SETTING_KEY).await? {
        Some(s) => Ok(PolicySetting {
            policy: rebuild(s.value)?,
            is_default: false,
            updated_at: Some(s.updated_at),
            updated_by: s.updated_by,
        }),
        None => Ok(PolicySetting {
            policy: Policy::LEGAL,
            is_default: true,
            updated_at: None,
            updated_by: None,
        }),
    }
}

/// The policy in force, for a caller. Needs `NetworkRead`.
pub async fn setting(app: &App, grant: &Grant) -> AppResult<PolicySetting> {
    expect(grant, Action::NetworkRead)?;
    let mut c = conn(app).await?;
    load(&mut c).await
}

/// A new policy as entered; every field is required.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = GuaranteePolicyInput)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyInput {
    /// 三包有效期 in months (Art 18: at least 24).
    #[schema(value_type = u32)]
    pub sanbao_months: Loose,
    /// 三包有效期 in km (Art 18: at least 50,000).
    #[schema(value_type = u32)]
    pub sanbao_km: Loose,
    /// 包修期 in months (Art 18: at least 36).
    #[schema(value_type = u32)]
    pub warranty_months: Loose,
    /// 包修期 in km (Art 18: at least 60,000).
    #[schema(value_type = u32)]
    pub warranty_km: Loose,
    /// Art 22 window in days (at least 7).
    #[schema(value_type = u32)]
    pub early_refund_days: Loose,
    /// Arts 20 and 23 window in days (at least 60).
    #[schema(value_type = u32)]
    pub early_days: Loose,
    /// Arts 20 and 23 window in km (at least 3,000).
    #[schema(value_type = u32)]
    pub early_km: Loose,
    /// Courtesy car once a single repair exceeds this many days (Art 21: at most 5).
    #[schema(value_type = u32)]
    pub courtesy_car_days: Loose,
    /// Replacement or refund once counted repair days exceed this (Art 24: at most 30).
    #[schema(value_type = u32)]
    pub cumulative_repair_days: Loose,
    /// Replacement or refund once the same part was repaired more than this (at most 4).
    #[schema(value_type = u32)]
    pub same_problem_repairs: Loose,
    /// Serious-safety repairs after which a further such fault qualifies (at most 2).
    #[schema(value_type = u32)]
    pub serious_safety_repairs: Loose,
    /// Replacements of an assembly or main part after which a failure qualifies (at most 2).
    #[schema(value_type = u32)]
    pub replacements: Loose,
    /// Warn once counted repair days reach this (default 25; at most the line).
    #[schema(value_type = u32)]
    pub warning_margin_days: Loose,
}

/// The largest value each field may take (a typing limit, not the law: the legal
/// floors are the domain's [`Policy::validate`]). The parser reads these and the API
/// document states them, so the two cannot drift.
pub const POLICY_LIMITS: [(&str, i64); 13] = [
    ("sanbao_months", 1_200),
    ("sanbao_km", 10_000_000),
    ("warranty_months", 1_200),
    ("warranty_km", 10_000_000),
    ("early_refund_days", 3_650),
    ("early_days", 3_650),
    ("early_km", 10_000_000),
    ("courtesy_car_days", 3_650),
    ("cumulative_repair_days", 3_650),
    ("same_problem_repairs", 1_000),
    ("serious_safety_repairs", 1_000),
    ("replacements", 1_000),
    ("warning_margin_days", 3_650),
];

/// The OpenAPI schema of [`PolicyInput`]: every field required, a whole number between
/// the regulation's value (`Policy::LEGAL`: a floor for periods and distances, a
/// ceiling for the counts that entitle once exceeded, which are at least 1) and its
/// limit in [`POLICY_LIMITS`]; the warning margin is 1 to the cumulative repair days,
/// stated as one branch per allowed number of days.
pub fn policy_input_schema() -> serde_json::Value {
    let legal = domain::guarantee::period::Policy::LEGAL;
    let floors: [(&str, i64); 7] = [
        ("sanbao_months", legal.sanbao_months.into()),
        ("sanbao_km", legal.sanbao_km.into()),
        ("warranty_months", legal.warranty_months.into()),
        ("warranty_km", legal.warranty_km.into()),
        ("early_refund_days", legal.early_refund_days.into()),
        ("early_days", legal.early_days.into()),
        ("early_km", legal.early_km.into()),
    ];
    let ceilings: [(&str, i64); 5] = [
        ("courtesy_car_days", legal.courtesy_car_days.into()),
        (
            "cumulative_repair_days",
            legal.cumulative_repair_days.into(),
        ),
        ("same_problem_repairs", legal.same_problem_repairs.into()),
        (
            "serious_safety_repairs",
            legal.serious_safety_repairs.into(),
        ),
        ("replacements", legal.replacements.into()),
    ];
    let range = |field: &str, max: i64| -> (i64, i64) {
        if let Some((_, floor)) = floors.iter().find(|(f, _)| *f == field) {
            (*floor, max)
        } else if let Some((_, ceiling)) = ceilings.iter().find(|(f, _)| *f == field) {
            (1, (*ceiling).min(max))
        } else {
            (1, max)
        }
    };
    let properties: serde_json::Map<String, serde_json::Value> = POLICY_LIMITS
        .iter()
        .map(|(field, max)| {
            let (min, max) = range(field, *max);
            (
                (*field).to_string(),
                serde_json::json!({"type": "integer", "format": "int64", "minimum": min, "maximum": max}),
            )
        })
        .collect();
    let cumulative = i64::from(legal.cumulative_repair_days);
    let margin: Vec<serde_json::Value> = (1..=cumulative)
        .map(|days| {
            serde_json::json!({"properties": {
                "cumulative_repair_days": {"const": days},
                "warning_margin_days": {"maximum": days}
            }})
        })
        .collect();
    serde_json::json!({
        "type": "object",
        "description": "A three-guarantees policy; every field is required and none may be less generous than the regulation (2021, Arts 18-24); the warning margin is at most the cumulative repair days.",
        "properties": properties,
        "required": POLICY_LIMITS.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
        "additionalProperties": false,
        "oneOf": margin,
    })
}

/// Checks a policy as entered: whole numbers in range, then the domain's legal floors
/// (422 `guarantee.below_legal_floor` naming the field, detail the article and value).
pub fn parse(input: &PolicyInput) -> Result<Policy, Violations> {
    let mut v = Violations::new();
    let fields = [
        ("sanbao_months", &input.sanbao_months),
        ("sanbao_km", &input.sanbao_km),
        ("warranty_months", &input.warranty_months),
        ("warranty_km", &input.warranty_km),
        ("early_refund_days", &input.early_refund_days),
        ("early_days", &input.early_days),
        ("early_km", &input.early_km),
        ("courtesy_car_days", &input.courtesy_car_days),
        ("cumulative_repair_days", &input.cumulative_repair_days),
        ("same_problem_repairs", &input.same_problem_repairs),
        ("serious_safety_repairs", &input.serious_safety_repairs),
        ("replacements", &input.replacements),
        ("warning_margin_days", &input.warning_margin_days),
    ];
    let mut n = [0u32; 13];
    for (i, (field, value)) in fields.iter().enumerate() {
        let max = POLICY_LIMITS[i].1;
        if let Some(x) = int(&mut v, field, value, 0, max).and_then(|x| u32::try_from(x).ok()) {
            n[i] = x;
        }
    }
    v.into_result()?;
    let p = Policy {
        sanbao_months: n[0],
        sanbao_km: n[1],
        warranty_months: n[2],
        warranty_km: n[3],
        early_refund_days: n[4],
        early_days: n[5],
        early_km: n[6],
        courtesy_car_days: n[7],
        cumulative_repair_days: n[8],
        same_problem_repairs: n[9],
        serious_safety_repairs: n[10],
        replacements: n[11],
        warning_margin_days: n[12],
    };
    // Every refused value at once, so a form shows each beside its field.
    let mut refused = Violations::new();
    for e in p.problems() {
        refused.push(Violation::from(e));
    }
    refused.into_result()?;
    Ok(p)
}

/// Replaces the policy and records who changed it and from what. Needs `NetworkWrite`
/// held at head office.
pub async fn set_policy(app: &App, grant: &Grant, input: &PolicyInput) -> AppResult<PolicySetting> {
    expect(grant, Action::NetworkWrite)?;
    if *grant.reach() != Reach::All {
        return Err(AppError::Forbidden);
    }
    let p = parse(input)?;
    let now = app.now_ms();
    let by = grant.principal().id;
    crate::transaction::run(app, "guarantee.set_policy", move |mut tx| async move {
        let before = load(&mut tx).await?;
        let value = to_json(&p)?;
        store::settings::put(&mut tx, SETTING_KEY, &value, now, Some(by)).await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            ENTITY,
            0,
            "three_guarantees_policy_changed",
            &serde_json::json!({
                "key": SETTING_KEY,
                "before": to_json(&before.policy)?,
                "before_default": before.is_default,
                "after": value,
            }),
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await?;
    Ok(PolicySetting {
        policy: p,
        is_default: false,
        updated_at: Some(now),
        updated_by: Some(by),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn legal() -> PolicyInput {
        let l = Policy::LEGAL;
        PolicyInput {
            sanbao_months: l.sanbao_months.into(),
            sanbao_km: l.sanbao_km.into(),
            warranty_months: l.warranty_months.into(),
            warranty_km: l.warranty_km.into(),
            early_refund_days: l.early_refund_days.into(),
            early_days: l.early_days.into(),
            early_km: l.early_km.into(),
            courtesy_car_days: l.courtesy_car_days.into(),
            cumulative_repair_days: l.cumulative_repair_days.into(),
            same_problem_repairs: l.same_problem_repairs.into(),
            serious_safety_repairs: l.serious_safety_repairs.into(),
            replacements: l.replacements.into(),
            warning_margin_days: l.warning_margin_days.into(),
        }
    }

    #[test]
    fn the_law_itself_is_accepted_and_more_generous_values_too() {
        assert_eq!(parse(&legal()), Ok(Policy::LEGAL));
        let better = PolicyInput {
            sanbao_months: 36.into(),
            same_problem_repairs: 3.into(),
            ..legal()
        };
        let p = parse(&better).unwrap();
        assert_eq!((p.sanbao_months, p.same_problem_repairs), (36, 3));
    }

    #[test]
    fn finding_12_values_below_the_floor_are_refused_naming_the_article() {
        for (input, field, art) in [
            (
                PolicyInput {
                    sanbao_months: 12.into(),
                    ..legal()
                },
                "sanbao_months",
                "art18",
            ),
            (
                PolicyInput {
                    same_problem_repairs: 6.into(),
                    ..legal()
                },
                "same_problem_repairs",
                "art24(1)(4)",
            ),
            (
                PolicyInput {
                    courtesy_car_days: 7.into(),
                    ..legal()
                },
                "courtesy_car_days",
                "art21",
            ),
        ] {
            let v = parse(&input).unwrap_err();
            assert_eq!(v.0[0].field, field);
            assert_eq!(v.0[0].rule, "guarantee.below_legal_floor");
            assert!(
                v.0[0].detail.as_deref().unwrap_or("").starts_with(art),
                "{:?}",
                v.0[0]
            );
        }
    }
}
