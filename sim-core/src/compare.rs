//! Two designs side by side: paired differences over replications.
//!
//! Both designs run on the same replication seeds, so a node with the same
//! id draws the same random numbers in both (common random numbers): what
//! differs between the two runs of one replication is what the designs
//! change, not luck. Each metric's difference is taken replication by
//! replication, and its mean gets a Student-t confidence interval; a
//! difference whose interval leaves out zero is marked significant.
//! Objectives of the same name sit side by side with their verdicts.

use serde_json::{Map, Value, json};

use crate::report::{Report, RunResult, SloReport};
use crate::stats::{half_width, mean_sd};

/// The confidence level of a comparison's intervals.
pub const CONFIDENCE: f64 = 0.95;

/// What one replication measured, kept for pairing: each node metric and
/// each objective's value.
#[derive(Clone, Debug, PartialEq)]
pub struct RunValues {
    /// (node id, metric path, value), in the run's order.
    pub metrics: Vec<(String, String, f64)>,
    /// Each objective's value, in model order (`None`: not measured).
    pub slos: Vec<Option<f64>>,
}

impl RunValues {
    pub fn of(run: &RunResult) -> Self {
        Self {
            metrics: run
                .nodes
                .iter()
                .flat_map(|n| {
                    n.metrics
                        .iter()
                        .map(move |(path, v)| (n.id.clone(), path.clone(), *v))
                })
                .collect(),
            slos: run.slos.iter().map(|s| s.value).collect(),
        }
    }

    fn get(&self, node: &str, path: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(n, p, _)| n == node && p == path)
            .map(|&(_, _, v)| v)
            .or_else(|| (path.starts_with("drops.") || path == "dropped").then_some(0.0))
    }
}

/// One metric in both designs, and their paired difference.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// The node's id (or, for an objective, its name).
    pub node: String,
    /// The metric's path (`"objective"` for an objective's value).
    pub path: String,
    /// The mean in A and in B over the paired replications.
    pub a: f64,
    pub b: f64,
    /// Mean of B − A over the pairs.
    pub diff: f64,
    /// Its half-width at [`CONFIDENCE`]; `None` with one pair.
    pub half: Option<f64>,
    /// Replications measured in both.
    pub pairs: usize,
}

impl Difference {
    /// Whether the interval leaves zero out.
    pub fn significant(&self) -> bool {
        self.half.is_some_and(|h| self.diff.abs() > h)
    }

    /// The change relative to A, when A is not zero.
    pub fn relative(&self) -> Option<f64> {
        (self.a != 0.0).then(|| self.diff / self.a.abs())
    }

    fn of(node: &str, path: &str, pairs: &[(f64, f64)]) -> Self {
        let (a, _) = mean_sd(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
        let (b, _) = mean_sd(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
        let d: Vec<f64> = pairs.iter().map(|(a, b)| b - a).collect();
        let (diff, _) = mean_sd(&d);
        Self {
            node: node.to_owned(),
            path: path.to_owned(),
            a,
            b,
            diff,
            half: half_width(&d, CONFIDENCE),
            pairs: d.len(),
        }
    }
}

/// One objective in both designs (by name), with its paired difference.
#[derive(Clone, Debug, PartialEq)]
pub struct SloPair {
    pub name: String,
    pub a: Option<SloReport>,
    pub b: Option<SloReport>,
    pub difference: Option<Difference>,
}

/// Two designs run on the same seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// What each side is called (a file, a variant).
    pub a_label: String,
    pub b_label: String,
    pub a: Report,
    pub b: Report,
    /// Every metric both measured, node by node in A's order.
    pub differences: Vec<Difference>,
    pub slos: Vec<SloPair>,
}

impl Comparison {
    /// Pairs replication `i` of A with replication `i` of B.
    pub fn new(
        (a_label, a, a_runs): (String, Report, &[RunValues]),
        (b_label, b, b_runs): (String, Report, &[RunValues]),
    ) -> Self {
        let mut differences = Vec::new();
        // Metrics in A's first run's order, then any later ones.
        let mut keys: Vec<(String, String)> = Vec::new();
        for run in a_runs {
            for (n, p, _) in &run.metrics {
                if !keys.iter().any(|(kn, kp)| kn == n && kp == p) {
                    keys.push((n.clone(), p.clone()));
                }
            }
        }
        for (node, path) in &keys {
            let pairs: Vec<(f64, f64)> = a_runs
                .iter()
                .zip(b_runs)
                .filter_map(|(ra, rb)| Some((ra.get(node, path)?, rb.get(node, path)?)))
                .collect();
            if !pairs.is_empty() {
                differences.push(Difference::of(node, path, &pairs));
            }
        }
        let mut slos = Vec::new();
        let name = |r: &SloReport| r.slo.label();
        for (i, ra) in a.slos.iter().enumerate() {
            let j = b.slos.iter().position(|rb| name(rb) == name(ra));
            let difference = j.and_then(|j| {
                let pairs: Vec<(f64, f64)> = a_runs
                    .iter()
                    .zip(b_runs)
                    .filter_map(|(x, y)| Some(((*x.slos.get(i)?)?, (*y.slos.get(j)?)?)))
                    .collect();
                (!pairs.is_empty()).then(|| Difference::of(&name(ra), "objective", &pairs))
            });
            slos.push(SloPair {
                name: name(ra),
                a: Some(ra.clone()),
                b: j.map(|j| b.slos[j].clone()),
                difference,
            });
        }
        for rb in &b.slos {
            if !a.slos.iter().any(|ra| name(ra) == name(rb)) {
                slos.push(SloPair {
                    name: name(rb),
                    a: None,
                    b: Some(rb.clone()),
                    difference: None,
                });
            }
        }
        Self {
            a_label,
            b_label,
            a,
            b,
            differences,
            slos,
        }
    }

    /// The differences people read first: the metrics of the report's
    /// table, node by node, but those that are zero on both sides.
    pub fn main_differences(&self) -> impl Iterator<Item = &Difference> {
        self.differences
            .iter()
            .filter(|d| MAIN.contains(&d.path.as_str()) && !(d.a == 0.0 && d.b == 0.0))
    }

    /// Rows of the comparison: objectives first, then the main metrics.
    /// Each row: what, A, B, B − A with its interval, relative change,
    /// whether significant, and for objectives the two verdicts.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for pair in &self.slos {
            let unit = pair
                .a
                .as_ref()
                .or(pair.b.as_ref())
                .map(|r| r.slo.objective.unit());
            let show = |v: Option<f64>| match (unit, v) {
                (Some(u), Some(v)) => u.show(v),
                _ => "—".to_owned(),
            };
            let side = |r: &Option<SloReport>| {
                r.as_ref().map_or("—".to_owned(), |r| {
                    format!(
                        "{} ({})",
                        show(r.value.as_ref().map(|m| m.mean)),
                        r.verdict.key()
                    )
                })
            };
            rows.push(Row {
                what: format!("objective: {}", pair.name),
                a: side(&pair.a),
                b: side(&pair.b),
                diff: pair.difference.as_ref().map_or("—".to_owned(), |d| {
                    diff_text(d, |v| unit.map_or(format!("{v:.4}"), |u| u.show_bare(v)))
                }),
                relative: pair
                    .difference
                    .as_ref()
                    .and_then(Difference::relative)
                    .map_or(String::new(), |r| format!("{:+.1} %", r * 100.0)),
                significant: pair
                    .difference
                    .as_ref()
                    .is_some_and(Difference::significant),
            });
        }
        for d in self.main_differences() {
            rows.push(Row {
                what: format!("{} {}", d.node, d.path),
                a: number(d.a),
                b: number(d.b),
                diff: diff_text(d, number),
                relative: d
                    .relative()
                    .map_or(String::new(), |r| format!("{:+.1} %", r * 100.0)),
                significant: d.significant(),
            });
        }
        rows
    }

    /// A table for people: objectives, then the main metrics.
    pub fn to_table(&self) -> String {
        let header = Row {
            what: "metric".to_owned(),
            a: format!("A: {}", self.a_label),
            b: format!("B: {}", self.b_label),
            diff: "B − A (95 %)".to_owned(),
            relative: "change".to_owned(),
            significant: false,
        };
        let rows = self.rows();
        let all: Vec<[String; 5]> = std::iter::once(&header)
            .chain(&rows)
            .map(|r| {
                [
                    r.what.clone(),
                    r.a.clone(),
                    r.b.clone(),
                    format!("{}{}", r.diff, if r.significant { " *" } else { "" }),
                    r.relative.clone(),
                ]
            })
            .collect();
        let widths: Vec<usize> = (0..5)
            .map(|c| all.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for (i, row) in all.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    let pad = widths[c].saturating_sub(v.chars().count());
                    if c == 0 {
                        format!("{v}{}", " ".repeat(pad))
                    } else {
                        format!("{}{v}", " ".repeat(pad))
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
            if i == 0 {
                out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 8));
                out.push('\n');
            }
        }
        out.push_str(&format!(
            "\n{} paired replication(s) on the same seeds; * marks a difference whose {:.0} % interval leaves out zero.\n",
            self.a.replications().min(self.b.replications()),
            CONFIDENCE * 100.0
        ));
        out
    }

    /// The same table in Markdown, for a design document.
    pub fn to_markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut out = format!(
            "| metric | A: {} | B: {} | B − A (95 %) | change | significant |\n| --- | ---: | ---: | ---: | ---: | :---: |\n",
            esc(&self.a_label),
            esc(&self.b_label)
        );
        for r in self.rows() {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                esc(&r.what),
                esc(&r.a),
                esc(&r.b),
                esc(&r.diff),
                r.relative,
                if r.significant { "yes" } else { "" }
            ));
        }
        out
    }

    /// Every metric both measured as CSV:
    /// `node,metric,a,b,diff,ci95,pairs,significant`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("node,metric,a,b,diff,ci95,pairs,significant\n");
        for d in self
            .slos
            .iter()
            .filter_map(|p| p.difference.as_ref())
            .chain(&self.differences)
        {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                crate::export::csv::field(&d.node),
                crate::export::csv::field(&d.path),
                d.a,
                d.b,
                d.diff,
                d.half.map_or(String::new(), |h| h.to_string()),
                d.pairs,
                d.significant()
            ));
        }
        out
    }

    /// The comparison as JSON: both reports' objectives with their
    /// verdicts, and every paired difference.
    pub fn to_json(&self) -> Value {
        let diff = |d: &Difference| {
            let mut o = Map::new();
            o.insert("node".to_owned(), Value::from(d.node.clone()));
            o.insert("metric".to_owned(), Value::from(d.path.clone()));
            o.insert("a".to_owned(), json_number(d.a));
            o.insert("b".to_owned(), json_number(d.b));
            o.insert("diff".to_owned(), json_number(d.diff));
            o.insert("ci95".to_owned(), d.half.map_or(Value::Null, json_number));
            o.insert("pairs".to_owned(), Value::from(d.pairs));
            o.insert("significant".to_owned(), Value::from(d.significant()));
            Value::Object(o)
        };
        let verdict = |r: &Option<SloReport>| {
            r.as_ref().map_or(Value::Null, |r| {
                json!({
                    "value": r.value.as_ref().map_or(Value::Null, |m| json_number(m.mean)),
                    "ci95": r.value.as_ref().and_then(|m| m.ci95).map_or(Value::Null, json_number),
                    "verdict": r.verdict.key(),
                })
            })
        };
        json!({
            "a": self.a_label,
            "b": self.b_label,
            "replications": self.a.replications().min(self.b.replications()),
            "seeds": self.a.seeds,
            "confidence": CONFIDENCE,
            "slos": self.slos.iter().map(|p| json!({
                "name": p.name,
                "a": verdict(&p.a),
                "b": verdict(&p.b),
                "difference": p.difference.as_ref().map_or(Value::Null, diff),
            })).collect::<Vec<_>>(),
            "differences": self.differences.iter().map(diff).collect::<Vec<_>>(),
        })
    }
}

/// One row of the comparison for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub what: String,
    pub a: String,
    pub b: String,
    pub diff: String,
    pub relative: String,
    pub significant: bool,
}

/// The metrics shown in the comparison's table (all are in its JSON).
const MAIN: [&str; 10] = [
    "throughput_per_s",
    "dropped",
    "mean_depth",
    "utilization",
    "wait_s.mean",
    "wait_s.p99",
    "sojourn_s.mean",
    "end_to_end_s.mean",
    "end_to_end_s.p99",
    "dead_lettered",
];

fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.4}")
    }
}

fn diff_text(d: &Difference, show: impl Fn(f64) -> String) -> String {
    let sign = if d.diff > 0.0 { "+" } else { "" };
    match d.half {
        Some(h) => format!("{sign}{} ± {}", show(d.diff), show(h)),
        None => format!("{sign}{}", show(d.diff)),
    }
}

fn json_number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_differences_cancel_what_both_share() {
        // B is A plus 1 plus a little noise: the shared swings cancel.
        let pairs: Vec<(f64, f64)> = (0..10)
            .map(|i| {
                let shared = f64::from(i) * 10.0;
                (shared, shared + 1.0 + if i % 2 == 0 { 0.01 } else { -0.01 })
            })
            .collect();
        let d = Difference::of("q", "x", &pairs);
        assert!((d.diff - 1.0).abs() < 1e-12);
        assert!(d.half.is_some_and(|h| h < 0.02), "{:?}", d.half);
        assert!(d.significant());
        let same = Difference::of("q", "x", &[(3.0, 3.0), (5.0, 5.0)]);
        assert!(!same.significant(), "no difference, nothing flagged");
    }
}
