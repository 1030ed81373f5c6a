//! Demo data of the service network: regions, depots and stations in real prefecture
//! cities with their bays, and the plates of each station's city.

use super::*;
use crate::AppResult;
use bulk::Bulk;
use domain::plate::Plate;
use geo::{PROVINCES, REGIONS};
use rand::Rng;
use rand::rngs::StdRng;
use sqlx::AnyConnection;
use std::collections::HashMap;

impl Builder {
    pub(super) fn plan_stations(&mut self) {
        let mut rng = self.rng(1);
        let per_city = self.allocate();
        let mut order: Vec<usize> = (0..self.cities.len())
            .filter(|i| per_city[*i] > 0)
            .collect();
        order.sort_by(|a, b| {
            let (ca, cb) = (&self.cities[*a], &self.cities[*b]);
            PROVINCES[ca.province]
                .region
                .cmp(&PROVINCES[cb.province].region)
                .then(cb.weight.total_cmp(&ca.weight))
                .then(ca.adcode.cmp(&cb.adcode))
        });
        let mut stations = Vec::with_capacity(self.counts.stations);
        for ci in order {
            let city = &self.cities[ci];
            for _ in 0..per_city[ci] {
                let id = stations.len() as i64 + 1;
                let prov = &PROVINCES[city.province];
                let district =
                    (!city.districts.is_empty()).then(|| rng.random_range(0..city.districts.len()));
                let (lon, lat, jitter) = match district {
                    None => (city.lon, city.lat, 0.05),
                    Some(d) => (city.districts[d].lon, city.districts[d].lat, 0.02),
                };
                let lon = lon + rng.random_range(-jitter..jitter);
                let lat = lat + rng.random_range(-jitter..jitter);
                stations.push(StationPlan {
                    id,
                    code: format!("{}-{id:04}", prov.code),
                    district,
                    region: prov.region,
                    province: city.province,
                    city: ci,
                    lon_e6: (lon * 1e6).round() as i64,
                    lat_e6: (lat * 1e6).round() as i64,
                    bays: rng.random_range(6..=30),
                });
            }
        }
        self.stations = stations;
    }

    /// A plate of the station's city. `serial` (below 100,000) fixes the number when
    /// given: vehicles pass one that rises with their id, so the plate index grows in a
    /// few hundred places instead of at random ones.
    pub(super) fn plate(
        &self,
        rng: &mut StdRng,
        station: &StationPlan,
        new_energy: bool,
        serial: Option<u32>,
    ) -> Option<String> {
        let prov = PROVINCES[station.province].plate;
        let letter = self.cities[station.city].plate_letter;
        let number = serial.unwrap_or_else(|| rng.random_range(0..100_000u32)) % 100_000;
        let text = if new_energy {
            let kind = if rng.random_bool(0.8) { 'D' } else { 'F' };
            format!("{prov}{letter}{kind}{number:05}")
        } else if serial.is_none() && rng.random_bool(0.3) {
            const L: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
            let c = L[rng.random_range(0..L.len())] as char;
            format!("{prov}{letter}{c}{:04}", number % 10_000)
        } else {
            format!("{prov}{letter}{number:05}")
        };
        Plate::parse(&text).ok().map(|p| p.as_str().to_string())
    }

    pub(super) async fn write_network(&self, conn: &mut AnyConnection) -> AppResult<()> {
        let mut rng = self.rng(2);
        let mut tx = self.begin(conn).await?;
        let mut regions = Bulk::new(
            self.backend,
            "regions",
            &["id", "code", "name_zh", "name_en"],
        );
        let mut depots = Bulk::new(
            self.backend,
            "depots",
            &["id", "code", "name_zh", "name_en", "region_id", "address"],
        );
        for (i, (code, zh, en)) in REGIONS.iter().enumerate() {
            let id = i as i64 + 1;
            regions.i(id)?;
            regions.s(*code)?;
            regions.s(*zh)?;
            regions.s(*en)?;
            regions.end_row();
            // The depot sits in the weightiest city of its region.
            let hub = self
                .cities
                .iter()
                .filter(|c| PROVINCES[c.province].region == i)
                .max_by(|a, b| a.weight.total_cmp(&b.weight).then(b.adcode.cmp(&a.adcode)));
            let address = match hub {
                Some(c) => format!(
                    "{}{}物流园区{}号",
                    PROVINCES[c.province].full,
                    if c.full == PROVINCES[c.province].full {
                        ""
                    } else {
                        &c.full
                    },
                    8 + i
                ),
                None => format!("{zh}物流园区"),
            };
            depots.i(id)?;
            depots.s(format!("DEPOT-{code}"))?;
            depots.s(format!("{}备件中心库", zh.trim_end_matches("大区")))?;
            depots.s(format!("{en} Parts Depot"))?;
            depots.i(id)?;
            depots.s(address)?;
            depots.end_row();
        }
        regions.flush(&mut tx).await?;
        depots.flush(&mut tx).await?;

        let mut st = Bulk::new(
            self.backend,
            "stations",
            &[
                "id",
                "code",
                "name_zh",
                "name_en",
                "region_id",
                "address",
                "adcode",
                "city",
                "lon_e6",
                "lat_e6",
                "opening_hours",
                "bays",
                "capabilities",
                "status",
                "star_rating",
                "labour_rate_fen",
                "created_at",
                "updated_at",
            ],
        );
        let mut units = Bulk::new(
            self.backend,
            "mobile_units",
            &[
                "id",
                "code",
                "kind",
                "station_id",
                "plate",
                "lon_e6",
                "lat_e6",
                "state",
                "updated_at",
            ],
        );
        let mut used_names: HashMap<String, u32> = HashMap::new();
        for s in &self.stations {
            let city = &self.cities[s.city];
            let prov = &PROVINCES[s.province];
            let (area_short, area_full) = match s.district {
                None => {
                    let a = names::AREAS[rng.random_range(0..names::AREAS.len())];
                    (a.to_string(), format!("{a}区"))
                }
                Some(d) => (
                    city.districts[d].short.clone(),
                    city.districts[d].full.clone(),
                ),
            };
            let base = format!("{}{}", city.short, area_short);
            let k = used_names.entry(base.clone()).or_insert(0);
            *k += 1;
            let name_zh = if *k == 1 {
                format!("{base}4S店")
            } else {
                format!("{base}{k}号服务站")
            };
            let city_part = if city.full == prov.full {
                String::new()
            } else {
                city.full.clone()
            };
            let address = format!(
                "{}{}{}{}{}号",
                prov.full,
                city_part,
                area_full,
                names::STREETS[rng.random_range(0..names::STREETS.len())],
                rng.random_range(1..=999)
            );
            let mut caps = vec!["maintenance", "mechanical"];
            if rng.random_bool(0.7) {
                caps.push("body_paint");
            }
            if s.id == 1 || rng.random_bool(0.6) {
                caps.push("ev_high_voltage");
            }
            if rng.random_bool(0.8) {
                caps.push("tyres");
            }
            if rng.random_bool(0.4) {
                caps.push("glass");
            }
            let hours = ["08:30-18:00", "08:30-18:00", "08:00-17:30", "09:00-18:00"]
                [rng.random_range(0..4)];
            st.i(s.id)?;
            st.s(s.code.as_str())?;
            st.s(name_zh)?;
            st.s(format!("{} Service Centre {}", prov.en, s.code))?;
            st.i(s.region as i64 + 1)?;
            st.s(address)?;
            st.s(city.adcode.as_str())?;
            st.s(city.full.as_str())?;
            st.i(s.lon_e6)?;
            st.i(s.lat_e6)?;
            st.s(hours)?;
            st.i(s.bays)?;
            st.s(caps.join(","))?;
            st.s("active")?;
            st.i(rng.random_range(2..=5))?;
            st.i(rng.random_range(30..=50) * 500)?;
            st.i(self.now_ms)?;
            st.i(self.now_ms)?;
            st.row_then_flush(&mut tx).await?;
        }
        st.flush(&mut tx).await?;
        // Units after every station is written: they refer to them.
        for s in &self.stations {
            let prov = &PROVINCES[s.province];
            for (k, kind) in ["rescue_truck", "service_van"].into_iter().enumerate() {
                units.i((s.id - 1) * 2 + k as i64 + 1)?;
                units.s(format!("{}-{}", s.code, if k == 0 { "R1" } else { "V1" }))?;
                units.s(kind)?;
                units.i(s.id)?;
                let green = k == 1 && rng.random_bool(0.5);
                let plate = self.plate(&mut rng, s, green, None);
                units.s(plate.unwrap_or_else(|| format!("{}A00000", prov.plate)))?;
                units.i(s.lon_e6 + rng.random_range(-3000..3000))?;
                units.i(s.lat_e6 + rng.random_range(-3000..3000))?;
                units.s(if rng.random_bool(0.85) {
                    "available"
                } else {
                    "off_duty"
                })?;
                units.i(self.now_ms)?;
                units.row_then_flush(&mut tx).await?;
            }
        }
        units.flush(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
