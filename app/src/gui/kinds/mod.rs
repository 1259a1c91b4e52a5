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
pub mod event_store;
pub mod log;
pub mod producer;
pub mod projection;
pub mod queue;
pub mod router;
pub mod service;
pub mod sink;
pub mod topic;

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
    /// Fills in the live marks under the node's card from its state now.
    fn card_marks(&self, node: &NodeSnapshot, marks: &mut CardMarks<'_>);
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
    Kind::ALL.iter().any(|from| from.connect(kind).is_ok())
}

/// Whether `kind` may send anywhere (it has an output port).
pub fn has_output(kind: Kind) -> bool {
    Kind::ALL.iter().any(|to| kind.connect(*to).is_ok())
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
