//! Tables as pictures for design documents: the objectives' verdicts of a
//! report and a comparison of two designs, as SVG (and PNG through
//! [`crate::picture::svg_to_png`]). Monospaced text (Hack), so columns
//! line up exactly; marks drawn as paths, so no font needs them.

use std::fmt::Write as _;

use sim_core::Report;
use sim_core::compare::Comparison;
use sim_core::slo::Verdict;

use crate::picture::Look;

/// How a row stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Met,
    Violated,
    Open,
}

impl Mark {
    fn of(verdict: Verdict) -> Self {
        match verdict {
            Verdict::Met => Self::Met,
            Verdict::Violated => Self::Violated,
            Verdict::Undecided { .. } | Verdict::Unmeasured => Self::Open,
        }
    }
}

/// One row: its cells, a mark before them, and whether it stands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<String>,
    pub mark: Option<Mark>,
    pub strong: bool,
}

/// Text size, and the width of one character of Hack at that size.
const SIZE: f32 = 14.0;
const CHAR: f32 = SIZE * 0.602;
const LINE: f32 = 26.0;
const PAD: f32 = 16.0;
const MARK: f32 = 22.0;

/// A table as an SVG document: a title, a line under it, the header and
/// the rows.
pub fn table_svg(
    title: &str,
    subtitle: &str,
    header: &[String],
    rows: &[Row],
    look: Look,
) -> String {
    let (back, text, weak, rule, green, red) = match look {
        Look::Light => (
            "#ffffff", "#1f2328", "#59636e", "#d1d9e0", "#1a7f37", "#cf222e",
        ),
        Look::Dark => (
            "#1b1b1b", "#e6e6e6", "#9a9a9a", "#3a3a3a", "#6cd48a", "#ff7b72",
        ),
    };
    let columns = header.len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.cells.get(c))
                .chain(std::iter::once(&header[c]))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let has_marks = rows.iter().any(|r| r.mark.is_some());
    let left = PAD + if has_marks { MARK } else { 0.0 };
    let mut x = Vec::with_capacity(columns);
    let mut at = left;
    for w in &widths {
        x.push(at);
        #[expect(clippy::cast_precision_loss, reason = "column widths in characters")]
        let w = *w as f32;
        at += w * CHAR + 2.0 * CHAR;
    }
    let width = (at + PAD - 2.0 * CHAR).max(title.chars().count() as f32 * SIZE * 0.62 + 2.0 * PAD);
    let top = PAD + 30.0 + if subtitle.is_empty() { 0.0 } else { 20.0 };
    #[expect(clippy::cast_precision_loss, reason = "row counts")]
    let height = top + LINE * (rows.len() + 1) as f32 + PAD;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#,
        w = width.ceil(),
        h = height.ceil()
    );
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="{back}"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{PAD}" y="{}" font-family="Ubuntu" font-size="20" font-weight="bold" fill="{text}">{}</text>"#,
        PAD + 18.0,
        escape(title)
    );
    if !subtitle.is_empty() {
        let _ = writeln!(
            out,
            r#"<text x="{PAD}" y="{}" font-family="Ubuntu" font-size="13" fill="{weak}">{}</text>"#,
            PAD + 40.0,
            escape(subtitle)
        );
    }
    let cell = |out: &mut String, x: f32, y: f32, s: &str, color: &str, bold: bool| {
        let _ = writeln!(
            out,
            r#"<text x="{x}" y="{y}" font-family="Hack" font-size="{SIZE}" fill="{color}"{}>{}</text>"#,
            if bold { r#" font-weight="bold""# } else { "" },
            escape(s)
        );
    };
    let baseline = |i: usize| {
        #[expect(clippy::cast_precision_loss, reason = "row counts")]
        let i = i as f32;
        top + LINE * (i + 1.0) - 8.0
    };
    for (c, h) in header.iter().enumerate() {
        cell(&mut out, x[c], baseline(0), h, weak, true);
    }
    let _ = writeln!(
        out,
        r#"<line x1="{PAD}" y1="{y}" x2="{x2}" y2="{y}" stroke="{rule}" stroke-width="1"/>"#,
        y = top + LINE,
        x2 = width - PAD
    );
    for (i, row) in rows.iter().enumerate() {
        let y = baseline(i + 1);
        if let Some(mark) = row.mark {
            let (cx, cy, r) = (PAD + 7.0, y - 5.0, 6.0);
            let path = match mark {
                Mark::Met => format!(
                    r#"<path d="M{} {} L{} {} L{} {}" fill="none" stroke="{green}" stroke-width="2.2"/>"#,
                    cx - r,
                    cy,
                    cx - r * 0.25,
                    cy + r * 0.7,
                    cx + r,
                    cy - r * 0.8
                ),
                Mark::Violated => format!(
                    r#"<path d="M{a} {b} L{c} {d} M{c} {b} L{a} {d}" fill="none" stroke="{red}" stroke-width="2.2"/>"#,
                    a = cx - r * 0.8,
                    b = cy - r * 0.8,
                    c = cx + r * 0.8,
                    d = cy + r * 0.8
                ),
                Mark::Open => format!(
                    r#"<circle cx="{cx}" cy="{cy}" r="{}" fill="none" stroke="{weak}" stroke-width="1.6"/>"#,
                    r * 0.7
                ),
            };
            out.push_str(&path);
            out.push('\n');
        }
        for (c, s) in row.cells.iter().enumerate().take(columns) {
            let color = if c == 0 || row.strong { text } else { weak };
            cell(&mut out, x[c], y, s, color, row.strong && c > 0);
        }
    }
    out.push_str("</svg>\n");
    out
}

/// A report's objectives as a table: objective, bound, value, budget,
/// verdict.
pub fn verdicts_svg(report: &Report, look: Look) -> String {
    let header = ["objective", "bound", "value", "budget", "verdict"].map(str::to_owned);
    let rows: Vec<Row> = report
        .slos
        .iter()
        .map(|r| Row {
            cells: vec![
                r.slo.label(),
                r.slo.objective.target_text(),
                r.value_text(),
                r.budget_text().unwrap_or_else(|| "—".to_owned()),
                r.verdict.text(),
            ],
            mark: Some(Mark::of(r.verdict)),
            strong: false,
        })
        .collect();
    table_svg(
        &format!("{}: service level objectives", report.model),
        &format!(
            "{} replication(s), seed {}; value ± 95 % confidence half-width",
            report.replications(),
            report.seed
        ),
        &header,
        &rows,
        look,
    )
}

/// A comparison as a table: its rows, significant differences in bold.
pub fn comparison_svg(c: &Comparison, look: Look) -> String {
    let header = [
        "metric".to_owned(),
        format!("A: {}", c.a_label),
        format!("B: {}", c.b_label),
        "B − A (95 %)".to_owned(),
        "change".to_owned(),
    ];
    let rows: Vec<Row> = c
        .rows()
        .into_iter()
        .map(|r| Row {
            cells: vec![
                r.what,
                r.a,
                r.b,
                format!("{}{}", r.diff, if r.significant { " *" } else { "" }),
                r.relative,
            ],
            mark: None,
            strong: r.significant,
        })
        .collect();
    table_svg(
        &format!("{} against {}", c.b_label, c.a_label),
        &format!(
            "{} paired replication(s) on the same seeds; * and bold: the 95 % interval leaves out zero",
            c.a.replications().min(c.b.replications())
        ),
        &header,
        &rows,
        look,
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
