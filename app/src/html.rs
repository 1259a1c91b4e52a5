//! A run's report as one HTML page that opens offline in any browser:
//! the model's picture, the objectives' verdicts, each node's numbers with
//! their confidence intervals (the columns `weir run` prints), the
//! conservation totals, the insights, and charts of the first
//! replication's time series. Everything is inline (SVG for the pictures,
//! one `<style>` element); the page fetches nothing, runs no script, and
//! every text from the model is escaped.

use std::fmt::Write as _;

use anyhow::{Result, anyhow};
use sim_core::report::NodeReport;
use sim_core::series::{Metric, Series, SystemMetric};
use sim_core::slo::Verdict;
use sim_core::{Model, Report};

use crate::picture::{self, Look};
use crate::plots::{label, ticks};

/// Runs `model`'s scenario (its replications, as `weir run` does) and
/// writes the page.
pub fn report_page(model: &Model, look: Look) -> Result<String> {
    let mut series: Option<Series> = None;
    let report = crate::runner::run_all_with(model, |_, _| {}, &mut |run| {
        if series.is_none() {
            series = Some(run.series.clone());
        }
    })
    .map_err(|e| anyhow!("the run failed: {e}"))?;
    Ok(page(model, &report, series.as_ref(), look))
}

/// The colours of a page.
struct Colours {
    back: &'static str,
    text: &'static str,
    weak: &'static str,
    rule: &'static str,
    stripe: &'static str,
    good: &'static str,
    bad: &'static str,
    open: &'static str,
    /// The lines of a chart (Okabe–Ito, as the live view).
    lines: [&'static str; 4],
}

const fn colours(look: Look) -> Colours {
    match look {
        Look::Light => Colours {
            back: "#ffffff",
            text: "#1f2328",
            weak: "#59636e",
            rule: "#d1d9e0",
            stripe: "#f6f8fa",
            good: "#1a7f37",
            bad: "#cf222e",
            open: "#9a6700",
            lines: ["#0072b2", "#d55e00", "#009e73", "#cc79a7"],
        },
        Look::Dark => Colours {
            back: "#1b1b1b",
            text: "#e6e6e6",
            weak: "#a0a0a0",
            rule: "#3c3c3c",
            stripe: "#242424",
            good: "#3fb950",
            bad: "#ff7b72",
            open: "#d29922",
            lines: ["#56b4e9", "#e69f00", "#009e73", "#cc79a7"],
        },
    }
}

/// The page for `report` of `model`, with charts of `series`.
pub fn page(model: &Model, report: &Report, series: Option<&Series>, look: Look) -> String {
    let c = colours(look);
    let mut out = String::new();
    let title = format!("{}: run report", report.model);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n",
        escape(&title),
        style(&c)
    );
    let _ = writeln!(out, "<h1>{}</h1>", escape(&title));
    let _ = writeln!(
        out,
        "<p class=\"weak\">{} replication(s) of {} simulated seconds, seed {}; warm-up {} s cut. \
         Numbers are means over the replications, ± their 95 % confidence half-width.</p>",
        report.replications(),
        label(report.sim_time_s),
        report.seed,
        label(report.warmup_s)
    );

    out.push_str("<h2>The model</h2>\n<figure>\n");
    out.push_str(&inline_svg(&picture::canvas_svg(model, look), "canvas"));
    out.push_str("</figure>\n");

    if !report.slos.is_empty() {
        out.push_str("<h2>Service level objectives</h2>\n");
        out.push_str(&verdicts(report));
    }

    out.push_str("<h2>Nodes</h2>\n");
    out.push_str(&nodes_table(report));
    out.push_str("<h2>Where every message went</h2>\n");
    out.push_str(&conservation(report));

    if let Some(insights) = report.insights.as_ref().filter(|i| !i.is_empty()) {
        out.push_str("<h2>Insights</h2>\n<ol>\n");
        for insight in insights {
            let _ = writeln!(out, "<li>{}</li>", escape(&insight.sentence));
        }
        out.push_str("</ol>\n");
    }

    if let Some(series) = series.filter(|s| s.len() >= 2) {
        let _ = writeln!(
            out,
            "<h2>Over time</h2>\n<p class=\"weak\">The first replication (seed {}), a point every {} s.</p>",
            report.seed,
            label(series.interval_s())
        );
        out.push_str(&charts(series, &c));
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn style(c: &Colours) -> String {
    format!(
        "body {{ background: {back}; color: {text}; font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em; padding: 0 1em; }}\n\
         h1 {{ font-size: 1.6em; }}\n\
         h2 {{ font-size: 1.25em; border-bottom: 1px solid {rule}; padding-bottom: 0.2em; margin-top: 2em; }}\n\
         .weak {{ color: {weak}; }}\n\
         figure {{ margin: 0; overflow-x: auto; }}\n\
         svg {{ max-width: 100%; height: auto; }}\n\
         table {{ border-collapse: collapse; font-variant-numeric: tabular-nums; }}\n\
         th, td {{ padding: 0.3em 0.7em; border-bottom: 1px solid {rule}; }}\n\
         th {{ text-align: left; }}\n\
         td.n {{ text-align: right; white-space: nowrap; }}\n\
         tbody tr:nth-child(even) {{ background: {stripe}; }}\n\
         .met {{ color: {good}; font-weight: 600; }}\n\
         .violated {{ color: {bad}; font-weight: 600; }}\n\
         .undecided {{ color: {open}; font-weight: 600; }}\n\
         .wide {{ overflow-x: auto; }}\n",
        back = c.back,
        text = c.text,
        weak = c.weak,
        rule = c.rule,
        stripe = c.stripe,
        good = c.good,
        bad = c.bad,
        open = c.open,
    )
}

/// An SVG document as an element of the page: without its XML header,
/// its clip identifiers prefixed with `prefix` so that pictures never
/// share one.
fn inline_svg(svg: &str, prefix: &str) -> String {
    let body = svg
        .strip_prefix("<?xml")
        .and_then(|rest| rest.split_once("?>").map(|(_, r)| r.trim_start()))
        .unwrap_or(svg);
    body.replace("id=\"c", &format!("id=\"{prefix}-c"))
        .replace("url(#c", &format!("url(#{prefix}-c"))
}

fn verdicts(report: &Report) -> String {
    let mut out = String::from(
        "<div class=\"wide\"><table>\n<thead><tr><th>objective</th><th>bound</th><th>value</th>\
         <th>budget burned</th><th>verdict</th></tr></thead>\n<tbody>\n",
    );
    for r in &report.slos {
        let class = match r.verdict {
            Verdict::Met => "met",
            Verdict::Violated => "violated",
            Verdict::Undecided { .. } | Verdict::Unmeasured => "undecided",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"{class}\">{}</td></tr>",
            escape(&r.slo.label()),
            escape(&r.slo.objective.target_text()),
            escape(&r.value_text()),
            escape(&r.budget_text().unwrap_or_else(|| "—".to_owned())),
            escape(&r.verdict.text())
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
    out
}

/// The columns `weir run` prints: (header, metric, scale, digits, suffix).
const COLUMNS: [(&str, &str, f64, usize, &str); 12] = [
    ("arrived", "arrived", 1.0, 0, ""),
    ("departed", "departed", 1.0, 0, ""),
    ("dropped", "dropped", 1.0, 0, ""),
    ("thru/s", "throughput_per_s", 1.0, 1, ""),
    ("depth", "mean_depth", 1.0, 2, ""),
    ("max", "max_depth", 1.0, 0, ""),
    ("util", "utilization", 100.0, 1, " %"),
    ("wait p50 ms", "wait_s.p50", 1e3, 2, ""),
    ("wait p99 ms", "wait_s.p99", 1e3, 2, ""),
    ("sojourn ms", "sojourn_s.mean", 1e3, 2, ""),
    ("e2e mean ms", "end_to_end_s.mean", 1e3, 2, ""),
    ("e2e p99 ms", "end_to_end_s.p99", 1e3, 2, ""),
];

fn nodes_table(report: &Report) -> String {
    let ci = report.replications() > 1;
    let cell = |node: &NodeReport, path: &str, scale: f64, digits: usize, suffix: &str| {
        node.get(path).map_or_else(
            || "–".to_owned(),
            |m| {
                let v = format!("{:.digits$}", m.mean * scale);
                match m.ci95 {
                    Some(h) if ci => format!("{v} ± {:.digits$}{suffix}", h * scale),
                    _ => format!("{v}{suffix}"),
                }
            },
        )
    };
    let mut out =
        String::from("<div class=\"wide\"><table>\n<thead><tr><th>node</th><th>kind</th>");
    for (header, ..) in COLUMNS {
        let _ = write!(out, "<th>{}</th>", escape(header));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for node in &report.nodes {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td>",
            escape(&node.id),
            escape(node.kind.key())
        );
        for (_, path, scale, digits, suffix) in COLUMNS {
            let _ = write!(
                out,
                "<td class=\"n\">{}</td>",
                escape(&cell(node, path, scale, digits, suffix))
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
    out
}

fn conservation(report: &Report) -> String {
    let t = &report.conservation;
    let rows = [
        ("produced", t.produced),
        ("completed", t.completed),
        ("dropped", t.dropped),
        ("dead-lettered", t.dead_lettered),
        ("expired", t.expired),
        ("lost", t.lost),
        ("still in flight", t.in_flight),
    ];
    let mut out = String::from(
        "<table>\n<thead><tr><th>messages (all replications)</th><th>count</th></tr></thead>\n<tbody>\n",
    );
    for (name, n) in rows {
        let _ = writeln!(out, "<tr><td>{name}</td><td class=\"n\">{n}</td></tr>");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// The charts: the system's throughput, messages in flight, end-to-end
/// latency and losses, and the depth of every node that holds messages.
fn charts(series: &Series, c: &Colours) -> String {
    let times: Vec<f64> = series.times().collect();
    let system = series.system();
    let line = |m: SystemMetric| system.values(m).to_vec();
    let mut out = String::new();
    let mut add = |title: &str, unit: &str, lines: Vec<(String, Vec<f32>)>, scale: f64| {
        if lines.iter().any(|(_, v)| !v.is_empty()) {
            out.push_str("<figure>\n");
            out.push_str(&chart(title, unit, &times, &lines, scale, c));
            out.push_str("</figure>\n");
        }
    };
    let mut throughput = vec![
        ("emitted".to_owned(), line(SystemMetric::ThroughputIn)),
        ("completed".to_owned(), line(SystemMetric::ThroughputOut)),
    ];
    if system.shows_goodput() {
        throughput.push(("goodput".to_owned(), line(SystemMetric::Goodput)));
    }
    add("Throughput", "messages per second", throughput, 1.0);
    add(
        "Messages in flight",
        "messages",
        vec![("in flight".to_owned(), line(SystemMetric::InFlight))],
        1.0,
    );
    if series.keeps_latency() {
        add(
            "End-to-end latency",
            "milliseconds",
            vec![
                ("p50".to_owned(), line(SystemMetric::EndToEndP50)),
                ("p99".to_owned(), line(SystemMetric::EndToEndP99)),
            ],
            1e3,
        );
    }
    let losses: Vec<(String, Vec<f32>)> = [
        ("dropped", SystemMetric::Dropped),
        ("dead-lettered", SystemMetric::DeadLettered),
        ("lost", SystemMetric::Lost),
    ]
    .into_iter()
    .map(|(name, m)| (name.to_owned(), line(m)))
    .filter(|(_, v)| v.iter().any(|&x| x > 0.0))
    .collect();
    if !losses.is_empty() {
        add("Losses", "messages per second", losses, 1.0);
    }
    let depths: Vec<(String, Vec<f32>)> = series
        .nodes()
        .iter()
        .filter_map(|n| {
            let v = n.values(Metric::Depth)?;
            v.iter()
                .any(|x| x > 0.0)
                .then(|| (n.id.clone(), v.to_vec()))
        })
        .collect();
    // The four deepest, so the lines stay apart.
    let mut depths = depths;
    depths.sort_by(|a, b| {
        let peak = |v: &[f32]| v.iter().copied().fold(0.0_f32, f32::max);
        peak(&b.1)
            .total_cmp(&peak(&a.1))
            .then_with(|| a.0.cmp(&b.0))
    });
    depths.truncate(4);
    if !depths.is_empty() {
        add("Depth (the deepest nodes)", "messages waiting", depths, 1.0);
    }
    out
}

const CHART_W: f64 = 760.0;
const CHART_H: f64 = 260.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 44.0;

/// A line chart over `times` (seconds) of `lines` (each value × `scale`).
fn chart(
    title: &str,
    unit: &str,
    times: &[f64],
    lines: &[(String, Vec<f32>)],
    scale: f64,
    c: &Colours,
) -> String {
    let (t0, t1) = (
        times.first().copied().unwrap_or(0.0),
        times.last().copied().unwrap_or(1.0),
    );
    let t1 = if t1 > t0 { t1 } else { t0 + 1.0 };
    let top = lines
        .iter()
        .flat_map(|(_, v)| v.iter())
        .map(|&v| f64::from(v) * scale)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let y_ticks = ticks(0.0, if top > 0.0 { top } else { 1.0 }, 4);
    let y1 = y_ticks
        .last()
        .copied()
        .unwrap_or(1.0)
        .max(top)
        .max(f64::MIN_POSITIVE);
    let (w, h) = (CHART_W - LEFT - RIGHT, CHART_H - TOP - BOTTOM);
    let x = |t: f64| LEFT + (t - t0) / (t1 - t0) * w;
    let y = |v: f64| TOP + h - v / y1 * h;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{CHART_W}\" height=\"{CHART_H}\" viewBox=\"0 0 {CHART_W} {CHART_H}\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(
        out,
        "<rect width=\"{CHART_W}\" height=\"{CHART_H}\" fill=\"{}\"/>",
        c.back
    );
    let _ = writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"18\" font-size=\"14\" font-weight=\"600\" fill=\"{}\">{}</text>\
         <text x=\"{LEFT}\" y=\"32\" fill=\"{}\">{}</text>",
        c.text,
        escape(title),
        c.weak,
        escape(unit)
    );
    for v in &y_ticks {
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{}\">{}</text>",
            LEFT + w,
            c.rule,
            LEFT - 6.0,
            y(*v) + 4.0,
            c.weak,
            escape(&label(*v)),
            yy = y(*v)
        );
    }
    for t in ticks(t0, t1, 6) {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
            x(t),
            TOP + h + 16.0,
            c.weak,
            escape(&label(t))
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{}\">simulated seconds</text>",
        LEFT + w / 2.0,
        CHART_H - 6.0,
        c.weak
    );
    let mut legend_x = LEFT + w;
    for (i, (name, values)) in lines.iter().enumerate().rev() {
        let colour = c.lines[i % c.lines.len()];
        let points: Vec<String> = times
            .iter()
            .zip(values)
            .filter(|(_, v)| v.is_finite())
            .map(|(&t, &v)| format!("{:.1},{:.1}", x(t), y(f64::from(v) * scale)))
            .collect();
        if !points.is_empty() {
            let _ = writeln!(
                out,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>",
                points.join(" ")
            );
        }
        #[expect(clippy::cast_precision_loss, reason = "a legend's width")]
        let width = 7.0 * name.chars().count() as f64 + 24.0;
        legend_x -= width;
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"24\" width=\"12\" height=\"3\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"30\" fill=\"{}\">{}</text>",
            legend_x,
            legend_x + 16.0,
            c.text,
            escape(name)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Text for HTML, in an element or an attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<b>\"a\" & 'b'</b>\u{7}"),
            "&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn inline_pictures_keep_their_clips_apart() {
        let svg = r#"<svg><defs><clipPath id="c0"/></defs><rect clip-path="url(#c0)"/></svg>"#;
        let inline = inline_svg(svg, "canvas");
        assert!(inline.contains(r#"id="canvas-c0""#), "{inline}");
        assert!(inline.contains("url(#canvas-c0)"), "{inline}");
    }
}
