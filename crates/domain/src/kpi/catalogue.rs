//! Every KPI of SPEC §12, defined once. Each [`KpiKey`] variant's doc comment is its
//! formula: what the numerator and denominator count, which event counts, and which
//! month the case belongs to. The [`Definition`] adds the direction, the unit and the
//! data source; a KPI whose area does not exist yet has [`Source::NotYet`] and is
//! shown as "—" with a note, never as 0.

use serde::{Deserialize, Serialize};

use super::Counter;

/// A KPI of SPEC §12.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiKey {
    /// Customer satisfaction (CSI, §10), 100-point scale: sum of the answered surveys'
    /// weighted CSI scores in hundredths of a point (`total`) ÷ 100 ÷ surveys answered
    /// (`denominator`), in the month (station's zone) the survey was finished.
    Csi,
    /// Net promoter score (§10), −100…100: (answers 9–10 (`numerator`) − answers 0–6
    /// (`total`)) × 100 ÷ answers to "would you recommend" (`denominator`), in the
    /// month the survey was finished.
    Nps,
    /// First-time fix (一次修复率, FFV): orders delivered with no comeback received
    /// within the 12-month repair guarantee (`numerator`) ÷ orders delivered
    /// (`denominator`), in the month of delivery (station's zone). A comeback opened
    /// later takes one off the numerator of the original's delivery month.
    FirstTimeFix,
    /// Mean repair duration (MDT): sum over delivered orders of (hand-over − reception)
    /// in whole minutes (`total`) ÷ orders delivered (`denominator`), in the month of
    /// delivery.
    MeanRepairDuration,
    /// On-time delivery: orders handed over by their promised time (`numerator`; no
    /// promise is not on time) ÷ orders delivered (`denominator`), month of delivery.
    OnTimeDelivery,
    /// Complaint 1-hour response: complaints whose first response (a `responded` or
    /// `acknowledge` event) came within 60 minutes of receipt (`numerator`) ÷
    /// complaints received (`denominator`), in the month of receipt, at the station
    /// now responsible.
    ComplaintResponse1h,
    /// Complaint 2-hour response: as the 1-hour rate with a 120-minute limit.
    ComplaintResponse2h,
    /// 3-day closure: complaints first closed within 72 hours of receipt
    /// (`numerator`) ÷ complaints received (`denominator`), month of receipt.
    ComplaintClosure3d,
    /// Rescue timely arrival: rescues arrived within the target ÷ rescues, month of
    /// the call. No data source yet (the rescue area does not exist).
    RescueOnTime,
    /// Parts fill rate (满足率): order lines filled from stock ÷ order lines, month of
    /// the order. No data source yet (the parts-supply area does not exist).
    PartsFill,
    /// Parts timeliness (及时率): deliveries within the promised time ÷ deliveries,
    /// month of delivery. No data source yet.
    PartsTimeliness,
    /// Reminder conversion: reminders followed by a booking within 30 days ÷
    /// reminders, month of the reminder. No data source yet.
    ReminderConversion,
    /// Audit compliance (落实率, §10): checkpoints passed (`numerator`) ÷ checkpoints
    /// applicable, passed + failed (`denominator`), summed over the submitted
    /// quality-audit visits of the month of the visit day.
    AuditCompliance,
}

/// Whether a higher figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (rates, CSI, NPS).
    HigherIsBetter,
    /// Less is better (repair time).
    LowerIsBetter,
}

/// How a KPI's counter becomes a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// `numerator × 100 ÷ denominator`, 0–100 %.
    Percent,
    /// `total ÷ denominator`, minutes.
    Minutes,
    /// `total ÷ denominator ÷ 100`, points of 100 (the total is kept in hundredths
    /// of a point so a respondent's weighted score keeps two decimals).
    Points,
    /// `(numerator − total) × 100 ÷ denominator`, −100…100.
    NetScore,
}

/// Where a KPI's counters come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Repair orders: delivery and comeback detection.
    RepairOrders,
    /// Complaints: receipt, first response, closure, reassignment.
    Complaints,
    /// Callback surveys: counted by `app::kpi::record::survey_answered` when a survey
    /// is finished (owner link or agent call).
    Survey,
    /// Submitted quality-audit visits (mystery shoppers included).
    QualityAudits,
    /// The area that would feed it does not exist yet: shown as "—" with a note.
    NotYet,
}

impl Source {
    /// Whether figures of this source are computed today.
    pub fn has_data(self) -> bool {
        !matches!(self, Source::NotYet)
    }
}

/// One KPI's definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    /// Which KPI.
    pub key: KpiKey,
    /// Higher or lower is better.
    pub direction: Direction,
    /// How its counter becomes a figure.
    pub unit: Unit,
    /// Where its counters come from.
    pub source: Source,
}

const fn def(key: KpiKey, direction: Direction, unit: Unit, source: Source) -> Definition {
    Definition {
        key,
        direction,
        unit,
        source,
    }
}

use Direction::{HigherIsBetter as Up, LowerIsBetter as Down};

/// Every KPI, in the order dashboards show them.
pub const CATALOGUE: [Definition; 13] = [
    def(KpiKey::Csi, Up, Unit::Points, Source::Survey),
    def(KpiKey::Nps, Up, Unit::NetScore, Source::Survey),
    def(
        KpiKey::FirstTimeFix,
        Up,
        Unit::Percent,
        Source::RepairOrders,
    ),
    def(
        KpiKey::MeanRepairDuration,
        Down,
        Unit::Minutes,
        Source::RepairOrders,
    ),
    def(
        KpiKey::OnTimeDelivery,
        Up,
        Unit::Percent,
        Source::RepairOrders,
    ),
    def(
        KpiKey::ComplaintResponse1h,
        Up,
        Unit::Percent,
        Source::Complaints,
    ),
    def(
        KpiKey::ComplaintResponse2h,
        Up,
        Unit::Percent,
        Source::Complaints,
    ),
    def(
        KpiKey::ComplaintClosure3d,
        Up,
        Unit::Percent,
        Source::Complaints,
    ),
    def(KpiKey::RescueOnTime, Up, Unit::Percent, Source::NotYet),
    def(KpiKey::PartsFill, Up, Unit::Percent, Source::NotYet),
    def(KpiKey::PartsTimeliness, Up, Unit::Percent, Source::NotYet),
    def(
        KpiKey::ReminderConversion,
        Up,
        Unit::Percent,
        Source::NotYet,
    ),
    def(
        KpiKey::AuditCompliance,
        Up,
        Unit::Percent,
        Source::QualityAudits,
    ),
];

/// Every KPI, in the order dashboards show them.
pub fn catalogue() -> &'static [Definition] {
    &CATALOGUE
}

impl KpiKey {
    /// Every KPI, in the order dashboards show them (the catalogue's order).
    pub const ALL: [KpiKey; 13] = [
        KpiKey::Csi,
        KpiKey::Nps,
        KpiKey::FirstTimeFix,
        KpiKey::MeanRepairDuration,
        KpiKey::OnTimeDelivery,
        KpiKey::ComplaintResponse1h,
        KpiKey::ComplaintResponse2h,
        KpiKey::ComplaintClosure3d,
        KpiKey::RescueOnTime,
        KpiKey::PartsFill,
        KpiKey::PartsTimeliness,
        KpiKey::ReminderConversion,
        KpiKey::AuditCompliance,
    ];

    /// The stable code stored with counters and used in URLs and exports.
    pub fn code(self) -> &'static str {
        match self {
            KpiKey::Csi => "csi",
            KpiKey::Nps => "nps",
            KpiKey::FirstTimeFix => "ffv",
            KpiKey::MeanRepairDuration => "mdt",
            KpiKey::OnTimeDelivery => "on_time",
            KpiKey::ComplaintResponse1h => "complaint_response_1h",
            KpiKey::ComplaintResponse2h => "complaint_response_2h",
            KpiKey::ComplaintClosure3d => "complaint_closure_3d",
            KpiKey::RescueOnTime => "rescue_on_time",
            KpiKey::PartsFill => "parts_fill",
            KpiKey::PartsTimeliness => "parts_timeliness",
            KpiKey::ReminderConversion => "reminder_conversion",
            KpiKey::AuditCompliance => "audit_compliance",
        }
    }

    /// The KPI of a stored code.
    pub fn from_code(code: &str) -> Option<KpiKey> {
        CATALOGUE.iter().map(|d| d.key).find(|k| k.code() == code)
    }

    /// The translation key of its name (`kpi.name.<code>`).
    pub fn name_key(self) -> String {
        format!("kpi.name.{}", self.code())
    }

    /// Its definition.
    pub fn definition(self) -> Definition {
        CATALOGUE
            .iter()
            .copied()
            .find(|d| d.key == self)
            .unwrap_or(def(self, Up, Unit::Percent, Source::NotYet))
    }

    /// The figure of `c` in this KPI's unit; `None` when nothing was counted or the
    /// KPI has no data source yet (never a fake 0).
    pub fn value(self, c: &Counter) -> Option<f64> {
        let d = self.definition();
        if d.source == Source::NotYet || c.denominator <= 0 {
            return None;
        }
        let den = c.denominator as f64;
        Some(match d.unit {
            Unit::Percent => c.numerator as f64 * 100.0 / den,
            Unit::Minutes => c.total as f64 / den,
            Unit::Points => c.total as f64 / den / 100.0,
            Unit::NetScore => (c.numerator - c.total) as f64 * 100.0 / den,
        })
    }
}
