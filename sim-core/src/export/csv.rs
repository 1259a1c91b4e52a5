//! CSV: one row per node with its summary metrics, for spreadsheets.
//!
//! The columns are `node`, `kind`, then the metrics any node has, in a
//! fixed order (the order of `docs/report.md`: counts, rates, levels,
//! latency summaries, then drop reasons as `drops.<reason>`). A node
//! without a metric leaves its cell empty. With two or more replications
//! each metric has a second column, `<metric>.ci95`, its 95% confidence
//! half-width. Numbers are written in full (shortest exact decimal), so
//! the same report gives the same bytes.
//!
//! Time series (depth or throughput over time) are not exported: the engine
//! does not record them yet.

use super::{ExportError, Format};
use crate::report::Report;

/// The metrics in column order; any the report has beyond these
/// (drop reasons, metrics added later) follow in first-seen order.
const COLUMNS: &[&str] = &[
    "arrived",
    "departed",
    "dropped",
    "completed",
    "throughput_per_s",
    "instances",
    "mean_depth",
    "max_depth",
    "mean_busy",
    "utilization",
    "blocked_fraction",
    "retries",
    "redelivered",
    "dead_lettered",
    "timeouts",
    "duplicates",
    "stored",
    "records",
    "expired",
    "lag",
];
const SUMMARIES: &[&str] = &["wait_s", "sojourn_s", "end_to_end_s", "staleness_s"];
const PARTS: &[&str] = &["mean", "p50", "p95", "p99", "max"];

/// A CSV field, quoted when it holds a comma, a quote or a line break:
/// the one quoting every hand-built CSV line in Weir uses.
pub fn field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Fields as one CSV line, ending in a line break.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    out
}

/// The report's per-node summary as CSV text.
pub fn to_csv(report: &Report) -> Result<String, ExportError> {
    let seen: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for node in &report.nodes {
            for m in &node.metrics {
                if !seen.contains(&m.path.as_str()) {
                    seen.push(&m.path);
                }
            }
        }
        seen
    };
    let mut columns: Vec<String> = COLUMNS
        .iter()
        .map(|&c| c.to_owned())
        .chain(
            SUMMARIES
                .iter()
                .flat_map(|s| PARTS.iter().map(move |p| format!("{s}.{p}"))),
        )
        .filter(|c| seen.contains(&c.as_str()))
        .collect();
    for path in &seen {
        if !columns.iter().any(|c| c == path) {
            columns.push((*path).to_owned());
        }
    }
    let with_ci = report.replications() > 1;

    let fail = |e: &dyn std::fmt::Display| ExportError::Encode {
        format: Format::Csv,
        message: e.to_string(),
    };
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["node".to_owned(), "kind".to_owned()];
    for c in &columns {
        header.push(c.clone());
        if with_ci {
            header.push(format!("{c}.ci95"));
        }
    }
    writer.write_record(&header).map_err(|e| fail(&e))?;
    for node in &report.nodes {
        let mut row = vec![node.id.clone(), node.kind.key().to_owned()];
        for c in &columns {
            let metric = node.get(c);
            row.push(metric.map(|m| number(m.mean)).unwrap_or_default());
            if with_ci {
                row.push(metric.and_then(|m| m.ci95).map(number).unwrap_or_default());
            }
        }
        writer.write_record(&row).map_err(|e| fail(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| fail(&e))?;
    String::from_utf8(bytes).map_err(|e| fail(&e))
}

/// Whole numbers without a fraction, others in Rust's shortest exact form;
/// a value that is not finite is left empty.
fn number(v: f64) -> String {
    if !v.is_finite() {
        String::new()
    } else if v == 0.0 {
        "0".to_owned()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_exact_and_integers_plain() {
        assert_eq!(number(120.0), "120");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(f64::NAN), "");
    }
}
