//! Server-rendered SVG charts of the complaint analysis: a ranking (horizontal bars)
//! and a trend (lines of rates per month). No script, no CDN; each picture carries a
//! text alternative (`<title>` and `aria-label`) listing every figure it shows, and
//! the page shows the same figures in a table.

/// Escapes text for an SVG attribute or text node.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One bar of a ranking: its label, its length (any unit ≥ 0) and the text shown.
pub struct Bar {
    /// Group name.
    pub label: String,
    /// Length.
    pub value: f64,
    /// The figure written beside the bar.
    pub text: String,
}

/// A ranking: one horizontal bar per group, longest first as given.
pub fn ranking(id: &str, title: &str, bars: &[Bar]) -> String {
    let row = 26;
    let h = row * bars.len().max(1) as i64 + 10;
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let alt = format!(
        "{title}: {}",
        bars.iter()
            .map(|b| format!("{} {}", b.label, b.text))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let alt = esc(&alt);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart" viewBox="0 0 640 {h}" width="100%" role="img" aria-label="{alt}"><title>{alt}</title>"#
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 5 + row * i as i64;
        let w = if max > 0.0 {
            (b.value / max * 330.0).round() as i64
        } else {
            0
        };
        svg.push_str(&format!(
            r##"<text x="200" y="{ty}" font-size="13" text-anchor="end">{label}</text><rect x="210" y="{y}" width="{w}" height="18" fill="#1677ff"/><text x="{tx}" y="{ty}" font-size="12">{text}</text>"##,
            ty = y + 14,
            label = esc(&truncate(&b.label, 24)),
            tx = 216 + w,
            text = esc(&b.text),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// One line of a trend: its name, colour and a value (0–100 %) per month.
pub struct Line {
    /// Name in the legend.
    pub name: String,
    /// Stroke colour.
    pub colour: &'static str,
    /// Percent per month; `None` where the month had nothing to count.
    pub points: Vec<Option<f64>>,
}

/// A trend of rates (0–100 %) over months.
pub fn trend(id: &str, title: &str, months: &[String], lines: &[Line]) -> String {
    let (w, h, left, top, bottom) = (640.0, 220.0, 40.0, 10.0, 170.0);
    let step = if months.len() > 1 {
        (w - left - 20.0) / (months.len() - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| left + step * i as f64;
    let y = |p: f64| bottom - (bottom - top) * p.clamp(0.0, 100.0) / 100.0;
    let alt = format!(
        "{title}: {}",
        lines
            .iter()
            .map(|l| {
                let pts = months
                    .iter()
                    .zip(&l.points)
                    .map(|(m, p)| {
                        format!(
                            "{m} {}",
                            p.map(|v| format!("{v:.1}%")).unwrap_or_else(|| "–".into())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{}: {pts}", l.name)
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
    let alt = esc(&alt);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{alt}"><title>{alt}</title>"#
    );
    for p in [0.0, 50.0, 100.0] {
        svg.push_str(&format!(
            r##"<line x1="{left}" y1="{yy}" x2="{x2}" y2="{yy}" stroke="#ddd"/><text x="{tx}" y="{ty}" font-size="11" text-anchor="end">{p}%</text>"##,
            yy = y(p),
            x2 = w - 20.0,
            tx = left - 4.0,
            ty = y(p) + 4.0,
        ));
    }
    for (i, m) in months.iter().enumerate() {
        svg.push_str(&format!(
            r#"<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>"#,
            x(i),
            bottom + 16.0,
            esc(m)
        ));
    }
    for (n, l) in lines.iter().enumerate() {
        let pts: Vec<String> = l
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        if !pts.is_empty() {
            svg.push_str(&format!(
                r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
                l.colour,
                pts.join(" ")
            ));
        }
        for (i, p) in l.points.iter().enumerate() {
            if let Some(v) = p {
                svg.push_str(&format!(
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                    x(i),
                    y(*v),
                    l.colour
                ));
            }
        }
        let lx = left + 160.0 * n as f64;
        svg.push_str(&format!(
            r#"<rect x="{lx}" y="{}" width="12" height="4" fill="{}"/><text x="{}" y="{}" font-size="12">{}</text>"#,
            h - 14.0,
            l.colour,
            lx + 16.0,
            h - 8.0,
            esc(&l.name)
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ranking_names_every_bar_in_its_text_alternative_and_escapes() {
        let svg = ranking(
            "r",
            "Complaints",
            &[
                Bar {
                    label: "A<b>".into(),
                    value: 3.0,
                    text: "3".into(),
                },
                Bar {
                    label: "B".into(),
                    value: 0.0,
                    text: "0".into(),
                },
            ],
        );
        assert!(
            svg.contains("aria-label=\"Complaints: A&lt;b&gt; 3; B 0\""),
            "{svg}"
        );
        assert!(!svg.contains("<b>"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }

    #[test]
    fn a_trend_skips_empty_months_and_lists_them_as_dashes() {
        let svg = trend(
            "t",
            "Rates",
            &["2026-10".into(), "2026-11".into()],
            &[Line {
                name: "1 h".into(),
                colour: "#1677ff",
                points: vec![None, Some(50.0)],
            }],
        );
        assert!(svg.contains("2026-10 –, 2026-11 50.0%"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 1);
    }
}
