//! Demo customers with valid phones and names.

use super::*;
use crate::AppResult;
use bulk::Bulk;
use rand::Rng;
use sqlx::AnyConnection;

impl Builder {
    /// Writes the customers and returns each one's station (index = id - 1).
    pub(super) async fn write_customers(
        &self,
        conn: &mut AnyConnection,
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<Vec<u32>> {
        let mut rng = self.rng(4);
        let n = self.counts.customers;
        let total = n as u64;
        progress("customers", 0, total);
        let mut cum: Vec<i64> = Vec::with_capacity(self.stations.len());
        let mut acc = 0;
        for s in &self.stations {
            acc += s.bays;
            cum.push(acc);
        }
        // Phones rise with the id (each prefix takes a block of ids, random digits within
        // a step of their own), so they are unique and the unique index only grows at its
        // end, which keeps a million inserts fast. 138 0000 0000 is kept for the demo owner.
        let prefixes = names::MOBILE_PREFIXES;
        let per_prefix = n.div_ceil(prefixes.len()).max(1) as u64;
        let step = (100_000_000 / per_prefix).max(2);
        let mut station_of = Vec::with_capacity(n);
        let mut rows = Bulk::new(
            self.backend,
            "customers",
            &[
                "id",
                "name",
                "phone",
                "station_id",
                "channel",
                "quiet_hours",
                "consent_service",
                "consent_marketing",
                "club_member",
                "created_at",
            ],
        );
        let mut tx = self.begin(conn).await?;
        for i in 0..n {
            let id = i as i64 + 1;
            let station = if id == 1 {
                1
            } else {
                let r = rng.random_range(0..acc.max(1));
                cum.partition_point(|c| *c <= r) as i64 + 1
            };
            station_of.push(station as u32);
            let phone = if id == 1 {
                DEMO_OWNER_PHONE.to_string()
            } else {
                let k = (id as u64 - 1) % per_prefix;
                let prefix = prefixes[((id as u64 - 1) / per_prefix) as usize % prefixes.len()];
                let digits = k * step + 1 + rng.random_range(0..step - 1);
                format!("+86{prefix}{digits:08}")
            };
            let channel = ["wechat", "sms", "call", "app"][pick(&mut rng, &[45, 30, 15, 10])];
            let quiet = match rng.random_range(0..10) {
                0..=3 => Some("22:00-08:00".to_string()),
                4 => Some("21:00-09:00".to_string()),
                _ => None,
            };
            rows.i(id)?;
            rows.s(names::person(&mut rng))?;
            rows.s(phone)?;
            rows.i(station)?;
            rows.s(channel)?;
            rows.os(quiet)?;
            rows.i(rng.random_bool(0.95) as i64)?;
            rows.i(rng.random_bool(0.4) as i64)?;
            rows.i(rng.random_bool(0.15) as i64)?;
            rows.i(self.now_ms - rng.random_range(0..1_500i64) * DAY_MS)?;
            rows.row_then_flush(&mut tx).await?;
            if (i + 1) % COMMIT_EVERY == 0 {
                rows.flush(&mut tx).await?;
                tx.commit().await?;
                progress("customers", i as u64 + 1, total);
                tx = self.begin(conn).await?;
            }
        }
        rows.flush(&mut tx).await?;
        tx.commit().await?;
        // Their consent flags as ledger entries, one statement per purpose.
        store::privacy::consent::append_flags_after(conn, 0, "import", "demo data", self.now_ms)
            .await?;
        progress("customers", total, total);
        Ok(station_of)
    }
}
