//! The dashboards' pictures as server-rendered SVG (no script, no CDN): the 12-month
//! trend line of a KPI and the map of stations as points on a plain background
//! coloured by a KPI (no province or national outlines are drawn). Each picture has a
//! text alternative (`role="img"`, `aria-label`, `<title>`); the page puts the same
//! numbers in a table beside it.

use std::fmt::Write;

/// Escapes text for SVG/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The five colours of the map, worst to best (a diverging red–green scale).
pub const CLASS_COLOURS: [&str; 5] = ["#c0392b", "#e67e22", "#f1c40f", "#7cb342", "#2e7d32"];

/// Grey for a station without a figure.
pub const NO_DATA: &str = "#b0b7c3";

/// A line chart of one KPI over months: `points` are (month label, value, value
/// text); missing values break the line. `alt` is the text alternative.
pub fn trend_line(id: &str, points: &[(String, Option<f64>, String)], alt: &str) -> String {
    let (w, h, left, top, bottom) = (640.0, 220.0, 48.0, 16.0, 32.0);
    let vals: Vec<f64> = points.iter().filter_map(|p| p.1).collect();
    let (mut lo, mut hi) = vals
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    if vals.is_empty() {
        (lo, hi) = (0.0, 100.0);
    }
    lo = lo.min(0.0);
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    hi += (hi - lo) * 0.1;
    let n = points.len().max(2) as f64;
    let x = |i: usize| left + (w - left - 16.0) * i as f64 / (n - 1.0);
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v - lo) / (hi - lo));
    let alt = esc(alt);
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{alt}" preserveAspectRatio="xMidYMid meet"><title>{alt}</title><rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>"##
    );
    for v in [lo, (lo + hi) / 2.0, hi] {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e6eb"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#4e5969">{v:.0}</text>"##,
            w - 16.0,
            left - 6.0,
            y(v) + 4.0,
            y = y(v)
        );
    }
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, s: &mut String| {
        if run.len() > 1 {
            let _ = write!(
                s,
                r##"<polyline fill="none" stroke="#1677ff" stroke-width="2" points="{}"/>"##,
                run.join(" ")
            );
        }
        run.clear();
    };
    for (i, (label, v, text)) in points.iter().enumerate() {
        match v {
            Some(v) => {
                run.push(format!("{:.1},{:.1}", x(i), y(*v)));
                let _ = write!(
                    s,
                    r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#1677ff"><title>{}: {}</title></circle>"##,
                    x(i),
                    y(*v),
                    esc(label),
                    esc(text)
                );
            }
            None => flush(&mut run, &mut s),
        }
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#4e5969">{}</text>"##,
            x(i),
            h - 10.0,
            esc(label.get(5..).unwrap_or(label))
        );
    }
    flush(&mut run, &mut s);
    s.push_str("</svg>");
    s
}

/// A station on the map.
pub struct MapPoint {
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Colour class 0–4 (worst to best), or `None` without a figure.
    pub class: Option<usize>,
    /// The point's tooltip: name and figure.
    pub label: String,
    /// Where a click leads (the station's dashboard).
    pub href: String,
}

/// The stations as points on a plain background, projected equirectangularly onto
/// their own bounding box (no outlines of any province or country are drawn).
pub fn station_map(points: &[MapPoint], alt: &str, legend: &[(String, &str)]) -> String {
    let (w, h, pad) = (640.0, 440.0, 24.0);
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in points {
        x0 = x0.min(p.lon);
        x1 = x1.max(p.lon);
        y0 = y0.min(p.lat);
        y1 = y1.max(p.lat);
    }
    if points.is_empty() {
        (x0, x1, y0, y1) = (100.0, 125.0, 20.0, 45.0);
    }
    let mid = ((y0 + y1) / 2.0).to_radians().cos().max(0.2);
    let span_x = ((x1 - x0) * mid).max(0.5);
    let span_y = (y1 - y0).max(0.5);
    let map_h = h - 40.0;
    let scale = ((w - 2.0 * pad) / span_x).min((map_h - 2.0 * pad) / span_y);
    let ox = (w - span_x * scale) / 2.0;
    let oy = (map_h - span_y * scale) / 2.0;
    let alt = esc(alt);
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" id="kpi-map" class="chart" viewBox="0 0 {w} {h}" role="group" aria-label="{alt}" preserveAspectRatio="xMidYMid meet"><title>{alt}</title><rect x="0" y="0" width="{w}" height="{h}" fill="#f7f8fa"/>"##
    );
    // Stations without a figure first, so coloured points are drawn on top.
    let mut order: Vec<&MapPoint> = points.iter().collect();
    order.sort_by_key(|p| p.class.map(|c| c + 1).unwrap_or(0));
    for p in order {
        let cx = ox + (p.lon - x0) * mid * scale;
        let cy = oy + (y1 - p.lat) * scale;
        let fill = p.class.map(|c| CLASS_COLOURS[c.min(4)]).unwrap_or(NO_DATA);
        let _ = write!(
            s,
            r##"<a href="{}"><circle cx="{cx:.1}" cy="{cy:.1}" r="5" fill="{fill}" stroke="#ffffff" stroke-width="1"><title>{}</title></circle></a>"##,
            esc(&p.href),
            esc(&p.label)
        );
    }
    for (i, (text, colour)) in legend.iter().enumerate() {
        let x = 16.0 + 122.0 * i as f64;
        let _ = write!(
            s,
            r##"<rect x="{x}" y="{}" width="12" height="12" fill="{colour}"/><text x="{}" y="{}" font-size="11" fill="#1f2329">{}</text>"##,
            h - 26.0,
            x + 16.0,
            h - 16.0,
            esc(text)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_breaks_where_a_month_has_no_figure_and_carries_its_text() {
        let pts = vec![
            ("2026-01".to_string(), Some(80.0), "80.0%".to_string()),
            ("2026-02".to_string(), Some(90.0), "90.0%".to_string()),
            ("2026-03".to_string(), None, "—".to_string()),
            ("2026-04".to_string(), Some(70.0), "70.0%".to_string()),
        ];
        let svg = trend_line("t", &pts, "FFV <alt>");
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("aria-label=\"FFV &lt;alt&gt;\""));
    }

    #[test]
    fn the_map_draws_points_only() {
        let pts = vec![
            MapPoint {
                lon: 121.47,
                lat: 31.23,
                class: Some(4),
                label: "上海".into(),
                href: "/x?a=1&b=2".into(),
            },
            MapPoint {
                lon: 104.06,
                lat: 30.67,
                class: None,
                label: "成都".into(),
                href: "/y".into(),
            },
        ];
        let svg = station_map(&pts, "map", &[("≥ 90".into(), CLASS_COLOURS[4])]);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(!svg.contains("<path"), "no outlines");
        assert!(svg.contains("/x?a=1&amp;b=2"));
        assert!(svg.contains(NO_DATA));
    }
}
