//! The dashboard's numbers as CSV and XLSX: one row per unit (the scope's total, then
//! every station) and KPI, with the counts and the figure, so a spreadsheet can
//! recompute every figure and get the same number as the page and the API.

use super::Dashboard;
use crate::{AppError, AppResult};
use domain::billing::reconciliation::spreadsheet_cell;
use domain::kpi::{Counter, KpiKey, catalogue};

/// One exported row.
struct Row<'a> {
    code: &'a str,
    name: &'a str,
    kpi: &'static str,
    kpi_name: String,
    counter: Counter,
    value: Option<f64>,
}

/// The translated texts an export needs: the column heads (10), the total row's
/// name, a KPI's name and a station's name.
pub struct Texts<'a> {
    /// Column heads: period, unit code, unit name, KPI code, KPI name, numerator,
    /// denominator, sum, figure, note.
    pub heads: [String; 10],
    /// The name of the scope's total row.
    pub total: String,
    /// The note of a KPI without a data source yet.
    pub no_source: String,
    /// A KPI's translated name.
    pub kpi_name: &'a dyn Fn(KpiKey) -> String,
    /// Chinese or English station names.
    pub english: bool,
}

fn rows<'a>(d: &'a Dashboard, t: &'a Texts<'a>) -> Vec<Row<'a>> {
    let mut out = Vec::new();
    for tile in &d.tiles {
        out.push(Row {
            code: "",
            name: &t.total,
            kpi: tile.definition.key.code(),
            kpi_name: (t.kpi_name)(tile.definition.key),
            counter: tile.now.counter,
            value: tile.now.value,
        });
    }
    for st in &d.stations {
        let name = if t.english {
            &st.station.name_en
        } else {
            &st.station.name_zh
        };
        for (def, f) in catalogue().iter().zip(&st.figures) {
            out.push(Row {
                code: &st.station.code,
                name,
                kpi: def.key.code(),
                kpi_name: (t.kpi_name)(def.key),
                counter: f.counter,
                value: f.value,
            });
        }
    }
    out
}

fn note(r: &Row<'_>, t: &Texts<'_>) -> String {
    match KpiKey::from_code(r.kpi).map(|k| k.definition().source) {
        Some(domain::kpi::Source::NotYet) => t.no_source.clone(),
        _ => String::new(),
    }
}

fn figure(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// The dashboard as CSV (UTF-8 with a BOM, for spreadsheet programs in China).
pub fn csv(d: &Dashboard, t: &Texts<'_>) -> AppResult<Vec<u8>> {
    let err = |e: csv::Error| AppError::Internal(e.to_string());
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&t.heads).map_err(err)?;
        for r in rows(d, t) {
            w.write_record([
                d.period.clone(),
                spreadsheet_cell(r.code).into_owned(),
                spreadsheet_cell(r.name).into_owned(),
                r.kpi.to_string(),
                spreadsheet_cell(&r.kpi_name).into_owned(),
                r.counter.numerator.to_string(),
                r.counter.denominator.to_string(),
                r.counter.total.to_string(),
                figure(r.value),
                note(&r, t),
            ])
            .map_err(err)?;
        }
        w.flush().map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(out)
}

/// The dashboard as an XLSX workbook: the same rows as [`csv`], counts and figures
/// as numbers, text cells as strings (never formulas).
pub fn xlsx(d: &Dashboard, t: &Texts<'_>) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(&d.period).map_err(err)?;
    let bold = Format::new().set_bold();
    let two = Format::new().set_num_format("0.00");
    for (i, h) in t.heads.iter().enumerate() {
        sheet
            .write_string_with_format(0, i as u16, h, &bold)
            .map_err(err)?;
    }
    for (n, r) in rows(d, t).iter().enumerate() {
        let row = n as u32 + 1;
        sheet.write_string(row, 0, &d.period).map_err(err)?;
        sheet
            .write_string(row, 1, spreadsheet_cell(r.code))
            .map_err(err)?;
        sheet
            .write_string(row, 2, spreadsheet_cell(r.name))
            .map_err(err)?;
        sheet.write_string(row, 3, r.kpi).map_err(err)?;
        sheet
            .write_string(row, 4, spreadsheet_cell(&r.kpi_name))
            .map_err(err)?;
        for (col, v) in [
            (5u16, r.counter.numerator),
            (6, r.counter.denominator),
            (7, r.counter.total),
        ] {
            sheet.write_number(row, col, v as f64).map_err(err)?;
        }
        if let Some(v) = r.value {
            sheet
                .write_number_with_format(row, 8, v, &two)
                .map_err(err)?;
        }
        let nt = note(r, t);
        if !nt.is_empty() {
            sheet.write_string(row, 9, &nt).map_err(err)?;
        }
    }
    sheet.autofit();
    book.save_to_buffer().map_err(err)
}
