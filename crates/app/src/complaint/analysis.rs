//! The complaint analysis (SPEC §6, §12): the complaints received in a period within
//! the caller's reach, summarised per category, station, region, model, part or month with
//! the formulas of `domain::complaint::analysis`, a monthly trend, and the single
//! complaints of a group for the drill-down; exported as CSV or XLSX.

use crate::{App, AppError, AppResult, conn};
use domain::calendar::shanghai;
use domain::complaint::analysis::{self as rules, Fact, Summary};
use domain::complaint::sla::Stage;
use domain::permission::{Action, Grant};
pub use store::complaint::analysis::FactRow;

/// What the groups are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Complaint category.
    Category,
    /// The station responsible.
    Station,
    /// The station's region.
    Region,
    /// The vehicle's model ("" when no vehicle was linked).
    Model,
    /// The part the analysis named, by catalogue number ("" when none was named).
    Part,
    /// The month of receipt (Asia/Shanghai), `YYYY-MM`.
    Month,
}

impl Dimension {
    /// Every dimension, in the order the page offers them.
    pub const ALL: &'static [Dimension] = &[
        Dimension::Category,
        Dimension::Station,
        Dimension::Region,
        Dimension::Model,
        Dimension::Part,
        Dimension::Month,
    ];

    /// The stable code in links.
    pub fn code(self) -> &'static str {
        match self {
            Dimension::Category => "category",
            Dimension::Station => "station",
            Dimension::Region => "region",
            Dimension::Model => "model",
            Dimension::Part => "part",
            Dimension::Month => "month",
        }
    }

    /// The dimension of a code (category when unknown).
    pub fn of(code: &str) -> Dimension {
        Dimension::ALL
            .iter()
            .copied()
            .find(|d| d.code() == code)
            .unwrap_or(Dimension::Category)
    }

    /// The group key of a complaint: a code, an id or a month.
    pub fn key(self, r: &FactRow) -> String {
        match self {
            Dimension::Category => r.category.clone(),
            Dimension::Station => r.station_id.to_string(),
            Dimension::Region => r.region_id.to_string(),
            Dimension::Model => r.model.clone().unwrap_or_default(),
            Dimension::Part => rules::part_key(r.part.as_ref().map(|p| p.0.as_str())).to_string(),
            Dimension::Month => month_of(r.received_at),
        }
    }
}

/// The month (`YYYY-MM`, Asia/Shanghai) of an instant.
pub fn month_of(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            let d = t.to_zoned(shanghai()).date();
            format!("{:04}-{:02}", d.year(), d.month())
        })
        .unwrap_or_default()
}

/// The analysis' fact of a stored complaint (its first clock).
pub fn fact(r: &FactRow) -> Fact {
    let mut f = Fact {
        received_at: r.received_at,
        reopened: r.reopened,
        ..Default::default()
    };
    for (code, met_at, counted) in &r.stages {
        let Some(stage) = Stage::from_code(code) else {
            continue;
        };
        if stage == Stage::Closure {
            f.closed_at = Some(*met_at);
        }
        if let Some(m) = counted {
            if stage == Stage::FirstResponse {
                f.response_minutes = Some(*m);
            }
            f.stage_minutes.push((stage, *m));
        }
    }
    f.breached = r
        .breached
        .iter()
        .filter_map(|c| Stage::from_code(c))
        .collect();
    f
}

/// The analysis of a period.
#[derive(Debug, Clone)]
pub struct Report {
    /// Everything together.
    pub total: Summary,
    /// One summary per group, largest first.
    pub groups: Vec<(String, Summary)>,
    /// One summary per month, oldest first.
    pub trend: Vec<(String, Summary)>,
    /// The complaints of the period.
    pub rows: Vec<FactRow>,
}

/// Longest period analysed at once: a little over two years.
pub const MAX_PERIOD_MS: i64 = 800 * 86_400_000;

/// The complaints received in `[from, to)` within the caller's reach, by `dim`.
pub async fn analyse(
    app: &App,
    grant: &Grant,
    dim: Dimension,
    from: i64,
    to: i64,
) -> AppResult<Report> {
    crate::network::expect(grant, Action::ComplaintRead)?;
    if to <= from || to - from > MAX_PERIOD_MS {
        return Err(AppError::Invalid(
            domain::Violation::new("to", "complaint.period_invalid").into(),
        ));
    }
    let mut c = conn(app).await?;
    let rows = store::complaint::analysis::facts(&mut c, grant.reach(), from, to).await?;
    let facts: Vec<Fact> = rows.iter().map(fact).collect();
    let total = rules::summarise(&facts);
    let mut groups = rules::by(rows.iter().zip(&facts).map(|(r, f)| (dim.key(r), f)));
    groups.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(&b.0)));
    let trend = rules::by(
        rows.iter()
            .zip(&facts)
            .map(|(r, f)| (month_of(r.received_at), f)),
    );
    Ok(Report {
        total,
        groups,
        trend,
        rows,
    })
}

/// A table (headings and rows already in the reader's language) as CSV: UTF-8 with
/// a byte-order mark so spreadsheet programs read Chinese, every cell quoted and
/// neutralised so a spreadsheet never evaluates it.
pub fn csv(heads: &[String], rows: &[Vec<String>]) -> String {
    use domain::billing::reconciliation::spreadsheet_cell;
    let line = |cells: &[String]| {
        cells
            .iter()
            .map(|c| format!("\"{}\"", spreadsheet_cell(c).replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = String::from("\u{feff}");
    out.push_str(&line(heads));
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&line(r));
        out.push_str("\r\n");
    }
    out
}

/// The same table as an XLSX workbook of one sheet, every cell a string (never a
/// formula), neutralised as in [`csv`].
pub fn xlsx(sheet_name: &str, heads: &[String], rows: &[Vec<String>]) -> AppResult<Vec<u8>> {
    use domain::billing::reconciliation::spreadsheet_cell;
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).map_err(err)?;
    let bold = Format::new().set_bold();
    for (i, h) in heads.iter().enumerate() {
        sheet
            .write_string_with_format(0, i as u16, spreadsheet_cell(h), &bold)
            .map_err(err)?;
    }
    for (n, r) in rows.iter().enumerate() {
        for (i, cell) in r.iter().enumerate() {
            sheet
                .write_string(n as u32 + 1, i as u16, spreadsheet_cell(cell))
                .map_err(err)?;
        }
    }
    sheet.autofit();
    book.save_to_buffer().map_err(err)
}
