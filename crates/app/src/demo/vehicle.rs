//! Demo vehicles with valid VINs and plates of their station's city, owned by the demo
//! customers.

use super::*;
use crate::{AppError, AppResult};
use bulk::Bulk;
use domain::vin::Vin;
use rand::Rng;
use sqlx::AnyConnection;

impl Builder {
    pub(super) async fn write_vehicles(
        &self,
        conn: &mut AnyConnection,
        station_of: &[u32],
        progress: &(dyn Fn(&str, u64, u64) + Sync),
    ) -> AppResult<()> {
        let mut rng = self.rng(5);
        let n = self.counts.vehicles;
        let total = n as u64;
        let customers = station_of.len();
        if customers == 0 || n > 3_000_000 {
            return Err(AppError::Internal(
                "demo vehicles need 1 to 3,000,000 rows and some customers".into(),
            ));
        }
        progress("vehicles", 0, total);
        let maker_weights: Vec<u32> = names::MAKERS.iter().map(|m| m.weight).collect();
        let model_weights: Vec<Vec<u32>> = names::MAKERS
            .iter()
            .map(|m| m.models.iter().map(|x| x.weight).collect())
            .collect();
        // Plant letters: one set per million rows keeps (plant, serial) unique.
        const PLANTS: [&[u8; 8]; 3] = [b"ABCDEFGH", b"JKLMNPRS", b"TUVWXYZ1"];
        const YEAR_WEIGHTS: [u32; 12] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 8];
        let d = &self.days;
        let mut vehicles = Bulk::new(
            self.backend,
            "vehicles",
            &[
                "id",
                "vin",
                "brand",
                "model",
                "model_year",
                "plate",
                "purchase_date",
                "warranty_start",
                "warranty_end",
                "warranty_km",
                "is_ev",
                "owner_id",
                "station_id",
                "created_at",
            ],
        );
        let mut owners = Bulk::new(
            self.backend,
            "ownerships",
            &["id", "vehicle_id", "customer_id", "from_at"],
        );
        let mut readings = Bulk::new(
            self.backend,
            "odometer_readings",
            &[
                "id",
                "vehicle_id",
                "km",
                "source",
                "cluster_replaced",
                "recorded_at",
            ],
        );
        let mut reading_id = 0i64;
        let mut pending_owners: Vec<OwnerRow> = Vec::new();
        let mut pending_readings: Vec<ReadingRow> = Vec::new();
        let mut tx = self.begin(conn).await?;
        for i in 0..n {
            let id = i as i64 + 1;
            let owner = if i < customers {
                i + 1
            } else {
                rng.random_range(1..=customers)
            };
            let station_id = station_of[owner - 1] as usize;
            let station = &self.stations[station_id - 1];
            let mi = pick(&mut rng, &maker_weights);
            let maker = &names::MAKERS[mi];
            let model = &maker.models[pick(&mut rng, &model_weights[mi])];
            let year = 2015 + pick(&mut rng, &YEAR_WEIGHTS) as i64;
            let plant = PLANTS[i / 1_000_000][rng.random_range(0..8)] as char;
            let first8 = format!("{}{}", maker.wmi, model.vds);
            let last8 = format!("{}{}{:06}", names::year_code(year), plant, i % 1_000_000);
            let vin = Vin::with_check_digit(&first8, &last8).map_err(internal)?;
            // Bought between September before the model year and the end of it, not in the future.
            let ys = (year - 2014) as usize;
            let from = d.year_start[ys - 1] + 243;
            let to = (d.year_start[ys + 1] - 1).min(d.today.saturating_sub(1));
            let bought = if from < to {
                rng.random_range(from..=to)
            } else {
                to.saturating_sub(30)
            };
            let serial = (i as u64 * 100_000 / n as u64) as u32 + rng.random_range(0..3);
            let plate = if rng.random_bool(0.02) {
                None
            } else {
                self.plate(&mut rng, station, model.ev, Some(serial))
            };
            let bought_ms = d.ms(bought) + rng.random_range(9..18) * 3_600_000;

            vehicles.i(id)?;
            vehicles.s(vin.as_str())?;
            vehicles.s(maker.brand)?;
            vehicles.s(model.name)?;
            vehicles.i(year)?;
            vehicles.os(plate)?;
            vehicles.s(d.text[bought].as_str())?;
            vehicles.s(d.text[bought].as_str())?;
            vehicles.s(d.warranty_end[bought].as_str())?;
            vehicles.i(100_000)?;
            vehicles.i(model.ev as i64)?;
            vehicles.i(owner as i64)?;
            vehicles.i(station_id as i64)?;
            vehicles.i(bought_ms)?;
            pending_owners.push((id, owner as i64, bought_ms));

            let age = (d.today - bought).max(2) as i64;
            let per_day = rng.random_range(20..80i64);
            let first_day = (age * rng.random_range(30..60) / 100).max(1);
            let mut points = vec![(first_day, "advisor")];
            if rng.random_bool(0.5) {
                let second = (age - rng.random_range(0..=(age / 3).min(60))).max(first_day + 1);
                points.push((second, "telematics"));
            }
            for (day, source) in points {
                reading_id += 1;
                let km = day * per_day + rng.random_range(0..per_day);
                let at = d.ms(bought) + day * DAY_MS + rng.random_range(8..19) * 3_600_000;
                pending_readings.push((reading_id, id, km, source, at));
            }
            // Ownerships and readings go in once their vehicles are written.
            let last = (i + 1) % COMMIT_EVERY == 0;
            if vehicles.end_row() || last {
                vehicles.flush(&mut tx).await?;
                write_children(
                    &mut tx,
                    &mut owners,
                    &mut pending_owners,
                    &mut readings,
                    &mut pending_readings,
                )
                .await?;
            }
            if last {
                owners.flush(&mut tx).await?;
                readings.flush(&mut tx).await?;
                tx.commit().await?;
                progress("vehicles", i as u64 + 1, total);
                tx = self.begin(conn).await?;
            }
        }
        vehicles.flush(&mut tx).await?;
        write_children(
            &mut tx,
            &mut owners,
            &mut pending_owners,
            &mut readings,
            &mut pending_readings,
        )
        .await?;
        owners.flush(&mut tx).await?;
        readings.flush(&mut tx).await?;
        tx.commit().await?;
        progress("vehicles", total, total);
        Ok(())
    }
}
