//! A sweep as a picture for design documents (SVG; PNG through
//! [`crate::picture::svg_to_png`]): with one knob, each metric against it
//! as a line with its 95 % band and an objective's bound as a dashed
//! line; with two knobs, each metric as a heatmap over both.

use std::fmt::Write as _;

use sim_core::Model;
use sim_core::Report;
use sim_core::sweep::{MetricRef, Sweep};

use crate::picture::Look;

const WIDTH: f32 = 760.0;
const PANEL: f32 = 260.0;
const LEFT: f32 = 80.0;
const RIGHT: f32 = 24.0;
const TOP: f32 = 64.0;
const GAP: f32 = 72.0;

struct Palette {
    back: &'static str,
    text: &'static str,
    weak: &'static str,
    rule: &'static str,
    line: &'static str,
    band: &'static str,
    bound: &'static str,
}

const fn palette(look: Look) -> Palette {
    match look {
        Look::Light => Palette {
            back: "#ffffff",
            text: "#1f2328",
            weak: "#59636e",
            rule: "#d1d9e0",
            line: "#0072b2",
            band: "#0072b2",
            bound: "#cf222e",
        },
        Look::Dark => Palette {
            back: "#1b1b1b",
            text: "#e6e6e6",
            weak: "#a0a0a0",
            rule: "#3c3c3c",
            line: "#56b4e9",
            band: "#56b4e9",
            bound: "#ff7b72",
        },
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// About `n` round numbers spanning `lo..hi`.
pub(crate) fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).abs().max(f64::EPSILON);
    #[expect(clippy::cast_precision_loss, reason = "a handful of ticks")]
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil();
    let mut out = Vec::new();
    for i in 0..50 {
        // NOTE: each tick from its own multiple, rounded: adding steps
        // would gather binary noise (0.060000000000000005).
        let t = ((first + f64::from(i)) * step * 1e12).round() / 1e12;
        if t > hi + step * 1e-9 {
            break;
        }
        out.push(if t == 0.0 { 0.0 } else { t });
    }
    out
}

/// A number on an axis: short, no binary noise.
pub(crate) fn label(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{x:.2e}")
    } else {
        let text = format!("{x:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A cell's number: three significant figures.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return label(x);
    }
    let digits = 2 - x.abs().log10().floor() as i32;
    if digits <= 0 {
        format!("{x:.0}")
    } else {
        format!("{x:.*}", digits as usize)
    }
}

/// The sweep's picture; an error for more than two knobs, or with no
/// metric to draw.
pub fn sweep_svg(
    sweep: &Sweep,
    model: &Model,
    points: &[(Vec<usize>, Report)],
    look: Look,
) -> Result<String, String> {
    if sweep.metrics.is_empty() {
        return Err("a picture needs a metric to draw: give --metric".to_owned());
    }
    match sweep.axes.len() {
        1 => Ok(lines_svg(sweep, model, points, look)),
        2 => Ok(heatmap_svg(sweep, points, look)),
        n => Err(format!(
            "a picture shows one knob (lines) or two (a heatmap), not {n}: use csv or json"
        )),
    }
}

fn header(out: &mut String, title: &str, subtitle: &str, height: f32, p: &Palette) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">"#
    );
    let _ = write!(
        out,
        r#"<rect width="100%" height="100%" fill="{}"/><text x="16" y="28" font-family="Ubuntu" font-size="20" font-weight="bold" fill="{}">{}</text><text x="16" y="48" font-family="Ubuntu" font-size="13" fill="{}">{}</text>"#,
        p.back,
        p.text,
        escape(title),
        p.weak,
        escape(subtitle)
    );
}

fn subtitle(sweep: &Sweep, points: &[(Vec<usize>, Report)]) -> String {
    let reps = points.first().map_or(0, |(_, r)| r.replications());
    let what = if sweep.axes.len() == 1 {
        "bands are 95 % confidence intervals"
    } else {
        "cells are means"
    };
    format!(
        "{} point(s), {reps} replication(s) each; {what}",
        points.len()
    )
}

fn lines_svg(sweep: &Sweep, model: &Model, points: &[(Vec<usize>, Report)], look: Look) -> String {
    let p = palette(look);
    let axis = &sweep.axes[0];
    let n = sweep.metrics.len();
    #[expect(clippy::cast_precision_loss, reason = "a few panels")]
    let height = TOP + n as f32 * (PANEL + GAP);
    let mut out = String::new();
    header(
        &mut out,
        &format!("{}: {}", model.name, axis.label()),
        &subtitle(sweep, points),
        height,
        &p,
    );
    let xs: Vec<f64> = axis.values.iter().map(|v| v.as_f64()).collect();
    let (x0, x1) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let (x0, x1) = if x1 > x0 {
        (x0, x1)
    } else {
        (x0 - 0.5, x0 + 0.5)
    };
    let plot_w = WIDTH - LEFT - RIGHT;
    for (k, metric) in sweep.metrics.iter().enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "a few panels")]
        let top = TOP + 24.0 + k as f32 * (PANEL + GAP);
        let values: Vec<(f64, f64, f64)> = points
            .iter()
            .filter_map(|(pt, report)| {
                let m = metric.read(report)?;
                let hw = m.ci95.unwrap_or(0.0);
                Some((xs[pt[0]], m.mean - hw, m.mean + hw))
            })
            .collect();
        let bound = metric.bound(model);
        let (mut y0, mut y1) = values.iter().fold(
            (f64::INFINITY, f64::NEG_INFINITY),
            |(a, b), &(_, lo, hi)| (a.min(lo), b.max(hi)),
        );
        if let Some(b) = bound {
            y0 = y0.min(b);
            y1 = y1.max(b);
        }
        if !y0.is_finite() {
            (y0, y1) = (0.0, 1.0);
        }
        if y0 >= 0.0 && y0 < 0.3 * y1 {
            y0 = 0.0;
        }
        if y1 <= y0 {
            y1 = y0 + 1.0;
        }
        let pad = (y1 - y0) * 0.05;
        let (y0, y1) = (y0 - if y0 == 0.0 { 0.0 } else { pad }, y1 + pad);
        #[expect(clippy::cast_possible_truncation, reason = "screen coordinates")]
        let sx = |x: f64| LEFT + ((x - x0) / (x1 - x0)) as f32 * plot_w;
        #[expect(clippy::cast_possible_truncation, reason = "screen coordinates")]
        let sy = |y: f64| top + PANEL - ((y - y0) / (y1 - y0)) as f32 * PANEL;
        let _ = write!(
            out,
            r#"<text x="{LEFT}" y="{}" font-family="Ubuntu" font-size="15" font-weight="bold" fill="{}">{}</text>"#,
            top - 10.0,
            p.text,
            escape(&metric_title(metric))
        );
        for t in ticks(y0, y1, 5) {
            let y = sy(t);
            let _ = write!(
                out,
                r#"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="1"/><text x="{}" y="{}" font-family="Hack" font-size="11" fill="{}" text-anchor="end">{}</text>"#,
                WIDTH - RIGHT,
                p.rule,
                LEFT - 8.0,
                y + 4.0,
                p.weak,
                label(t)
            );
        }
        for t in ticks(x0, x1, 6) {
            let x = sx(t);
            let _ = write!(
                out,
                r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{}" stroke-width="1"/><text x="{x}" y="{}" font-family="Hack" font-size="11" fill="{}" text-anchor="middle">{}</text>"#,
                top + PANEL,
                top + PANEL + 5.0,
                p.weak,
                top + PANEL + 18.0,
                p.weak,
                label(t)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" font-family="Ubuntu" font-size="12" fill="{}" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            top + PANEL + 36.0,
            p.weak,
            escape(&axis_title(sweep, 0))
        );
        if values.len() > 1 {
            let mut band = String::new();
            for &(x, _, hi) in &values {
                let _ = write!(band, "{},{} ", sx(x), sy(hi));
            }
            for &(x, lo, _) in values.iter().rev() {
                let _ = write!(band, "{},{} ", sx(x), sy(lo));
            }
            let _ = write!(
                out,
                r#"<polygon points="{}" fill="{}" fill-opacity="0.2" stroke="none"/>"#,
                band.trim_end(),
                p.band
            );
        }
        let mut line = String::new();
        for &(x, lo, hi) in &values {
            let _ = write!(line, "{},{} ", sx(x), sy((lo + hi) / 2.0));
        }
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            line.trim_end(),
            p.line
        );
        for &(x, lo, hi) in &values {
            let _ = write!(
                out,
                r#"<circle cx="{}" cy="{}" r="3" fill="{}"/>"#,
                sx(x),
                sy((lo + hi) / 2.0),
                p.line
            );
        }
        if let Some(b) = bound {
            let y = sy(b);
            let _ = write!(
                out,
                r#"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{}" y="{}" font-family="Ubuntu" font-size="12" fill="{}" text-anchor="end">objective: {}</text>"#,
                WIDTH - RIGHT,
                p.bound,
                WIDTH - RIGHT,
                y - 5.0,
                p.bound,
                label(b)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

fn metric_title(metric: &MetricRef) -> String {
    match metric {
        MetricRef::Node { .. } => metric.label(),
        MetricRef::Objective(name) => format!("objective: {name}"),
    }
}

fn axis_title(sweep: &Sweep, i: usize) -> String {
    let axis = &sweep.axes[i];
    let seconds = axis
        .values
        .first()
        .is_some_and(|v| matches!(v, sim_core::sweep::Setting::Duration(_)));
    if seconds {
        format!("{} (s)", axis.label())
    } else if axis.label() == "load" {
        "load (× today's rates)".to_owned()
    } else {
        axis.label()
    }
}

/// A colour from dark blue (0) through green to yellow (1).
fn ramp(t: f64) -> String {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let i = STOPS
        .windows(2)
        .position(|w| t <= w[1].0)
        .unwrap_or(STOPS.len() - 2);
    let ((a, ca), (b, cb)) = (STOPS[i], STOPS[i + 1]);
    let f = (t - a) / (b - a);
    let c: Vec<String> = (0..3)
        .map(|k| {
            format!(
                "{:02x}",
                (ca[k] + (cb[k] - ca[k]) * f).round().clamp(0.0, 255.0) as u8
            )
        })
        .collect();
    format!("#{}", c.concat())
}

fn heatmap_svg(sweep: &Sweep, points: &[(Vec<usize>, Report)], look: Look) -> String {
    let p = palette(look);
    let (ax, ay) = (&sweep.axes[0], &sweep.axes[1]);
    let (nx, ny) = (ax.values.len(), ay.values.len());
    let n = sweep.metrics.len();
    #[expect(clippy::cast_precision_loss, reason = "a few panels")]
    let height = TOP + n as f32 * (PANEL + GAP + 20.0);
    let mut out = String::new();
    header(
        &mut out,
        &format!("{} × {}", ax.label(), ay.label()),
        &subtitle(sweep, points),
        height,
        &p,
    );
    let plot_w = WIDTH - LEFT - RIGHT - 90.0;
    #[expect(clippy::cast_precision_loss, reason = "a grid of cells")]
    let (cw, ch) = (plot_w / nx as f32, PANEL / ny as f32);
    for (k, metric) in sweep.metrics.iter().enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "a few panels")]
        let top = TOP + 24.0 + k as f32 * (PANEL + GAP + 20.0);
        let cells: Vec<(usize, usize, Option<f64>)> = points
            .iter()
            .map(|(pt, r)| (pt[0], pt[1], metric.read(r).map(|m| m.mean)))
            .collect();
        let (lo, hi) = cells
            .iter()
            .filter_map(|c| c.2)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let span = if hi > lo { hi - lo } else { 1.0 };
        let _ = write!(
            out,
            r#"<text x="{LEFT}" y="{}" font-family="Ubuntu" font-size="15" font-weight="bold" fill="{}">{}</text>"#,
            top - 10.0,
            p.text,
            escape(&metric_title(metric))
        );
        for &(i, j, v) in &cells {
            #[expect(clippy::cast_precision_loss, reason = "a grid of cells")]
            let (x, y) = (LEFT + i as f32 * cw, top + PANEL - (j + 1) as f32 * ch);
            let fill = v.map_or_else(|| p.rule.to_owned(), |v| ramp((v - lo) / span));
            let _ = write!(
                out,
                r#"<rect x="{x}" y="{y}" width="{cw}" height="{ch}" fill="{fill}" stroke="{}" stroke-width="1"/>"#,
                p.back
            );
            if cw >= 44.0 && ch >= 16.0 {
                let text = v.map_or_else(|| "–".to_owned(), significant);
                let dark_cell = v.is_some_and(|v| (v - lo) / span < 0.6);
                let _ = write!(
                    out,
                    r#"<text x="{}" y="{}" font-family="Hack" font-size="10" fill="{}" text-anchor="middle">{}</text>"#,
                    x + cw / 2.0,
                    y + ch / 2.0 + 4.0,
                    if dark_cell { "#ffffff" } else { "#1f2328" },
                    text
                );
            }
        }
        for (i, v) in ax.values.iter().enumerate() {
            #[expect(clippy::cast_precision_loss, reason = "a grid of cells")]
            let x = LEFT + (i as f32 + 0.5) * cw;
            if nx <= 12 || i % nx.div_ceil(12) == 0 {
                let _ = write!(
                    out,
                    r#"<text x="{x}" y="{}" font-family="Hack" font-size="11" fill="{}" text-anchor="middle">{v}</text>"#,
                    top + PANEL + 16.0,
                    p.weak
                );
            }
        }
        for (j, v) in ay.values.iter().enumerate() {
            #[expect(clippy::cast_precision_loss, reason = "a grid of cells")]
            let y = top + PANEL - (j as f32 + 0.5) * ch + 4.0;
            if ny <= 12 || j % ny.div_ceil(12) == 0 {
                let _ = write!(
                    out,
                    r#"<text x="{}" y="{y}" font-family="Hack" font-size="11" fill="{}" text-anchor="end">{v}</text>"#,
                    LEFT - 8.0,
                    p.weak
                );
            }
        }
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" font-family="Ubuntu" font-size="12" fill="{}" text-anchor="middle">{}</text><text x="16" y="{}" font-family="Ubuntu" font-size="12" fill="{}" transform="rotate(-90 16 {})" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            top + PANEL + 34.0,
            p.weak,
            escape(&axis_title(sweep, 0)),
            top + PANEL / 2.0,
            p.weak,
            top + PANEL / 2.0,
            escape(&axis_title(sweep, 1))
        );
        // The colour scale.
        let sx = LEFT + plot_w + 24.0;
        for s in 0..20 {
            let t = f64::from(s) / 19.0;
            #[expect(clippy::cast_possible_truncation, reason = "screen coordinates")]
            let y = top + PANEL - (t as f32) * PANEL;
            let _ = write!(
                out,
                r#"<rect x="{sx}" y="{}" width="16" height="{}" fill="{}"/>"#,
                y - PANEL / 20.0,
                PANEL / 20.0 + 0.5,
                ramp(t)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" font-family="Hack" font-size="11" fill="{}">{}</text><text x="{}" y="{}" font-family="Hack" font-size="11" fill="{}">{}</text>"#,
            sx + 20.0,
            top + 10.0,
            p.weak,
            if hi.is_finite() {
                label(hi)
            } else {
                "–".to_owned()
            },
            sx + 20.0,
            top + PANEL,
            p.weak,
            if lo.is_finite() {
                label(lo)
            } else {
                "–".to_owned()
            },
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_span_the_range() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(0.013, 0.061, 5), vec![0.02, 0.03, 0.04, 0.05, 0.06]);
        assert_eq!(label(0.30000000000000004), "0.3");
        assert_eq!(label(2.0), "2");
    }

    #[test]
    fn the_ramp_runs_from_dark_to_light() {
        assert_eq!(ramp(0.0), "#440154");
        assert_eq!(ramp(1.0), "#fde725");
        assert_eq!(ramp(f64::NAN), "#440154");
    }
}
