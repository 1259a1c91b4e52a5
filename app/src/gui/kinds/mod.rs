//! Everything the window knows per node kind, one file per kind (mirroring
//! `sim_core::nodes`): its accent colour, palette blurb and icon, the key
//! parameters on its card, its inspector section, and its marks on the
//! card during a live run.
//!
//! Each kind's file implements [`KindUi`] (what needs only the kind) on a
//! unit struct and [`ParamsUi`] (what reads or edits its parameters) on
//! the kind's parameters. [`of`] and [`params`] are the window's only
//! matches on `Kind` and `NodeKind`: a new kind is a new file here plus an
//! arm in each, and the compiler names both.

pub mod cep;
pub mod consumer;
pub mod dead_letter;
mod durability;
pub mod event_store;
pub mod log;
mod outbox;
pub mod producer;
pub mod projection;
pub mod queue;
pub mod router;
pub mod service;
pub mod sink;
pub mod topic;
mod versions;

use eframe::egui::{Color32, Painter, Pos2, Rect, Stroke, Ui, pos2};
use sim_core::nodes::{Kind, NodeKind};
use sim_core::snapshot::NodeSnapshot;

use super::session::marks::CardMarks;

/// What the window shows of a kind, whatever its parameters.
pub trait KindUi {
    /// The accent colour: icon tile and port colour.
    fn accent(&self) -> Color32;
    /// A one-line description for the palette's tooltip and the
    /// inspector's heading.
    fn blurb(&self) -> &'static str;
    /// Paints the kind's icon.
    fn paint_icon(&self, icon: &Icon<'_>);
    /// The numbers a live run shows of the node, each labelled with what
    /// it counts, in the order the live panel lists them. The card shows
    /// those marked [`LiveNumber::on_card`], the panel all of them, so
    /// the two never disagree; counters name the report's metric that
    /// holds the same number.
    fn live_numbers(&self, node: &NodeSnapshot) -> Vec<LiveNumber>;
    /// Fills in the live marks under the node's card from its state now:
    /// by default the card's numbers ([`card_line`]).
    fn card_marks(&self, node: &NodeSnapshot, marks: &mut CardMarks<'_>) {
        marks.set_line(|| card_line(&self.live_numbers(node)));
    }
    /// What the card's tooltip says during a live run. `waiting_on` names
    /// the full nodes a blocked node waits for (`None` when it is not
    /// blocked).
    fn hover_text(
        &self,
        _node: &NodeSnapshot,
        _waiting_on: &dyn Fn() -> Option<String>,
    ) -> Option<String> {
        None
    }
}

/// One number a live run shows of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveNumber {
    /// What it counts, as the card and the panel label it.
    pub label: &'static str,
    /// Its value; `None` while nothing has happened that it counts
    /// (shown as "—").
    pub value: Option<u64>,
    /// What it is out of ("held 20/20"), if bounded.
    pub of: Option<u64>,
    /// The report's per-node metric that holds the same count, if any.
    pub metric: Option<&'static str>,
    /// Shown on the card as well as in the panel.
    pub on_card: bool,
    /// What it counts, in a sentence (the panel's tooltip).
    pub means: &'static str,
}

impl LiveNumber {
    /// A gauge: a number the node holds now, shown even when zero.
    pub fn now(label: &'static str, value: u64, means: &'static str) -> Self {
        Self {
            label,
            value: Some(value),
            of: None,
            metric: None,
            on_card: true,
            means,
        }
    }

    /// A count since the start, the report's `metric`: "—" until it
    /// first moves.
    pub fn count(
        label: &'static str,
        value: u64,
        metric: &'static str,
        means: &'static str,
    ) -> Self {
        Self {
            label,
            value: (value > 0).then_some(value),
            of: None,
            metric: Some(metric),
            on_card: true,
            means,
        }
    }

    /// Out of `of`, if bounded.
    #[must_use]
    pub fn of(mut self, of: Option<u64>) -> Self {
        self.of = of;
        self
    }

    /// Only in the panel, not on the card.
    #[must_use]
    pub fn panel_only(mut self) -> Self {
        self.on_card = false;
        self
    }

    /// On the card only when it is not zero (in the panel always).
    #[must_use]
    pub fn card_if_any(mut self) -> Self {
        self.on_card = self.value.is_some_and(|v| v > 0);
        self
    }

    /// The value as shown: "20/20", "1.2k", or "—".
    pub fn value_text(&self) -> String {
        use super::session::marks::short;
        match (self.value, self.of) {
            (None, _) => "—".to_owned(),
            (Some(v), Some(of)) => format!("{}/{}", short(v), short(of)),
            (Some(v), None) => short(v),
        }
    }
}

impl std::fmt::Display for LiveNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.label, self.value_text())
    }
}

/// The card's line: the numbers marked for it, joined by " · ".
pub fn card_line(numbers: &[LiveNumber]) -> String {
    let shown: Vec<String> = numbers
        .iter()
        .filter(|n| n.on_card)
        .map(ToString::to_string)
        .collect();
    shown.join(" · ")
}

/// What the window shows of a node's parameters.
pub trait ParamsUi {
    /// The key parameters, in a short line for the card.
    fn summary(&self) -> String;
    /// The inspector's rows for these parameters (inside its grid); the
    /// edited parameters when the user changed them.
    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind>;
}

/// The window's side of `kind`.
pub fn of(kind: Kind) -> &'static dyn KindUi {
    match kind {
        Kind::Producer => &producer::Producer,
        Kind::Queue => &queue::Queue,
        Kind::Topic => &topic::Topic,
        Kind::Consumer => &consumer::Consumer,
        Kind::Router => &router::Router,
        Kind::Service => &service::Service,
        Kind::Sink => &sink::Sink,
        Kind::DeadLetter => &dead_letter::DeadLetter,
        Kind::Log => &log::Log,
        Kind::Cep => &cep::Cep,
        Kind::EventStore => &event_store::EventStore,
        Kind::Projection => &projection::Projection,
    }
}

/// The window's side of a node's parameters.
pub fn params(kind: &NodeKind) -> &dyn ParamsUi {
    match kind {
        NodeKind::Producer(p) => p,
        NodeKind::Queue(q) => q,
        NodeKind::Topic(t) => t,
        NodeKind::Consumer(c) => c,
        NodeKind::Router(r) => r,
        NodeKind::Service(s) => s,
        NodeKind::Sink(s) => s,
        NodeKind::DeadLetter(d) => d,
        NodeKind::Log(l) => l,
        NodeKind::Cep(c) => c,
        NodeKind::EventStore(s) => s,
        NodeKind::Projection(p) => p,
    }
}

/// Runs a kind's inspector section on a copy of `current`; the copy as a
/// node kind (`wrap`) if the user changed it.
fn edited<P: Clone + PartialEq>(
    ui: &mut Ui,
    current: &P,
    wrap: fn(P) -> NodeKind,
    section_ui: fn(&mut Ui, &mut P),
) -> Option<NodeKind> {
    let mut copy = current.clone();
    section_ui(ui, &mut copy);
    (copy != *current).then(|| wrap(copy))
}

/// Whether any kind may send to `kind` (it has an input port).
pub fn has_input(kind: Kind) -> bool {
    ports(kind).0
}

/// Whether `kind` may send anywhere (it has an output port).
pub fn has_output(kind: Kind) -> bool {
    ports(kind).1
}

/// Whether `kind` has an input port and an output port, worked out once
/// from the connection rules: the canvas asks for every card on every
/// frame.
fn ports(kind: Kind) -> (bool, bool) {
    static PORTS: std::sync::OnceLock<[(bool, bool); Kind::ALL.len()]> = std::sync::OnceLock::new();
    let table = PORTS.get_or_init(|| {
        Kind::ALL.map(|k| {
            (
                Kind::ALL.iter().any(|from| from.connect(k).is_ok()),
                Kind::ALL.iter().any(|to| k.connect(*to).is_ok()),
            )
        })
    });
    Kind::ALL
        .iter()
        .position(|&k| k == kind)
        .map_or((false, false), |i| table[i])
}

/// Where and how an icon is painted: a square around `center`, drawn in
/// `color` with strokes of `stroke`.
#[derive(Clone, Copy)]
pub struct Icon<'a> {
    pub painter: &'a Painter,
    pub center: Pos2,
    /// Half the square's side.
    pub size: f32,
    pub stroke: Stroke,
    pub color: Color32,
}

impl std::fmt::Debug for Icon<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Icon")
            .field("center", &self.center)
            .field("size", &self.size)
            .field("color", &self.color)
            .finish_non_exhaustive()
    }
}

impl Icon<'_> {
    /// A point of the icon: `x` and `y` from -1 to 1 across the square.
    pub fn at(&self, x: f32, y: f32) -> Pos2 {
        pos2(self.center.x + x * self.size, self.center.y + y * self.size)
    }
}

/// Paints the kind's icon, in `color`, inside the square `rect`.
pub fn paint_icon(painter: &Painter, rect: Rect, kind: Kind, color: Color32) {
    let size = rect.width() / 2.0;
    of(kind).paint_icon(&Icon {
        painter,
        center: rect.center(),
        size,
        stroke: Stroke::new((size * 0.16).max(1.0), color),
        color,
    });
}

/// A number with at most three significant decimals, no trailing zeros.
pub fn short_number(x: f64) -> String {
    let s = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}
