//! Parameter sweeps: a model run at every combination of values of one or
//! more knobs, each point with its own replications and intervals.
//!
//! A knob is written `NODE.PARAM=RANGE`, as `weir sweep --vary` takes it:
//!
//! - `NODE.PARAM` names a parameter of a node as its model file writes it:
//!   `worker.instances`, `orders.arrival.rate`, `worker.service.mean`. An
//!   enum's variant is passed through (`service` is `Exponential(mean:
//!   …)`, so `service.mean` is its mean), and a name alone finds the one
//!   parameter of that name anywhere in the node (`worker.mean`,
//!   `orders.rate`). A parameter the file leaves out (a queue's
//!   `capacity`) can be set too; what it accepts is checked as a file is.
//! - `load` scales every producer's rate (and burst, base and ramp rates)
//!   by a factor: `load=0.5..1.5x11` sweeps from half of today's traffic
//!   to one and a half times it.
//! - `RANGE` is `a..b` (integers step by 1, other values take 10 evenly
//!   spaced points), `a..b:step`, `a..bxN` (N evenly spaced points, ends
//!   included; integers rounded, repeats dropped), or a list `a,b,c`.
//!   Values are numbers, or durations (`5ms..50ms:5ms`) where the
//!   parameter is one.
//!
//! Points are the knobs' values combined, the first knob varying slowest.
//! Each point's model is the base model with those values set
//! ([`Sweep::model_at`]); its report is exactly what `weir run` gives for
//! that model.

use serde_json::{Map, Value, json};

use crate::Model;
use crate::model::Node;
use crate::nodes::NodeKind;
use crate::report::{Metric, Report};
use crate::time::Duration;

/// The most points a sweep may have.
pub const MAX_POINTS: usize = 10_000;
/// The most values one knob may take.
pub const MAX_VALUES: usize = 1_000;
/// Points a range without a step takes, for values that are not integers.
const DEFAULT_POINTS: usize = 10;

/// One value a knob takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Setting {
    Int(u64),
    Float(f64),
    Duration(Duration),
}

impl Setting {
    /// The value as a number: durations in seconds.
    pub fn as_f64(self) -> f64 {
        match self {
            #[expect(clippy::cast_precision_loss, reason = "a parameter's value")]
            Self::Int(n) => n as f64,
            Self::Float(x) => x,
            Self::Duration(d) => d.as_secs_f64(),
        }
    }

    fn to_json(self) -> Value {
        match self {
            Self::Int(n) => json!(n),
            Self::Float(x) => json!(x),
            Self::Duration(d) => json!(d.to_string()),
        }
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Int(n) => write!(f, "{n}"),
            Self::Float(x) => write!(f, "{x}"),
            Self::Duration(d) => write!(f, "{d}"),
        }
    }
}

/// What a knob turns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Knob {
    /// A node's parameter at `path` in its kind's parameters (the path as
    /// the file writes it, variants passed through).
    Param { node: String, path: Vec<String> },
    /// Every producer's rates, scaled by the value.
    Load,
}

/// What type a parameter holds, and so how its range is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leaf {
    Int,
    Float,
    Duration,
}

/// One `--vary`: a knob and the values it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub knob: Knob,
    pub values: Vec<Setting>,
}

impl Axis {
    /// The knob as written: `worker.instances`, `load`.
    pub fn label(&self) -> String {
        match &self.knob {
            Knob::Param { node, path } => format!("{node}.{}", path.join(".")),
            Knob::Load => "load".to_owned(),
        }
    }

    /// Reads `NODE.PARAM=RANGE` or `load=RANGE` against `model`: the node
    /// and parameter must exist (or be a parameter the kind leaves out),
    /// and the range must suit its type.
    pub fn parse(text: &str, model: &Model) -> Result<Self, String> {
        let (name, range) = text.split_once('=').ok_or_else(|| {
            format!("`{text}`: write NODE.PARAM=RANGE (like worker.instances=1..8) or load=RANGE")
        })?;
        let (name, range) = (name.trim(), range.trim());
        if name == "load" {
            let values = read_range(range, Leaf::Float)
                .map_err(|e| format!("`{text}`: {e}"))?
                .into_iter()
                .map(|s| match s {
                    Setting::Float(k) if k.is_finite() && k > 0.0 => Ok(s),
                    _ => Err(format!(
                        "`{text}`: a load factor is a number above zero (1 is today's traffic), not {s}"
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Self {
                knob: Knob::Load,
                values,
            });
        }
        let (node_id, param) = name.split_once('.').ok_or_else(|| {
            format!("`{text}`: name a node's parameter as NODE.PARAM (like worker.instances)")
        })?;
        let n = model.find(node_id).ok_or_else(|| {
            format!(
                "`{text}`: the model has no node '{node_id}' (its nodes: {})",
                list(model.graph.node_weights().map(|n| n.id.as_str()))
            )
        })?;
        let node = &model.graph[n];
        let params = kind_params(&node.kind)?;
        let asked: Vec<String> = param.split('.').map(str::to_owned).collect();
        let (path, leaf) = resolve(&params, &asked).map_err(|why| {
            format!(
                "`{text}`: {why}; '{node_id}' has {}",
                list(leaves(&params).iter().map(|(p, _)| p.join(".")))
            )
        })?;
        let values = match leaf {
            Some(leaf) => read_range(range, leaf),
            // A parameter the file leaves out: its type from the values.
            None => read_range(range, guess_leaf(range)),
        }
        .map_err(|e| format!("`{text}`: {e}"))?;
        let axis = Self {
            knob: Knob::Param {
                node: node_id.to_owned(),
                path,
            },
            values,
        };
        // Each value must make a parameter the kind accepts.
        for &value in &axis.values {
            let mut probe = node.clone();
            axis.set(&mut probe, value)
                .map_err(|e| format!("`{text}`: {e}"))?;
        }
        Ok(axis)
    }

    /// Sets this knob to `value` on `node` (a producer, for the load).
    fn set(&self, node: &mut Node, value: Setting) -> Result<(), String> {
        match &self.knob {
            Knob::Load => {
                if let NodeKind::Producer(p) = &mut node.kind {
                    p.arrival = p.arrival.scaled(value.as_f64());
                }
                Ok(())
            }
            Knob::Param { path, .. } => {
                let mut params = kind_params(&node.kind)?;
                let tag = variant_tag(&node.kind)?;
                put(&mut params, path, value.to_json())?;
                let mut wrapped = Map::new();
                wrapped.insert(tag, params);
                node.kind = serde_json::from_value(Value::Object(wrapped))
                    .map_err(|e| format!("{} = {value} cannot be set: {e}", path.join(".")))?;
                Ok(())
            }
        }
    }
}

/// The numbers and durations `node`'s file writes, by path: what a knob
/// can turn without naming a parameter the file leaves out.
pub fn params_of(node: &Node) -> Vec<String> {
    kind_params(&node.kind).map_or_else(
        |_| Vec::new(),
        |params| {
            leaves(&params)
                .into_iter()
                .map(|(p, _)| p.join("."))
                .collect()
        },
    )
}

/// A sweep: its knobs and what it reports at each point.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub axes: Vec<Axis>,
    pub metrics: Vec<MetricRef>,
}

/// A number the sweep reports at each point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricRef {
    /// A node's metric, by its path in the report (`worker.utilization`,
    /// `q.wait_s.p99`).
    Node { node: String, path: String },
    /// An objective's value, by its name (`slo:Orders done in 250 ms`).
    Objective(String),
}

impl MetricRef {
    /// Reads `NODE.METRIC` or `slo:NAME`; the node or objective must exist.
    pub fn parse(text: &str, model: &Model) -> Result<Self, String> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix("slo:") {
            let name = name.trim();
            if !model.slos.iter().any(|s| s.label() == name) {
                return Err(format!(
                    "`{text}`: the model has no objective named '{name}' (its objectives: {})",
                    list(model.slos.iter().map(crate::slo::Slo::label))
                ));
            }
            return Ok(Self::Objective(name.to_owned()));
        }
        let (node, path) = text.split_once('.').ok_or_else(|| {
            format!("`{text}`: name a metric as NODE.METRIC (like worker.utilization) or slo:NAME")
        })?;
        if model.find(node).is_none() {
            return Err(format!(
                "`{text}`: the model has no node '{node}' (its nodes: {})",
                list(model.graph.node_weights().map(|n| n.id.as_str()))
            ));
        }
        Ok(Self::Node {
            node: node.to_owned(),
            path: path.to_owned(),
        })
    }

    /// As written on the command line.
    pub fn label(&self) -> String {
        match self {
            Self::Node { node, path } => format!("{node}.{path}"),
            Self::Objective(name) => format!("slo:{name}"),
        }
    }

    /// Its value in `report`, with the interval; `None` if the report does
    /// not measure it (a metric the node's kind has no such path for, a
    /// latency of no messages).
    pub fn read(&self, report: &Report) -> Option<Metric> {
        match self {
            Self::Node { node, path } => report.node(node)?.get(path).cloned(),
            Self::Objective(name) => report
                .slos
                .iter()
                .find(|s| s.slo.label() == *name)?
                .value
                .clone(),
        }
    }

    /// The objective's bound, where this is an objective: the line a plot
    /// draws (in the value's unit).
    pub fn bound(&self, model: &Model) -> Option<f64> {
        match self {
            Self::Objective(name) => model
                .slos
                .iter()
                .find(|s| s.label() == *name)
                .map(|s| s.objective.bound().value()),
            Self::Node { .. } => None,
        }
    }
}

impl Sweep {
    /// Every point, as indices into the axes' values, the first axis
    /// varying slowest.
    pub fn points(&self) -> Vec<Vec<usize>> {
        let mut points = vec![Vec::new()];
        for axis in &self.axes {
            points = points
                .into_iter()
                .flat_map(|p| {
                    (0..axis.values.len()).map(move |i| {
                        let mut q = p.clone();
                        q.push(i);
                        q
                    })
                })
                .collect();
        }
        points
    }

    /// How many points there are; an error past [`MAX_POINTS`].
    pub fn check_size(&self) -> Result<usize, String> {
        let mut n: usize = 1;
        for axis in &self.axes {
            n = n.saturating_mul(axis.values.len());
        }
        if n > MAX_POINTS {
            return Err(format!(
                "the sweep has {n} points, more than the {MAX_POINTS} a sweep may have: \
                 take fewer values"
            ));
        }
        Ok(n)
    }

    /// The point's values, one per axis.
    pub fn settings(&self, point: &[usize]) -> Vec<Setting> {
        self.axes
            .iter()
            .zip(point)
            .map(|(axis, &i)| axis.values[i])
            .collect()
    }

    /// `base` with the point's values set.
    pub fn model_at(&self, base: &Model, point: &[usize]) -> Result<Model, String> {
        let mut model = base.clone();
        for (axis, value) in self.axes.iter().zip(self.settings(point)) {
            let targets: Vec<_> = match &axis.knob {
                Knob::Param { node, .. } => model.find(node).into_iter().collect(),
                Knob::Load => model
                    .graph
                    .node_indices()
                    .filter(|&n| matches!(model.graph[n].kind, NodeKind::Producer(_)))
                    .collect(),
            };
            for n in targets {
                axis.set(&mut model.graph[n], value)
                    .map_err(|e| format!("{}: {e}", axis.label()))?;
            }
        }
        Ok(model)
    }

    /// The point's values in words: `worker.instances = 3, load = 1.2`.
    pub fn describe(&self, point: &[usize]) -> String {
        self.axes
            .iter()
            .zip(self.settings(point))
            .map(|(axis, value)| format!("{} = {value}", axis.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The CSV header: the knobs, then each metric's mean and 95 %
    /// half-width, then each objective's verdict.
    pub fn csv_header(&self, model: &Model) -> String {
        let mut cols: Vec<String> = self.axes.iter().map(Axis::label).collect();
        for m in &self.metrics {
            cols.push(m.label());
            cols.push(format!("{} ci95", m.label()));
        }
        for slo in &model.slos {
            cols.push(format!("verdict: {}", slo.label()));
        }
        crate::export::csv::line(&cols)
    }

    /// One point's CSV row, matching [`Sweep::csv_header`]; a value not
    /// measured is an empty field.
    pub fn csv_row(&self, point: &[usize], report: &Report) -> String {
        let mut cols: Vec<String> = self
            .settings(point)
            .iter()
            .map(ToString::to_string)
            .collect();
        for m in &self.metrics {
            let value = m.read(report);
            cols.push(value.as_ref().map_or_else(String::new, |v| num(v.mean)));
            cols.push(value.and_then(|v| v.ci95).map_or_else(String::new, num));
        }
        for r in &report.slos {
            cols.push(r.verdict.key().to_owned());
        }
        crate::export::csv::line(&cols)
    }

    /// One point as a line of JSON: its values, its metrics (mean and
    /// 95 % half-width) and its objectives' verdicts.
    pub fn json_line(&self, point: &[usize], report: &Report) -> String {
        let mut at = Map::new();
        for (axis, value) in self.axes.iter().zip(self.settings(point)) {
            at.insert(axis.label(), value.to_json());
        }
        let mut metrics = Map::new();
        for m in &self.metrics {
            metrics.insert(
                m.label(),
                m.read(report)
                    .map_or(Value::Null, |v| json!({ "mean": v.mean, "ci95": v.ci95 })),
            );
        }
        let slos: Vec<Value> = report
            .slos
            .iter()
            .map(|r| json!({ "name": r.slo.label(), "verdict": r.verdict.key() }))
            .collect();
        let line = json!({
            "point": at,
            "replications": report.replications(),
            "metrics": metrics,
            "slos": slos,
        });
        let mut text = line.to_string();
        text.push('\n');
        text
    }
}

/// A number in CSV and tables: integers as integers, others with up to
/// six significant figures.
fn num(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let text = format!("{x:.6e}");
        text.parse::<f64>().map_or(text, |v| v.to_string())
    }
}

fn list<'a>(items: impl Iterator<Item = impl AsRef<str> + 'a>) -> String {
    let items: Vec<String> = items.map(|s| s.as_ref().to_owned()).collect();
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// A node kind's parameters as JSON (the variant's contents).
fn kind_params(kind: &NodeKind) -> Result<Value, String> {
    match serde_json::to_value(kind) {
        Ok(Value::Object(map)) if map.len() == 1 => {
            Ok(map.into_iter().next().map_or(Value::Null, |(_, v)| v))
        }
        Ok(Value::String(_)) => Ok(Value::Object(Map::new())),
        _ => Err("its parameters cannot be read".to_owned()),
    }
}

/// The kind's variant name (`Consumer`).
fn variant_tag(kind: &NodeKind) -> Result<String, String> {
    match serde_json::to_value(kind) {
        Ok(Value::Object(map)) if map.len() == 1 => {
            Ok(map.keys().next().cloned().unwrap_or_default())
        }
        Ok(Value::String(tag)) => Ok(tag),
        _ => Err("its kind cannot be read".to_owned()),
    }
}

/// Whether `value` is an enum variant's wrapper: one key, capitalised.
fn variant_inner(value: &Value) -> Option<&Value> {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next()?;
            key.starts_with(|c: char| c.is_ascii_uppercase())
                .then_some(inner)
        }
        _ => None,
    }
}

fn variant_inner_mut(value: &mut Value) -> Option<&mut Value> {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map.iter_mut().next()?;
            key.starts_with(|c: char| c.is_ascii_uppercase())
                .then_some(inner)
        }
        _ => None,
    }
}

/// What type a JSON leaf holds, if it is a number or a duration.
fn leaf_of(value: &Value) -> Option<Leaf> {
    match value {
        Value::Number(n) if n.is_u64() => Some(Leaf::Int),
        Value::Number(_) => Some(Leaf::Float),
        Value::String(s) => s.parse::<Duration>().ok().map(|_| Leaf::Duration),
        _ => None,
    }
}

/// Every number or duration in `params`, by path (variants passed through).
fn leaves(params: &Value) -> Vec<(Vec<String>, Leaf)> {
    let mut out = Vec::new();
    let mut stack = vec![(Vec::new(), params)];
    while let Some((path, value)) = stack.pop() {
        if let Some(inner) = variant_inner(value) {
            stack.push((path, inner));
            continue;
        }
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter().rev() {
                    let mut p = path.clone();
                    p.push(key.clone());
                    stack.push((p, v));
                }
            }
            other => {
                if let Some(leaf) = leaf_of(other) {
                    out.push((path, leaf));
                }
            }
        }
    }
    out
}

/// The value at `path` (variants passed through).
fn walk<'a>(params: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut at = params;
    for key in path {
        if let Some(inner) = variant_inner(at) {
            at = inner;
        }
        at = at.get(key)?;
    }
    Some(variant_inner(at).unwrap_or(at))
}

/// The full path and type of the parameter `asked` names: a path as the
/// file writes it (variants passed through), or a name found once among
/// the leaves. A parameter the file leaves out (its group is there, it is
/// not) has no type yet.
fn resolve(params: &Value, asked: &[String]) -> Result<(Vec<String>, Option<Leaf>), String> {
    let path = asked.join(".");
    if let Some(found) = walk(params, asked) {
        return leaf_of(found)
            .map(|leaf| (asked.to_vec(), Some(leaf)))
            .ok_or_else(|| format!("{path} is not a number or a duration"));
    }
    if let [key] = asked {
        let found: Vec<_> = leaves(params)
            .into_iter()
            .filter(|(p, _)| p.last() == Some(key))
            .collect();
        match found.as_slice() {
            [(full, leaf)] => return Ok((full.clone(), Some(*leaf))),
            [] => {}
            many => {
                return Err(format!(
                    "{key} names several parameters ({}): write the whole path",
                    list(many.iter().map(|(p, _)| p.join(".")))
                ));
            }
        }
    }
    let parent = &asked[..asked.len().saturating_sub(1)];
    if walk(params, parent).is_some_and(Value::is_object) {
        return Ok((asked.to_vec(), None));
    }
    Err(format!("there is no parameter {path}"))
}

/// Sets the leaf at `path` (variants passed through) to `value`, adding the
/// last key if the parameters leave it out.
fn put(params: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let mut at = params;
    for (i, key) in path.iter().enumerate() {
        if variant_inner(at).is_some() {
            at = variant_inner_mut(at).ok_or("unreachable")?;
        }
        let last = i == path.len() - 1;
        let map = at
            .as_object_mut()
            .ok_or_else(|| format!("{} is not a group of parameters", path[..i].join(".")))?;
        if last {
            let slot = map.entry(key.clone()).or_insert(Value::Null);
            if let Some(inner) = variant_inner_mut(slot) {
                *inner = value;
            } else {
                *slot = value;
            }
            return Ok(());
        }
        at = map
            .get_mut(key)
            .ok_or_else(|| format!("there is no parameter {}", path[..=i].join(".")))?;
    }
    Err("an empty parameter path".to_owned())
}

/// The type a range's first value is written in, for a parameter the
/// file leaves out: a whole number, another number, or a duration.
fn guess_leaf(range: &str) -> Leaf {
    let first = range
        .split([',', ':'])
        .next()
        .unwrap_or("")
        .split("..")
        .next()
        .unwrap_or("")
        .trim();
    if first.parse::<u64>().is_ok() {
        Leaf::Int
    } else if first.parse::<f64>().is_ok() {
        Leaf::Float
    } else {
        Leaf::Duration
    }
}

/// The values a range gives for a parameter of type `leaf`.
fn read_range(text: &str, leaf: Leaf) -> Result<Vec<Setting>, String> {
    let value = |s: &str| -> Result<Setting, String> {
        let s = s.trim();
        match leaf {
            Leaf::Int => s
                .parse::<u64>()
                .map(Setting::Int)
                .map_err(|_| format!("'{s}' is not a whole number zero or more")),
            Leaf::Float => match s.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Setting::Float(x)),
                _ => Err(format!("'{s}' is not a number")),
            },
            Leaf::Duration => s
                .parse::<Duration>()
                .map(Setting::Duration)
                .map_err(|e| format!("'{s}': {e}")),
        }
    };
    let values = if let Some((a, rest)) = text.split_once("..") {
        let (b, how) = match rest.rsplit_once(':') {
            Some((b, step)) => (b, How::Step(step)),
            None => match rest.rsplit_once('x') {
                Some((b, n)) if n.trim().parse::<usize>().is_ok() => (b, How::Count(n)),
                _ => (rest, How::Default),
            },
        };
        let (a, b) = (value(a)?, value(b)?);
        let (x, y) = (a.as_f64(), b.as_f64());
        if y < x {
            return Err(format!("the range runs backwards: {a} is past {b}"));
        }
        let count = |n: usize| -> Vec<f64> {
            if n == 1 {
                return vec![x];
            }
            #[expect(clippy::cast_precision_loss, reason = "a few points")]
            (0..n)
                .map(|i| x + (y - x) * i as f64 / (n - 1) as f64)
                .collect()
        };
        let raw: Vec<f64> = match how {
            How::Count(n) => {
                let n: usize = n
                    .trim()
                    .parse()
                    .map_err(|_| format!("'x{n}' is not a count"))?;
                if n == 0 || n > MAX_VALUES {
                    return Err(format!("take 1 to {MAX_VALUES} points, not {n}"));
                }
                count(n)
            }
            How::Step(step) => {
                let step = value(step)?.as_f64();
                if step.is_nan() || step <= 0.0 {
                    return Err(format!("the step must be above zero, not {step}"));
                }
                let n = ((y - x) / step + 1e-9).floor();
                if n + 1.0 > MAX_VALUES as f64 {
                    return Err(format!(
                        "the range takes {} values, more than {MAX_VALUES}",
                        n + 1.0
                    ));
                }
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "bounded above"
                )]
                let n = n as usize;
                #[expect(clippy::cast_precision_loss, reason = "a few points")]
                (0..=n).map(|i| x + step * i as f64).collect()
            }
            How::Default => match leaf {
                Leaf::Int => {
                    if y - x + 1.0 > MAX_VALUES as f64 {
                        return Err(format!(
                            "the range takes {} values, more than {MAX_VALUES}: give a step or a count",
                            y - x + 1.0
                        ));
                    }
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "bounded above"
                    )]
                    (x as u64..=y as u64).map(|n| n as f64).collect()
                }
                Leaf::Float | Leaf::Duration => count(DEFAULT_POINTS),
            },
        };
        let mut out: Vec<Setting> = Vec::new();
        for v in raw {
            let s = match leaf {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "within the range's ends, which are u64"
                )]
                Leaf::Int => Setting::Int(v.round() as u64),
                Leaf::Float => Setting::Float(round_decimal(v)),
                Leaf::Duration => Setting::Duration(Duration::from_secs_f64(v)),
            };
            if out.last() != Some(&s) {
                out.push(s);
            }
        }
        out
    } else {
        let out = text.split(',').map(value).collect::<Result<Vec<_>, _>>()?;
        if out.len() > MAX_VALUES {
            return Err(format!("{} values, more than {MAX_VALUES}", out.len()));
        }
        out
    };
    if values.is_empty() {
        return Err("the range has no values".to_owned());
    }
    Ok(values)
}

/// How a range is stepped.
enum How<'a> {
    Step(&'a str),
    Count(&'a str),
    Default,
}

/// `x` without the binary noise of stepping (0.30000000000000004 → 0.3).
fn round_decimal(x: f64) -> f64 {
    format!("{x:.12}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file;

    const MODEL: &str = r#"(
        version: 1,
        name: "sweep",
        scenario: (duration: "10s", warmup: "0s", seed: 3, replications: 2),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 80.0))),
            (id: "burst", kind: Producer(arrival: Bursty(rate: 10.0, on: "1s", off: "1s", base_rate: 2.0))),
            (id: "q", kind: Queue()),
            (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "burst", to: "q"), (from: "q", to: "worker")],
    )"#;

    fn model() -> Model {
        file::from_str(MODEL).expect("parses").0
    }

    fn values(text: &str) -> Vec<String> {
        Axis::parse(text, &model())
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .values
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn ranges_step_count_and_list() {
        assert_eq!(values("worker.instances=1..4"), ["1", "2", "3", "4"]);
        assert_eq!(values("worker.instances=1..7:3"), ["1", "4", "7"]);
        assert_eq!(
            values("worker.instances=1..3x5"),
            ["1", "2", "3"],
            "repeats go"
        );
        assert_eq!(
            values("src.arrival.rate=0.1..0.3:0.1"),
            ["0.1", "0.2", "0.3"]
        );
        assert_eq!(
            values("worker.service.mean=5ms..20msx4"),
            ["5ms", "10ms", "15ms", "20ms"]
        );
        assert_eq!(values("q.capacity=10,100,1000"), ["10", "100", "1000"]);
        assert_eq!(
            values("src.rate=50..150x3"),
            ["50", "100", "150"],
            "a name alone"
        );
        assert_eq!(values("worker.mean=1ms..2ms:1ms"), ["1ms", "2ms"]);
        assert_eq!(values("load=0.5..1.5x3"), ["0.5", "1", "1.5"]);
        assert_eq!(values("burst.base_rate=1,2"), ["1", "2"]);
        assert_eq!(values("src.arrival.rate=1..2").len(), DEFAULT_POINTS);
    }

    #[test]
    fn mistakes_name_what_is_wrong() {
        let m = model();
        for (text, says) in [
            ("worker.instances", "write NODE.PARAM=RANGE"),
            (
                "nobody.rate=1..2",
                "no node 'nobody' (its nodes: src, burst, q, worker)",
            ),
            ("worker.instances=3..1", "the range runs backwards"),
            ("worker.instances=1..9:0", "the step must be above zero"),
            ("worker.instances=1..2000", "more than 1000"),
            ("worker.service.mean=1..2", "has no unit"),
            ("rate=1..2", "name a node's parameter as NODE.PARAM"),
            (
                "worker.service=1..2",
                "service is not a number or a duration",
            ),
            ("q.capacity=1.5", "cannot be set"),
            ("worker.wings=1..2", "unknown field `wings`"),
            ("load=0..2", "above zero"),
            ("src.arrival.rate=x", "is not a number"),
        ] {
            let err = Axis::parse(text, &m).expect_err(text);
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn points_set_their_values_and_nothing_else() {
        let base = model();
        let sweep = Sweep {
            axes: vec![
                Axis::parse("worker.instances=1..2", &base).expect("valid"),
                Axis::parse("load=0.5,2", &base).expect("valid"),
            ],
            metrics: vec![],
        };
        let points = sweep.points();
        assert_eq!(points, [vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
        let m = sweep.model_at(&base, &[1, 1]).expect("sets");
        let kind = |m: &Model, id: &str| m.graph[m.find(id).expect("there")].kind.clone();
        let NodeKind::Consumer(c) = kind(&m, "worker") else {
            panic!("a consumer")
        };
        assert_eq!(c.instances, 2);
        let NodeKind::Producer(p) = kind(&m, "src") else {
            panic!("a producer")
        };
        assert_eq!(p.arrival.mean_rate(), 160.0, "both producers scaled");
        let NodeKind::Producer(b) = kind(&m, "burst") else {
            panic!("a producer")
        };
        assert_eq!(b.arrival.mean_rate(), 2.0 * 6.0, "rate and base rate");
        assert_eq!(kind(&m, "q"), kind(&base, "q"));
        assert_eq!(
            sweep.model_at(&base, &[0, 0]).expect("sets").graph
                [base.find("worker").expect("there")]
            .kind,
            kind(&base, "worker"),
            "a value equal to the file's changes nothing"
        );
        assert_eq!(sweep.describe(&[1, 0]), "worker.instances = 2, load = 0.5");
    }

    #[test]
    fn a_sweep_too_large_is_refused() {
        let base = model();
        let axis = Axis::parse("worker.instances=1..1000", &base).expect("valid");
        let sweep = Sweep {
            axes: vec![axis.clone(), axis],
            metrics: vec![],
        };
        assert!(
            sweep
                .check_size()
                .expect_err("too many")
                .contains("1000000 points")
        );
    }

    #[test]
    fn metrics_name_a_node_or_an_objective() {
        let m = model();
        assert!(MetricRef::parse("worker.utilization", &m).is_ok());
        assert!(
            MetricRef::parse("ghost.utilization", &m)
                .expect_err("no node")
                .contains("no node 'ghost'")
        );
        assert!(
            MetricRef::parse("slo:Fast", &m)
                .expect_err("no objective")
                .contains("no objective named 'Fast' (its objectives: none)")
        );
    }
}
