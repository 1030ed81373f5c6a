//! Demo staff: the fixed accounts and staff in every role at every unit, with their
//! certificates.

use super::*;
use crate::AppResult;
use bulk::Bulk;
use domain::role::Role;
use geo::REGIONS;
use rand::Rng;
use rand::rngs::StdRng;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The demo WeChat id of a staff member, if they have one: the people escalations go
/// to (station managers, regional managers, head-office administrators) — every fixed
/// account and two in three of the others — so the demo's escalations show WeChat
/// messages beside the SMS. Derived from the id and username, not the random stream,
/// so adding it changed no other demo value.
fn demo_wechat_id(id: i64, s: &StaffPlan) -> Option<String> {
    let escalated = matches!(
        s.role,
        Role::StationManager | Role::RegionalManager | Role::Administrator
    );
    if !escalated || (!s.fixed && id % 3 == 0) {
        return None;
    }
    let tail: String = s
        .username
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(16)
        .collect();
    let w = format!("wx_{tail}");
    domain::wechat_id::WeChatId::parse(&w, "wechat_id")
        .ok()
        .map(|_| w)
}

impl Builder {
    pub(super) fn plan_staff(&self, rng: &mut StdRng) -> Vec<StaffPlan> {
        let c = &self.counts;
        let mut out = Vec::with_capacity(c.staff);
        fn plan(
            out: &mut Vec<StaffPlan>,
            username: String,
            role: Role,
            station: Option<i64>,
            region: Option<i64>,
            fixed: bool,
        ) {
            out.push(StaffPlan {
                username,
                role,
                station,
                region,
                fixed,
            });
        }
        let hq = [
            (Role::Administrator, "admin", "admin"),
            (Role::CallCentreAgent, "agent", "agent"),
            (Role::TechnicalExpert, "expert", "expert"),
            (Role::QualityAuditor, "auditor", "auditor"),
            (Role::PrivacyOfficer, "privacy", "privacy"),
        ];
        for ((role, short, fixed), n) in hq.into_iter().zip(c.hq) {
            for k in 1..=n.max(1) {
                if k == 1 {
                    plan(&mut out, fixed.to_string(), role, None, None, true);
                } else {
                    plan(&mut out, format!("hq-{short}{k}"), role, None, None, false);
                }
            }
        }
        let first_region = self.stations.first().map(|s| s.region).unwrap_or(0);
        for (r, (code, ..)) in REGIONS.iter().enumerate() {
            for k in 1..=c.regional.max(1) {
                if r == first_region && k == 1 {
                    plan(
                        &mut out,
                        "regional".into(),
                        Role::RegionalManager,
                        None,
                        Some(r as i64 + 1),
                        true,
                    );
                } else {
                    plan(
                        &mut out,
                        format!("{}-rm{k}", code.to_ascii_lowercase()),
                        Role::RegionalManager,
                        None,
                        Some(r as i64 + 1),
                        false,
                    );
                }
            }
        }
        // Station staff: seven roles each, the rest (advisors and technicians) by bays.
        let base = [
            Role::StationManager,
            Role::TechnicalDirector,
            Role::PartsClerk,
            Role::WarrantyClerk,
            Role::CustomerRelations,
            Role::ServiceAdvisor,
            Role::Technician,
        ];
        let used = out.len();
        let n = self.stations.len();
        let extras = c.staff.saturating_sub(used + base.len() * n);
        let bays: i64 = self.stations.iter().map(|s| s.bays).sum();
        let mut extra_of: Vec<usize> = self
            .stations
            .iter()
            .map(|s| (extras as i64 * s.bays / bays.max(1)) as usize)
            .collect();
        let mut left = extras.saturating_sub(extra_of.iter().sum());
        let mut i = 0;
        while left > 0 && n > 0 {
            extra_of[i % n] += 1;
            left -= 1;
            i += 1;
        }
        for (si, s) in self.stations.iter().enumerate() {
            let mut roles: Vec<Role> = base.to_vec();
            for _ in 0..extra_of[si] {
                roles.push(if rng.random_bool(0.3) {
                    Role::ServiceAdvisor
                } else {
                    Role::Technician
                });
            }
            let mut seen: HashMap<Role, usize> = HashMap::new();
            for role in roles {
                let k = seen.entry(role).or_insert(0);
                *k += 1;
                let fixed = match (si, *k, role) {
                    (0, 1, Role::ServiceAdvisor) => Some("advisor"),
                    (0, 1, Role::Technician) => Some("technician"),
                    (0, 1, Role::StationManager) => Some("manager"),
                    (0, 1, Role::PartsClerk) => Some("parts"),
                    (0, 1, Role::WarrantyClerk) => Some("warranty"),
                    (0, 1, Role::CustomerRelations) => Some("relations"),
                    (0, 1, Role::TechnicalDirector) => Some("techdir"),
                    (1, 1, Role::ServiceAdvisor) => Some("advisor2"),
                    _ => None,
                };
                let short = match role {
                    Role::StationManager => "sm",
                    Role::TechnicalDirector => "td",
                    Role::PartsClerk => "pc",
                    Role::WarrantyClerk => "wc",
                    Role::CustomerRelations => "cr",
                    Role::ServiceAdvisor => "sa",
                    _ => "tech",
                };
                match fixed {
                    Some(u) => plan(&mut out, u.to_string(), role, Some(s.id), None, true),
                    None => plan(
                        &mut out,
                        format!("{}-{short}{k}", s.code.to_ascii_lowercase()),
                        role,
                        Some(s.id),
                        None,
                        false,
                    ),
                }
            }
        }
        out
    }

    pub(super) async fn write_staff(
        &self,
        conn: &mut AnyConnection,
        password_hash: &str,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<u64> {
        let mut rng = self.rng(3);
        let staff = self.plan_staff(&mut rng);
        let total = staff.len() as u64;
        progress("staff", 0, total);
        let mut tx = self.begin(conn).await?;
        let mut rows = Bulk::new(
            self.backend,
            "staff",
            &[
                "id",
                "username",
                "name",
                "role",
                "station_id",
                "region_id",
                "phone",
                "password_hash",
                "active",
                "created_at",
                "wechat_id",
            ],
        );
        let mut certs = Bulk::new(
            self.backend,
            "certificates",
            &["id", "staff_id", "credential", "issued_on", "expires_on"],
        );
        let mut cert_rows: Vec<(i64, String, usize, usize)> = Vec::new();
        let d = &self.days;
        for (i, s) in staff.iter().enumerate() {
            let id = i as i64 + 1;
            rows.i(id)?;
            rows.s(s.username.as_str())?;
            rows.s(names::person(&mut rng))?;
            rows.s(s.role.code())?;
            rows.oi(s.station)?;
            rows.oi(s.region)?;
            rows.s(names::mobile(&mut rng))?;
            rows.s(password_hash)?;
            rows.i(1)?;
            rows.i(self.now_ms - rng.random_range(0..1_000i64) * DAY_MS)?;
            rows.os(demo_wechat_id(id, s))?;
            rows.row_then_flush(&mut tx).await?;

            let mut creds: Vec<String> = Vec::new();
            if s.role == Role::Technician {
                let g = if s.fixed {
                    3
                } else {
                    1 + pick(&mut rng, &[35, 30, 25, 10])
                };
                creds.push(format!("grade:{g}"));
                if s.fixed || rng.random_bool(0.35) {
                    creds.push("qualification:ev_high_voltage".into());
                }
                if !s.fixed && rng.random_bool(0.1) {
                    creds.push("qualification:body_paint".into());
                }
            } else if matches!(
                s.role,
                Role::ServiceAdvisor
                    | Role::PartsClerk
                    | Role::WarrantyClerk
                    | Role::CustomerRelations
                    | Role::StationManager
                    | Role::TechnicalDirector
            ) && (s.fixed || rng.random_bool(0.9))
            {
                creds.push(format!("position:{}", s.role.code()));
            }
            for cred in creds {
                // Three years of validity; issued up to ~3.4 years ago, so some have expired.
                let (issued, expires) = if s.fixed {
                    (d.rel(-200), d.rel(730))
                } else {
                    let issued = d.rel(-rng.random_range(30..1_250));
                    (issued, issued + 3 * 365)
                };
                cert_rows.push((id, cred, issued, expires.min(d.text.len() - 1)));
            }
        }
        rows.flush(&mut tx).await?;
        // Certificates after every account is written: they refer to them.
        for (i, (staff_id, cred, issued, expires)) in cert_rows.into_iter().enumerate() {
            certs.i(i as i64 + 1)?;
            certs.i(staff_id)?;
            certs.s(cred)?;
            certs.s(d.text[issued].as_str())?;
            certs.s(d.text[expires].as_str())?;
            certs.row_then_flush(&mut tx).await?;
        }
        certs.flush(&mut tx).await?;
        tx.commit().await?;
        progress("staff", total, total);
        Ok(total)
    }
}
