//! The canvas: nodes as cards, edges as curves, and the gestures that edit
//! them.
//!
//! [`canvas_ui`] draws the model and returns what the user asked for as
//! [`ModelCommand`]s in a [`CanvasOutput`]; it never mutates the model.
//! View state — pan, zoom, selection, the gesture in progress — lives in
//! [`CanvasState`], never in the model file.

use std::collections::{BTreeSet, HashMap};

use eframe::egui::{
    self, Color32, CornerRadius, FontId, Key, Painter, PointerButton, Pos2, Rect, RichText, Sense,
    Shape, Stroke, StrokeKind, Vec2, pos2, vec2,
};
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use sim_core::Model;
use sim_core::model::{Edge, ModelCommand, Node};
use sim_core::nodes::{EdgeRole, Kind, NodeKind};
use sim_core::validate::{Diagnostic, Severity, Target};

use super::session::marks;
use super::{colors, kinds};

/// A card's height in canvas units; its width follows its text.
pub const CARD_HEIGHT: f32 = 64.0;
/// The narrowest and widest a card is, in canvas units.
pub const CARD_MIN_WIDTH: f32 = 150.0;
pub const CARD_MAX_WIDTH: f32 = 300.0;
/// Grid spacing in canvas units; moved nodes snap to it.
pub const GRID: f32 = 20.0;
/// A card's name and summary sizes at zoom 1, in canvas units.
pub const NAME_FONT: f32 = 16.0;
pub const SUMMARY_FONT: f32 = 13.5;
/// The name's size when the card shows only its name (zoomed out).
pub const NAME_ONLY_FONT: f32 = 20.0;
/// Below this many points for the summary, a card shows only its name.
const MIN_SUMMARY_POINTS: f32 = 10.0;
/// In presentation mode, names are at least this tall (points) or the
/// cards show their names only.
pub const MIN_PRESENTING_NAME_POINTS: f32 = 18.0;
/// Where a card's text starts: right of the icon tile.
const TEXT_LEFT: f32 = 62.0;
const TEXT_RIGHT_PAD: f32 = 12.0;
/// How far a link runs straight out of a port before it turns.
pub(crate) const STUB: f32 = 24.0;
/// An edge's latency label: its size, and how far left of the target's
/// input port it sits (inside the gap between layers).
const LABEL_FONT: f32 = 12.0;
const LABEL_BACK: f32 = 62.0;
const MIN_ZOOM: f32 = 0.15;
const MAX_ZOOM: f32 = 3.0;
/// Fit's margin around the drawing, in points: the editor's and
/// presentation mode's.
const FIT_MARGIN: f32 = 28.0;
const FIT_MARGIN_PRESENTING: f32 = 12.0;

/// What the user is doing with the pointer.
#[derive(Clone, Debug, Default)]
enum Gesture {
    #[default]
    Idle,
    Pan,
    /// Moving the selection; `origins` are positions at the start.
    Move {
        grab: Pos2,
        origins: Vec<(String, [f32; 2])>,
    },
    /// Dragging a new edge out of `from`'s output port.
    Connect {
        from: NodeIndex,
    },
    /// Rubber-band selection from `start` (canvas units).
    Select {
        start: Pos2,
        additive: bool,
    },
}

/// The canvas's view state: not part of the document.
#[derive(Debug)]
pub struct CanvasState {
    /// Screen offset of the canvas origin from the canvas rect's corner.
    pub offset: Vec2,
    pub zoom: f32,
    pub selected: BTreeSet<NodeIndex>,
    pub selected_edge: Option<EdgeIndex>,
    pub snap: bool,
    /// Line and text weight multiplier (presentation mode).
    pub weight: f32,
    /// Presentation mode: Fit leaves a narrower margin.
    pub presenting: bool,
    /// Draw the background grid (pictures for documents leave it out).
    pub show_grid: bool,
    /// The card the Results panel's report points at (its bottleneck),
    /// set every frame the panel shows one.
    pub marked: Option<CardMark>,
    /// The height along the canvas's foot that a bar floats over while a
    /// run plays (the rewind bar): Fit frames the cards above it.
    pub foot: f32,
    gesture: Gesture,
    /// Inline rename in progress: the node and the text so far.
    renaming: Option<(NodeIndex, String)>,
    /// A message shown over the canvas, and until when (seconds).
    notice: Option<(String, f64)>,
    /// Frame everything on the next draw (after opening a file).
    fit_pending: bool,
    /// The canvas's size when everything was last framed, while the view
    /// is still as that left it: if the canvas changes size meanwhile (a
    /// panel opens, the window or presentation mode resizes it), it is
    /// framed again.
    framed_size: Option<Vec2>,
    /// Centre this canvas point on the next draw.
    focus_pending: Option<Pos2>,
    /// Last known canvas rect, for placing nodes at the view's centre.
    pub(super) last_rect: Rect,
    /// The frame a node was last placed from the palette in: one release
    /// of the pointer places at most one node, whether it ends a drag,
    /// a click, or both.
    placed_frame: Option<u64>,
    /// The links' paths, for the cards where they are now.
    routes: Routes,
    /// The model's run revision ([`super::document::Document::run_revision`],
    /// which every change but a move moves on) when the caller knows it:
    /// the cards' sizes follow their names and parameters only, and are
    /// measured again only when it moves on, not on every frame of a drag.
    /// Without it they are measured on every frame.
    pub revision: Option<u64>,
    /// Each card's size, as measured for `revision`.
    sizes: Sizes,
}

/// Each card's size by node index, kept while the model's run revision
/// stays: a card's size is its name and summary measured in the font,
/// and measuring a thousand cards on every frame costs a millisecond.
#[derive(Debug, Default)]
struct Sizes {
    revision: Option<u64>,
    by_index: Vec<Vec2>,
}

impl Sizes {
    /// Every card's rectangle in canvas units, in node order.
    fn cards(&mut self, model: &Model, revision: Option<u64>) -> Vec<(NodeIndex, Rect)> {
        if revision.is_none() || self.revision != revision {
            self.revision = revision;
            self.by_index.clear();
            let bound = petgraph::visit::NodeIndexable::node_bound(&model.graph);
            self.by_index.resize(bound, Vec2::ZERO);
            for n in model.graph.node_indices() {
                self.by_index[n.index()] = card_size(&model.graph[n]);
            }
        }
        model
            .graph
            .node_indices()
            .map(|n| {
                let size = self.by_index.get(n.index()).copied();
                let size = size.unwrap_or_else(|| card_size(&model.graph[n]));
                (n, Rect::from_min_size(node_pos(&model.graph[n]), size))
            })
            .collect()
    }
}

/// The paths of a model's links, worked out again only when a card moves
/// or changes size, or a card or link comes or goes: a link routed round
/// the cards looks at every card, so working every path out on every
/// frame costs the square of the drawing's size.
#[derive(Debug, Default)]
struct Routes {
    /// What the paths were worked out for: every card's rectangle and
    /// every link's ends.
    key: Option<u64>,
    /// Each link's path, by edge index.
    paths: Vec<Option<EdgePath>>,
}

impl Routes {
    /// The paths for `model` as it is now (`rects`: its cards, in node
    /// order).
    fn refresh(&mut self, model: &Model, rects: &[Rect]) -> &Self {
        use std::hash::{Hash as _, Hasher as _};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for r in rects {
            [r.min.x, r.min.y, r.max.x, r.max.y]
                .map(f32::to_bits)
                .hash(&mut hasher);
        }
        for e in model.graph.edge_indices() {
            if let Some((a, b)) = model.graph.edge_endpoints(e) {
                (e.index(), a.index(), b.index()).hash(&mut hasher);
            }
        }
        let key = hasher.finish();
        if self.key != Some(key) {
            self.key = Some(key);
            self.paths.clear();
            let bound = petgraph::visit::EdgeIndexable::edge_bound(&model.graph);
            self.paths.resize_with(bound, || None);
            for e in model.graph.edge_indices() {
                if let Some((a, b)) = model.graph.edge_endpoints(e) {
                    self.paths[e.index()] =
                        Some(path_between(&model.graph[a], &model.graph[b], rects));
                }
            }
        }
        self
    }

    /// Every link with its path.
    fn iter(&self) -> impl Iterator<Item = (EdgeIndex, &EdgePath)> {
        self.paths
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_ref().map(|p| (EdgeIndex::new(i), p)))
    }
}

impl Default for CanvasState {
    fn default() -> Self {
        Self {
            offset: vec2(40.0, 40.0),
            zoom: 1.0,
            selected: BTreeSet::new(),
            selected_edge: None,
            snap: true,
            weight: 1.0,
            presenting: false,
            show_grid: true,
            marked: None,
            foot: 0.0,
            gesture: Gesture::Idle,
            renaming: None,
            notice: None,
            fit_pending: true,
            framed_size: None,
            focus_pending: None,
            last_rect: Rect::from_min_size(Pos2::ZERO, vec2(800.0, 600.0)),
            placed_frame: None,
            routes: Routes::default(),
            revision: None,
            sizes: Sizes::default(),
        }
    }
}

/// A card marked from a report: the node, its tag and, on hover, why.
#[derive(Clone, Debug, PartialEq)]
pub struct CardMark {
    pub node: String,
    pub tag: String,
    pub why: String,
}

/// What the canvas asks for this frame.
#[derive(Debug, Default)]
#[must_use]
pub struct CanvasOutput {
    /// Edits, to be applied by the caller in order.
    pub commands: Vec<ModelCommand>,
    /// The user is in the middle of a drag: edits join one undo step.
    pub gesture: bool,
}

impl CanvasState {
    /// Shows the canvas at `zoom` with its origin `offset` from the
    /// canvas rect's corner, instead of framing everything.
    pub fn set_view(&mut self, zoom: f32, offset: Vec2) {
        self.zoom = zoom;
        self.offset = offset;
        self.fit_pending = false;
        self.framed_size = None;
    }

    /// Frames every node on the next draw.
    pub fn request_fit(&mut self) {
        self.fit_pending = true;
    }

    /// How tall a card's name and summary are drawn at the current zoom,
    /// in points (multiply by the context's pixels per point for pixels).
    /// Zoomed out so far that the summary would be under
    /// [`MIN_SUMMARY_POINTS`], a card shows its name only, larger, and
    /// the summary's height is 0.
    pub fn card_text_points(&self) -> (f32, f32) {
        card_text_for(self.zoom, self.presenting)
    }

    /// As [`Self::card_text_points`] for `model`'s cards: showing names
    /// only, the smallest name any card draws (see [`name_only_size`]).
    pub fn card_text_points_for(&self, model: &Model) -> (f32, f32) {
        let (name, summary) = self.card_text_points();
        if summary > 0.0 {
            return (name, summary);
        }
        let smallest = model
            .graph
            .node_weights()
            .map(name_only_size)
            .fold(NAME_ONLY_FONT, f32::min);
        (smallest * self.zoom, 0.0)
    }

    /// Selects one node and centres the view on it.
    pub fn focus_node(&mut self, model: &Model, n: NodeIndex) {
        self.selected = BTreeSet::from([n]);
        self.selected_edge = None;
        if let Some(node) = model.graph.node_weight(n)
            && node.pos.is_some()
        {
            self.focus_pending = Some(card_rect(node).center());
        }
    }

    /// Starts renaming the only selected node on its card.
    pub fn start_rename(&mut self, model: &Model) {
        if let [n] = self.selected.iter().copied().collect::<Vec<_>>()[..]
            && let Some(node) = model.graph.node_weight(n)
        {
            self.renaming = Some((n, node.label().to_owned()));
        }
    }

    /// Shows a message over the canvas for a few seconds.
    pub fn notify(&mut self, ctx: &egui::Context, text: impl Into<String>) {
        let until = ctx.input(|i| i.time) + 4.0;
        self.notice = Some((text.into(), until));
    }

    /// Where a node placed by a click on the palette goes: right of the
    /// selected node (the rightmost, if several), else right of the
    /// rightmost node, so a chain built by clicks reads left to right; in
    /// the middle of the view when the canvas is empty. Moves down until
    /// the spot is free.
    pub fn free_spot(&self, model: &Model) -> [f32; 2] {
        let rightmost = |nodes: &mut dyn Iterator<Item = NodeIndex>| {
            nodes
                .filter_map(|n| model.graph.node_weight(n).map(card_rect))
                .max_by(|a, b| {
                    a.right()
                        .total_cmp(&b.right())
                        .then(b.top().total_cmp(&a.top()))
                })
        };
        let anchor = rightmost(&mut self.selected.iter().copied())
            .or_else(|| rightmost(&mut model.graph.node_indices()));
        let c = match anchor {
            Some(r) => snap(pos2(r.right() + LINK_GAP, r.top())),
            None => snap(
                self.to_canvas(self.last_rect, self.last_rect.center())
                    - vec2(CARD_MIN_WIDTH, CARD_HEIGHT) / 2.0,
            ),
        };
        free_below(model, c)
    }

    /// A new node of `kind` from the palette, at `at` (a drop) or at
    /// [`Self::free_spot`] (a click). Never on top of another card: a drop
    /// onto one moves down to the first free place. At most one a frame:
    /// a release that both ends a drag onto the canvas and counts as a
    /// click on the palette places one node, not two.
    pub fn place(
        &mut self,
        ctx: &egui::Context,
        model: &Model,
        kind: Kind,
        at: Option<[f32; 2]>,
    ) -> Option<ModelCommand> {
        let frame = ctx.cumulative_frame_nr();
        if self.placed_frame == Some(frame) {
            return None;
        }
        self.placed_frame = Some(frame);
        let at = match at {
            Some(p) => free_below(model, pos2(p[0], p[1])),
            None => self.free_spot(model),
        };
        Some(new_node(model, kind, at))
    }

    /// Drops selections of nodes and edges that no longer exist.
    pub fn prune(&mut self, model: &Model) {
        self.selected.retain(|&n| model.graph.contains_node(n));
        if self
            .selected_edge
            .is_some_and(|e| model.graph.edge_weight(e).is_none())
        {
            self.selected_edge = None;
        }
    }

    /// Where a node's card was drawn on screen in the last frame.
    pub fn screen_rect_of(&self, node: &Node) -> Rect {
        Rect::from_min_size(
            self.to_screen(self.last_rect, node_pos(node)),
            card_size(node) * self.zoom,
        )
    }

    /// The message showing over the canvas, if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_ref().map(|(text, _)| text.as_str())
    }

    fn to_screen(&self, rect: Rect, p: Pos2) -> Pos2 {
        rect.min + self.offset + p.to_vec2() * self.zoom
    }

    fn to_canvas(&self, rect: Rect, p: Pos2) -> Pos2 {
        ((p - rect.min - self.offset) / self.zoom).to_pos2()
    }

    fn fit(&mut self, size: Vec2, model: &Model) {
        let (zoom, offset) = fit_view(size, model, self.presenting);
        self.zoom = zoom;
        self.offset = offset;
    }

    fn zoom_around(&mut self, rect: Rect, screen: Pos2, factor: f32) {
        self.framed_size = None;
        let before = self.to_canvas(rect, screen);
        self.zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        self.offset = screen - rect.min - before.to_vec2() * self.zoom;
    }
}

/// The horizontal room a link gets between layers, at least as wide as
/// the narrowest card.
pub const LINK_GAP: f32 = CARD_MIN_WIDTH + 10.0;

/// How tall a card's name and summary are drawn at `zoom`, in points;
/// the summary is 0 when the card shows only its name.
pub fn card_text_at(zoom: f32) -> (f32, f32) {
    card_text_for(zoom, false)
}

/// The name's size (canvas units) on a card that shows its name only:
/// up to [`NAME_ONLY_FONT`], as large as lets every word of it fit the
/// card's width (words are never broken), and never under [`NAME_FONT`],
/// at which the whole name fits on one line.
pub fn name_only_size(node: &Node) -> f32 {
    // NOTE: the same slack as `card_size` leaves for other densities.
    let room = card_size(node).x - TEXT_LEFT - TEXT_RIGHT_PAD - 2.0;
    let widest = node
        .label()
        .split_whitespace()
        .map(|word| text_width(word, NAME_FONT))
        .fold(0.0, f32::max);
    if widest <= 0.0 {
        return NAME_ONLY_FONT;
    }
    (NAME_FONT * room / widest).clamp(NAME_FONT, NAME_ONLY_FONT)
}

/// As [`card_text_at`], in presentation mode or not: presenting, a card
/// whose name would be under [`MIN_PRESENTING_NAME_POINTS`] shows its
/// name only, larger, so the back of the room can read it.
pub fn card_text_for(zoom: f32, presenting: bool) -> (f32, f32) {
    let small_name = presenting && NAME_FONT * zoom < MIN_PRESENTING_NAME_POINTS;
    if name_only(zoom) || small_name {
        (NAME_ONLY_FONT * zoom, 0.0)
    } else {
        (NAME_FONT * zoom, SUMMARY_FONT * zoom)
    }
}

fn name_only(zoom: f32) -> bool {
    SUMMARY_FONT * zoom < MIN_SUMMARY_POINTS
}

/// The drawing's extent in canvas units: every card's rectangle, the
/// regions' frames and the lanes of the links routed around cards.
pub fn drawing_bounds(model: &Model) -> Rect {
    let rects: Vec<Rect> = model.graph.node_weights().map(card_rect).collect();
    let cards = rects
        .iter()
        .copied()
        .chain(region_frames(model).into_iter().map(|(_, frame)| frame))
        .fold(Rect::NOTHING, Rect::union);
    model
        .graph
        .edge_indices()
        .filter_map(|e| model.graph.edge_endpoints(e))
        .filter_map(
            |(a, b)| match path_between(&model.graph[a], &model.graph[b], &rects) {
                EdgePath::Route(points) => Some(Rect::from_points(&points)),
                EdgePath::Curve(_) => None,
            },
        )
        .fold(cards, Rect::union)
}

/// The zoom and offset that frame every card in a canvas of `size`
/// points (presentation mode leaves a narrower margin), with room below
/// for a live run's marks ([`marks::reach`]), so that starting a run
/// never cuts them off.
pub fn fit_view(size: Vec2, model: &Model, presenting: bool) -> (f32, Vec2) {
    let bounds = drawing_bounds(model);
    if !bounds.is_positive() {
        return (1.0, vec2(40.0, 40.0));
    }
    let margin = if presenting {
        FIT_MARGIN_PRESENTING
    } else {
        FIT_MARGIN
    };
    // NOTE: the marks below the lowest cards take the bottom margin's
    // room first; the tags above a card are rare enough to sit in the
    // top margin.
    let zoom_with = |below: f32| {
        ((size.x - 2.0 * margin) / bounds.width())
            .min((size.y - margin - below.max(margin)) / bounds.height())
            .clamp(MIN_ZOOM, 2.0)
    };
    // NOTE: the marks grow with the zoom, so the room they take at the
    // zoom without them is at least what they take at the zoom with it.
    let bare = zoom_with(0.0);
    let below = marks::reach(bare).max(margin);
    let mut zoom = zoom_with(below);
    if presenting {
        // NOTE: the back of the room reading the names comes first: the
        // marks' room never takes the names under their presenting size.
        // A name shown alone is at least NAME_FONT (`name_only_size`).
        let legible = MIN_PRESENTING_NAME_POINTS / NAME_FONT;
        zoom = zoom.max(bare.min(legible));
    }
    let below = below
        .min(size.y - margin - bounds.height() * zoom)
        .max(margin);
    let centre = bounds.center().to_vec2() * zoom + vec2(0.0, (below - margin) / 2.0);
    (zoom, size / 2.0 - centre)
}

/// The first place at or below `at` where a new card overlaps no other.
fn free_below(model: &Model, at: Pos2) -> [f32; 2] {
    let mut c = at;
    let rects: Vec<Rect> = model.graph.node_weights().map(card_rect).collect();
    for _ in 0..50 {
        let card = Rect::from_min_size(c, vec2(CARD_MAX_WIDTH, CARD_HEIGHT)).expand(GRID / 2.0);
        if !rects.iter().any(|r| r.intersects(card)) {
            break;
        }
        c.y += CARD_HEIGHT + 2.0 * GRID;
    }
    [c.x, c.y]
}

/// Where a node's card sits, in canvas units.
pub fn node_pos(node: &Node) -> Pos2 {
    node.pos.map_or(Pos2::ZERO, |p| pos2(p[0], p[1]))
}

/// How wide `text` is in the proportional font at `size`, in canvas
/// units. Measured with egui's own fonts, so a card is as wide as the
/// canvas will draw its name, whether or not a window exists.
pub fn text_width(text: &str, size: f32) -> f32 {
    thread_local! {
        static MEASURE: std::cell::RefCell<Option<Measure>> = const { std::cell::RefCell::new(None) };
    }
    MEASURE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let measure = cell.get_or_insert_with(|| Measure {
            fonts: egui::epaint::text::Fonts::new(
                egui::epaint::text::TextOptions::default(),
                egui::FontDefinitions::default(),
            ),
            widths: HashMap::new(),
        });
        // NOTE: looked up by the text as borrowed: a hit allocates nothing.
        if let Some(&w) = measure
            .widths
            .get(&size.to_bits())
            .and_then(|m| m.get(text))
        {
            return w;
        }
        if measure.widths.values().map(HashMap::len).sum::<usize>() > 4096 {
            measure.widths.clear();
        }
        let w = measure
            .fonts
            .with_pixels_per_point(1.0)
            .layout_no_wrap(text.to_owned(), FontId::proportional(size), Color32::WHITE)
            .size()
            .x;
        measure
            .widths
            .entry(size.to_bits())
            .or_default()
            .insert(text.to_owned(), w);
        w
    })
}

struct Measure {
    fonts: egui::epaint::text::Fonts,
    /// Widths by the font size's bits, then the text.
    widths: HashMap<u32, HashMap<String, f32>>,
}

/// A node's card size in canvas units: as wide as its name and summary
/// need, within [`CARD_MIN_WIDTH`] and [`CARD_MAX_WIDTH`].
pub fn card_size(node: &Node) -> Vec2 {
    let name = text_width(node.label(), NAME_FONT);
    let summary = text_width(&kinds::params(&node.kind).summary(), SUMMARY_FONT);
    // NOTE: a little slack, as text measured at one pixel density can be
    // a fraction wider at another.
    let width = TEXT_LEFT + name.max(summary) + TEXT_RIGHT_PAD + 2.0;
    vec2(
        width.clamp(CARD_MIN_WIDTH, CARD_MAX_WIDTH).ceil(),
        CARD_HEIGHT,
    )
}

/// Where a node's card sits, in canvas units: drawing, hit testing,
/// ports, framing and layout all use this one rectangle.
pub fn card_rect(node: &Node) -> Rect {
    Rect::from_min_size(node_pos(node), card_size(node))
}

/// The colours of a card and its text in one theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardColors {
    pub fill: Color32,
    pub border: Color32,
    pub name: Color32,
    pub summary: Color32,
    /// The outline of the card under the pointer: neutral, so it means
    /// nothing but "here".
    pub hover: Color32,
}

/// Card colours for the dark or the light theme; the name and summary
/// both keep a WCAG AA contrast (4.5:1) with the fill.
pub fn card_colors(dark: bool) -> CardColors {
    if dark {
        CardColors {
            fill: Color32::from_gray(40),
            border: Color32::from_gray(78),
            name: Color32::from_gray(242),
            summary: Color32::from_gray(188),
            hover: Color32::from_gray(168),
        }
    } else {
        CardColors {
            fill: Color32::WHITE,
            border: Color32::from_gray(196),
            name: Color32::from_gray(20),
            summary: Color32::from_gray(78),
            hover: Color32::from_gray(110),
        }
    }
}

/// The WCAG contrast ratio of two opaque colours (1 to 21).
pub fn contrast_ratio(a: Color32, b: Color32) -> f32 {
    fn luminance(c: Color32) -> f32 {
        let channel = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.040_45 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The line an edge is drawn along, in canvas or screen units alike.
#[derive(Clone, Debug, PartialEq)]
pub enum EdgePath {
    /// A forward link: a cubic Bézier, leaving and entering horizontally.
    Curve([Pos2; 4]),
    /// A link back to a card on the left: straight runs out of the
    /// output, along a free lane, and into the input from its left.
    Route(Vec<Pos2>),
}

impl EdgePath {
    /// A rectangle the whole path lies in (a curve lies within its
    /// control points).
    pub fn bounds(&self) -> Rect {
        match self {
            Self::Curve(points) => Rect::from_points(points),
            Self::Route(points) => Rect::from_points(points),
        }
    }

    /// The point at `t` (0..1) along the path.
    pub fn point(&self, t: f32) -> Pos2 {
        let t = t.clamp(0.0, 1.0);
        match self {
            Self::Curve([p0, p1, p2, p3]) => {
                let u = 1.0 - t;
                let v = p0.to_vec2() * (u * u * u)
                    + p1.to_vec2() * (3.0 * u * u * t)
                    + p2.to_vec2() * (3.0 * u * t * t)
                    + p3.to_vec2() * (t * t * t);
                v.to_pos2()
            }
            Self::Route(points) => {
                let total: f32 = points.windows(2).map(|w| w[0].distance(w[1])).sum();
                let mut left = t * total;
                for w in points.windows(2) {
                    let len = w[0].distance(w[1]);
                    if left <= len && len > 0.0 {
                        return w[0] + (w[1] - w[0]) * (left / len);
                    }
                    left -= len;
                }
                points.last().copied().unwrap_or(Pos2::ZERO)
            }
        }
    }

    /// Where the path starts and ends.
    pub fn ends(&self) -> (Pos2, Pos2) {
        match self {
            Self::Curve([a, _, _, b]) => (*a, *b),
            Self::Route(points) => (
                points.first().copied().unwrap_or(Pos2::ZERO),
                points.last().copied().unwrap_or(Pos2::ZERO),
            ),
        }
    }

    fn map(&self, f: impl Fn(Pos2) -> Pos2) -> Self {
        match self {
            Self::Curve(points) => Self::Curve(points.map(f)),
            Self::Route(points) => Self::Route(points.iter().map(|&p| f(p)).collect()),
        }
    }
}

/// The path of the edge from `a` to `b` in canvas units. A link to a card
/// on the left runs along a horizontal lane that crosses no card.
pub fn edge_path(model: &Model, a: NodeIndex, b: NodeIndex) -> EdgePath {
    let rects: Vec<Rect> = model.graph.node_weights().map(card_rect).collect();
    path_between(&model.graph[a], &model.graph[b], &rects)
}

/// How far above a card's top a lane may run.
const LANE_ABOVE: f32 = 26.0;
/// How far below a card's bottom a lane may run.
const LANE_BELOW: f32 = 40.0;
/// How far apart the lanes of links from stacked cards run.
const LANE_STEP: f32 = 10.0;

fn path_between(a: &Node, b: &Node, rects: &[Rect]) -> EdgePath {
    route_between(a, b, rects, true)
}

/// [`path_between`], looking for what blocks a lane only among the cards
/// that reach into the lane's span when `near_only`, or among every card
/// (the same path, found slowly: a check on the fast way).
fn route_between(a: &Node, b: &Node, rects: &[Rect], near_only: bool) -> EdgePath {
    let (from, to) = (output_port(a), input_port(b));
    if to.x - from.x >= 2.0 * STUB {
        return EdgePath::Curve(bezier_controls(from, to));
    }
    // NOTE: links from cards stacked in one layer take lanes of their
    // own (a step lower for each card above), so that each can be followed
    // to its end; links from one card share theirs.
    let left = card_rect(a).left();
    let above = rects
        .iter()
        .filter(|r| (r.left() - left).abs() < 1.0 && r.center().y < from.y)
        .count();
    #[expect(clippy::cast_precision_loss, reason = "a few cards")]
    let step = LANE_STEP * above as f32;
    // The first card's lanes run outermost, the next ones nested inside
    // them, so they do not cross and the drawing grows no wider.
    let inward = step.min(STUB - 8.0);
    let (x_out, x_in) = (from.x + STUB - inward, to.x - STUB + inward);
    let clear = 14.0;
    // NOTE: every run of the path lies between x_in and x_out, so only
    // cards reaching into that span can block it: in a big drawing that
    // is a column of cards instead of all of them.
    let (lo, hi) = (x_in.min(x_out), x_in.max(x_out));
    let near: Vec<Rect> = rects
        .iter()
        .map(|r| r.expand(clear - 1.0))
        .filter(|r| !near_only || (r.min.x <= hi && lo <= r.max.x))
        .collect();
    let blocked = |seg: Rect| near.iter().any(|r| r.intersects(seg));
    let lane_free = |y: f32| !blocked(Rect::from_x_y_ranges(x_in..=x_out, y..=y));
    let drops_free = |y: f32| {
        !blocked(Rect::from_x_y_ranges(
            x_out..=x_out,
            from.y.min(y)..=from.y.max(y),
        )) && !blocked(Rect::from_x_y_ranges(
            x_in..=x_in,
            to.y.min(y)..=to.y.max(y),
        ))
    };
    let mut lanes: Vec<f32> = rects
        .iter()
        // NOTE: clear of what a live run writes above a card (BLOCKED) and
        // below it (the fill bar and the counters).
        .flat_map(|r| [r.top() - LANE_ABOVE - step, r.bottom() + LANE_BELOW + step])
        .collect();
    let cost = |y: f32| (y - from.y).abs() + (y - to.y).abs();
    lanes.sort_by(|p, q| cost(*p).total_cmp(&cost(*q)));
    let lane = lanes
        .iter()
        .copied()
        .find(|&y| lane_free(y) && drops_free(y))
        .or_else(|| lanes.iter().copied().find(|&y| lane_free(y)))
        .unwrap_or(from.y.max(to.y) + CARD_HEIGHT);
    EdgePath::Route(vec![
        from,
        pos2(x_out, from.y),
        pos2(x_out, lane),
        pos2(x_in, lane),
        pos2(x_in, to.y),
        to,
    ])
}

/// Where an edge's latency label sits in canvas units: its rectangle, or
/// `None` for an edge without one.
pub fn edge_label_rect(model: &Model, e: EdgeIndex) -> Option<Rect> {
    let (a, b) = model.graph.edge_endpoints(e)?;
    let text = edge_label(&model.graph[e])?;
    let path = edge_path(model, a, b);
    let anchor = label_anchor(&path);
    let size = vec2(text_width(&text, LABEL_FONT), LABEL_FONT * 1.25);
    Some(Rect::from_min_size(
        anchor - vec2(size.x / 2.0, size.y),
        size,
    ))
}

fn edge_label(edge: &Edge) -> Option<String> {
    edge.latency
        .filter(|d| !d.is_zero())
        .map(|d| format!("+{d}"))
}

/// The bottom centre of an edge's label: above the path, in the gap
/// just left of the target (a long link may pass over other cards).
fn label_anchor(path: &EdgePath) -> Pos2 {
    let (_, to) = path.ends();
    let at = match path {
        EdgePath::Curve(_) => {
            let x = to.x - LABEL_BACK;
            let (mut lo, mut hi) = (0.0_f32, 1.0_f32);
            for _ in 0..24 {
                let mid = (lo + hi) / 2.0;
                if path.point(mid).x < x {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            path.point(lo)
        }
        EdgePath::Route(points) => {
            // The middle of the lane.
            let (p, q) = (points[2], points[3]);
            pos2((p.x + q.x) / 2.0, p.y)
        }
    };
    at - vec2(0.0, 6.0)
}

fn snap(p: Pos2) -> Pos2 {
    pos2((p.x / GRID).round() * GRID, (p.y / GRID).round() * GRID)
}

/// The worst diagnostic per node id, and how many.
fn badges(diagnostics: &[Diagnostic]) -> std::collections::BTreeMap<&str, (Severity, usize)> {
    let mut out = std::collections::BTreeMap::new();
    for d in diagnostics {
        if let Target::Node(id) = &d.target {
            let entry = out.entry(id.as_str()).or_insert((d.severity, 0));
            entry.0 = entry.0.min(d.severity);
            entry.1 += 1;
        }
    }
    out
}

/// What a live run draws over the canvas: edge looks, flow between the
/// edges and the cards, and marks on each card. The canvas knows nothing
/// of simulations; it asks.
pub trait Overlay {
    /// The stroke of an edge, given its normal one.
    fn edge_stroke(&self, edge: EdgeIndex, normal: Stroke) -> Stroke;
    /// Paints over the edges and under the cards. `edges` holds the path
    /// on screen of each edge in view; [`EdgePath::point`] follows it.
    fn paint_flow(&mut self, painter: &Painter, edges: &[(EdgeIndex, EdgePath)], zoom: f32);
    /// Paints on and around a node's card (`card` in screen space).
    fn paint_node(&self, painter: &Painter, node: NodeIndex, card: Rect, zoom: f32);
    /// What the card's tooltip says while the pointer rests on it.
    fn node_hover_text(&self, _node: NodeIndex) -> Option<String> {
        None
    }
    /// Whether region `region` is down now.
    fn region_down(&self, _region: &str) -> bool {
        false
    }
}

/// Each region's frame in canvas space, by name: around the cards of the
/// nodes placed in it, with room above for its name.
pub fn region_frames(model: &Model) -> Vec<(String, Rect)> {
    let mut frames: std::collections::BTreeMap<&str, Rect> = std::collections::BTreeMap::new();
    for node in model.graph.node_weights() {
        let Some(region) = node.region.as_deref() else {
            continue;
        };
        let card = card_rect(node);
        frames
            .entry(region)
            .and_modify(|r| *r = r.union(card))
            .or_insert(card);
    }
    frames
        .into_iter()
        .map(|(name, r)| {
            let framed = Rect::from_min_max(
                r.min - vec2(REGION_MARGIN, REGION_MARGIN + REGION_TITLE),
                r.max + vec2(REGION_MARGIN, REGION_MARGIN),
            );
            (name.to_owned(), framed)
        })
        .collect()
}

/// Room around the cards of a region's frame, and above them for its name
/// (canvas units).
const REGION_MARGIN: f32 = 14.0;
const REGION_TITLE: f32 = 26.0;
/// A region's name, in canvas units (and never smaller than
/// [`REGION_FONT_MIN`] points on screen).
const REGION_FONT: f32 = 18.0;
const REGION_FONT_MIN: f32 = 12.0;

/// Paints the regions' frames under everything else: a faint band with
/// the region's name, in the crash tone with "DOWN" while an outage holds
/// it.
fn paint_regions(
    painter: &Painter,
    model: &Model,
    state: &CanvasState,
    rect: Rect,
    overlay: Option<&dyn Overlay>,
    visuals: &egui::Visuals,
) {
    let zoom = state.zoom;
    for (name, frame) in region_frames(model) {
        let screen = Rect::from_min_max(
            state.to_screen(rect, frame.min),
            state.to_screen(rect, frame.max),
        );
        let down = overlay.is_some_and(|o| o.region_down(&name));
        let tone = if down {
            colors::DOWN
        } else if visuals.dark_mode {
            Color32::from_gray(150)
        } else {
            Color32::from_gray(110)
        };
        painter.rect(
            screen,
            10.0 * zoom,
            tone.gamma_multiply(if down { 0.16 } else { 0.06 }),
            Stroke::new((1.5 * zoom).max(1.0), tone.gamma_multiply(0.8)),
            StrokeKind::Inside,
        );
        let title = if down {
            format!("{name} — DOWN")
        } else {
            name.clone()
        };
        painter.text(
            screen.left_top() + vec2(8.0 * zoom, 4.0 * zoom),
            egui::Align2::LEFT_TOP,
            title,
            FontId::proportional((REGION_FONT * zoom).max(REGION_FONT_MIN)),
            tone,
        );
    }
}

/// Draws the canvas and handles its gestures; `overlay` draws a live run
/// over it.
pub fn canvas_ui(
    ui: &mut egui::Ui,
    model: &Model,
    diagnostics: &[Diagnostic],
    state: &mut CanvasState,
    mut overlay: Option<&mut dyn Overlay>,
) -> CanvasOutput {
    let mut out = CanvasOutput::default();
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    state.last_rect = rect;
    // What Fit frames: the canvas above its foot.
    let framed = vec2(rect.width(), (rect.height() - state.foot).max(1.0));
    if state.fit_pending || state.framed_size.is_some_and(|size| size != framed) {
        state.fit(framed, model);
        state.fit_pending = false;
        state.framed_size = Some(framed);
    }
    if let Some(p) = state.focus_pending.take() {
        state.offset = rect.size() / 2.0 - p.to_vec2() * state.zoom;
        state.framed_size = None;
    }
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals().clone();
    painter.rect_filled(rect, 0.0, canvas_background(&visuals));
    if state.show_grid {
        paint_grid(&painter, rect, state, &visuals);
    }

    let pointer = ui.input(|i| i.pointer.interact_pos());
    let hover_canvas = pointer.map(|p| state.to_canvas(rect, p));
    // NOTE: the model does not change during a frame (edits go out as
    // commands), so neither do its cards.
    let cards = state.sizes.cards(model, state.revision);
    let rects: Vec<Rect> = cards.iter().map(|&(_, r)| r).collect();
    let hit_node = |p: Pos2| -> Option<NodeIndex> {
        // Topmost first: the last drawn.
        cards
            .iter()
            .rev()
            .find(|(_, r)| r.contains(p))
            .map(|&(n, _)| n)
    };
    let hit_output = |p: Pos2, zoom: f32| -> Option<NodeIndex> {
        let reach = 12.0 / zoom;
        model.graph.node_indices().rev().find(|&n| {
            let node = &model.graph[n];
            kinds::has_output(node.kind.kind()) && output_port(node).distance(p) <= reach
        })
    };

    // Wheel: pan; ctrl+wheel or pinch: zoom around the pointer.
    if response.contains_pointer() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta, i.zoom_delta()));
        if zoom != 1.0 {
            if let Some(p) = pointer {
                state.zoom_around(rect, p, zoom);
            }
        } else if scroll != Vec2::ZERO {
            state.offset += scroll;
            state.framed_size = None;
        }
    }

    // Palette drops: a new node where it was released.
    if let Some(kind) = response.dnd_release_payload::<Kind>()
        && let Some(p) = hover_canvas
    {
        let at = snap(p - vec2(CARD_MIN_WIDTH, CARD_HEIGHT) / 2.0);
        out.commands
            .extend(state.place(ui.ctx(), model, *kind, Some([at.x, at.y])));
    }

    // Gestures.
    let shift = ui.input(|i| i.modifiers.shift);
    let command = ui.input(|i| i.modifiers.command);
    if response.drag_started_by(PointerButton::Middle) {
        state.gesture = Gesture::Pan;
    } else if response.drag_started_by(PointerButton::Primary)
        && let Some(press) = ui.input(|i| i.pointer.press_origin())
    {
        let p = state.to_canvas(rect, press);
        state.gesture = if let Some(from) = hit_output(p, state.zoom) {
            Gesture::Connect { from }
        } else if let Some(n) = hit_node(p) {
            if !state.selected.contains(&n) {
                if !shift {
                    state.selected.clear();
                }
                state.selected.insert(n);
                state.selected_edge = None;
            }
            let origins = state
                .selected
                .iter()
                .map(|&s| {
                    let node = &model.graph[s];
                    let pos = node_pos(node);
                    (node.id.clone(), [pos.x, pos.y])
                })
                .collect();
            Gesture::Move { grab: p, origins }
        } else if shift || command {
            Gesture::Select {
                start: p,
                additive: shift,
            }
        } else {
            Gesture::Pan
        };
    }
    let dragging = response.dragged();
    match &state.gesture {
        Gesture::Pan if dragging => {
            state.offset += response.drag_delta();
            state.framed_size = None;
        }
        Gesture::Move { grab, origins } if dragging => {
            if let Some(p) = hover_canvas {
                let delta = p - *grab;
                let free = ui.input(|i| i.modifiers.alt) || !state.snap;
                for (id, origin) in origins {
                    let mut to = pos2(origin[0], origin[1]) + delta;
                    if !free {
                        to = snap(to);
                    }
                    let current = model.find(id).and_then(|n| model.graph[n].pos);
                    if current != Some([to.x, to.y]) {
                        out.commands.push(ModelCommand::MoveNode {
                            id: id.clone(),
                            pos: Some([to.x, to.y]),
                        });
                    }
                }
                out.gesture = true;
            }
        }
        _ => {}
    }

    let mut connect_preview: Option<(Pos2, Pos2, Result<(), String>)> = None;
    if let Gesture::Connect { from } = state.gesture
        && let (Some(p), Some(node)) = (hover_canvas, model.graph.node_weight(from))
    {
        let target = hit_node(p).filter(|&t| t != from);
        let verdict = match target {
            Some(t) => model.can_connect(from, t).map_err(|e| e.to_string()),
            None => Ok(()),
        };
        let end = target.map_or(p, |t| input_port(&model.graph[t]));
        connect_preview = Some((output_port(node), end, verdict));
        if response.drag_stopped()
            && let Some(t) = target
        {
            match model.can_connect(from, t) {
                Ok(()) => out.commands.push(ModelCommand::Connect {
                    from: node.id.clone(),
                    to: model.graph[t].id.clone(),
                    edge: Edge::default(),
                }),
                Err(err) => state.notify(ui.ctx(), err.to_string()),
            }
        }
    }
    let mut band: Option<Rect> = None;
    if let Gesture::Select { start, additive } = state.gesture
        && let Some(p) = hover_canvas
    {
        let r = Rect::from_two_pos(start, p);
        band = Some(r);
        if response.drag_stopped() {
            if !additive {
                state.selected.clear();
            }
            state.selected_edge = None;
            for &(n, card) in &cards {
                if r.intersects(card) {
                    state.selected.insert(n);
                }
            }
        }
    }
    if response.drag_stopped() || !ui.input(|i| i.pointer.any_down()) {
        state.gesture = Gesture::Idle;
    }

    // Clicks: select nodes (shift toggles) and edges; double-click renames.
    if response.clicked()
        && let Some(p) = hover_canvas
    {
        if let Some(n) = hit_node(p) {
            if shift {
                if !state.selected.remove(&n) {
                    state.selected.insert(n);
                }
            } else {
                state.selected = BTreeSet::from([n]);
            }
            state.selected_edge = None;
        } else if let Some(e) = hit_edge(model, &rects, &mut state.routes, p, 8.0 / state.zoom) {
            state.selected.clear();
            state.selected_edge = Some(e);
        } else {
            state.selected.clear();
            state.selected_edge = None;
        }
    }
    if response.double_clicked()
        && let Some(n) = hover_canvas.and_then(hit_node)
    {
        state.renaming = Some((n, model.graph[n].label().to_owned()));
    }

    paint_regions(
        &painter,
        model,
        state,
        rect,
        overlay.as_deref().map(|o| o as &dyn Overlay),
        &visuals,
    );

    // Edges under nodes.
    let weight = state.weight;
    let dark = visuals.dark_mode;
    let colors = card_colors(dark);
    let port_r = port_radius(state.zoom, weight);
    let mut edge_ends = Vec::new();
    // What the canvas shows, in canvas units, with room for an arrowhead,
    // a thick link and a label: links wholly outside it are not drawn.
    let view = Rect::from_two_pos(
        state.to_canvas(rect, rect.min),
        state.to_canvas(rect, rect.max),
    )
    .expand(40.0 / state.zoom);
    let mut routes = std::mem::take(&mut state.routes);
    for (e, path) in routes.refresh(model, &rects).iter() {
        if !path.bounds().intersects(view) {
            continue;
        }
        let Some((a, b)) = model.graph.edge_endpoints(e) else {
            continue;
        };
        let (na, nb) = (&model.graph[a], &model.graph[b]);
        let role = na.kind.kind().connect(nb.kind.kind()).ok();
        let selected = state.selected_edge == Some(e);
        let color = match role {
            Some(EdgeRole::DeadLetter) => kinds::of(Kind::DeadLetter).accent(),
            None => visuals.error_fg_color,
            _ if selected => visuals.selection.stroke.color,
            _ => link_color(dark),
        };
        let width = if selected { 3.0 } else { 2.0 } * weight;
        let screen = path.map(|p| state.to_screen(rect, p));
        let mut stroke = Stroke::new(width, color);
        if let Some(overlay) = overlay.as_deref()
            && !selected
        {
            stroke = overlay.edge_stroke(e, stroke);
        }
        paint_edge(&painter, &screen, stroke, state.zoom, port_r);
        if let Some(label) = edge_label(&model.graph[e])
            && state.zoom > 0.4
        {
            let at = state.to_screen(rect, label_anchor(path));
            painter.text(
                at,
                egui::Align2::CENTER_BOTTOM,
                label,
                FontId::proportional(LABEL_FONT * state.zoom),
                colors.summary,
            );
        }
        if overlay.is_some() {
            edge_ends.push((e, screen));
        }
    }
    state.routes = routes;
    if let Some((from, to, verdict)) = &connect_preview {
        let color = if verdict.is_ok() {
            visuals.selection.stroke.color
        } else {
            visuals.error_fg_color
        };
        let path = if to.x - from.x >= 2.0 * STUB {
            EdgePath::Curve(bezier_controls(*from, *to))
        } else {
            EdgePath::Route(vec![*from, *to])
        };
        paint_edge(
            &painter,
            &path.map(|p| state.to_screen(rect, p)),
            Stroke::new(2.0 * weight, color),
            state.zoom,
            port_r,
        );
        if let (Err(why), Some(p)) = (verdict, pointer) {
            tooltip_text(&painter, p + vec2(14.0, 14.0), why, &visuals);
        }
    }

    if let Some(overlay) = overlay.as_deref_mut() {
        overlay.paint_flow(&painter, &edge_ends, state.zoom);
    }

    // Cards.
    let badges = badges(diagnostics);
    let hovered = hover_canvas.and_then(hit_node);
    // Whether the hovered card shows less than its name and summary.
    let mut hovered_cut = false;
    for &(n, card) in &cards {
        let node = &model.graph[n];
        let r = Rect::from_min_size(state.to_screen(rect, card.min), card.size() * state.zoom);
        if !r.expand(20.0).intersects(rect) {
            continue;
        }
        let badge = badges.get(node.id.as_str()).copied();
        let cut = paint_card(
            &painter,
            r,
            node,
            CardLook {
                selected: state.selected.contains(&n),
                hovered: hovered == Some(n),
                badge,
                zoom: state.zoom,
                weight,
                presenting: state.presenting,
            },
            &visuals,
        );
        hovered_cut |= cut && hovered == Some(n);
        if let Some(overlay) = overlay.as_deref() {
            overlay.paint_node(&painter, n, r, state.zoom);
        }
        if let Some(mark) = state.marked.as_ref().filter(|m| m.node == node.id) {
            marks::paint_card_mark(&painter, r, state.zoom, &mark.tag);
        }
    }
    if let Some(n) = hovered
        && matches!(state.gesture, Gesture::Idle)
    {
        // A card cut short (a long name, or zoomed out) tells the rest on
        // hover, above what a live run has to say about the node.
        let node = &model.graph[n];
        let card = hovered_cut.then(|| (node.label(), kinds::params(&node.kind).summary()));
        let live = overlay.as_deref().and_then(|o| o.node_hover_text(n));
        let why = state
            .marked
            .as_ref()
            .filter(|m| m.node == node.id)
            .map(|m| m.why.clone());
        if card.is_some() || live.is_some() || why.is_some() {
            response.clone().on_hover_ui_at_pointer(|ui| {
                ui.set_max_width(360.0);
                if let Some((name, summary)) = card {
                    ui.label(RichText::new(name).strong());
                    ui.label(RichText::new(summary).weak());
                }
                if let Some(text) = live {
                    ui.label(text);
                }
                if let Some(text) = why {
                    ui.label(text);
                }
            });
        }
    }
    if let Some(b) = band {
        let r = Rect::from_two_pos(state.to_screen(rect, b.min), state.to_screen(rect, b.max));
        let color = visuals.selection.stroke.color;
        painter.rect_filled(r, 2.0, color.gamma_multiply(0.12));
        painter.rect_stroke(r, 2.0, Stroke::new(1.0, color), StrokeKind::Inside);
    }

    rename_ui(ui, rect, model, state, &mut out);

    // Notices (refused connections and the like).
    let now = ui.input(|i| i.time);
    if let Some((text, until)) = &state.notice {
        if now < *until {
            let galley = painter.layout(
                text.clone(),
                FontId::proportional(14.0 * weight.sqrt()),
                visuals.error_fg_color,
                rect.width() - 80.0,
            );
            let at = pos2(
                rect.center().x - galley.size().x / 2.0,
                rect.bottom() - 56.0,
            );
            let bg = Rect::from_min_size(at, galley.size()).expand2(vec2(12.0, 8.0));
            painter.rect_filled(bg, 6.0, visuals.extreme_bg_color);
            painter.rect_stroke(
                bg,
                6.0,
                Stroke::new(1.0, visuals.error_fg_color),
                StrokeKind::Inside,
            );
            painter.galley(at, galley, visuals.error_fg_color);
            ui.ctx().request_repaint_after_secs(0.25);
        } else {
            state.notice = None;
        }
    }
    if model.graph.node_count() == 0 {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drag a node from the palette, or click one to place it",
            FontId::proportional(16.0 * weight.sqrt()),
            visuals.weak_text_color(),
        );
    }
    out.gesture |= matches!(state.gesture, Gesture::Move { .. });
    out
}

fn rename_ui(
    ui: &mut egui::Ui,
    rect: Rect,
    model: &Model,
    state: &mut CanvasState,
    out: &mut CanvasOutput,
) {
    let Some(n) = state.renaming.as_ref().map(|(n, _)| *n) else {
        return;
    };
    let Some(node) = model.graph.node_weight(n) else {
        state.renaming = None;
        return;
    };
    let r = Rect::from_min_size(
        state.to_screen(rect, node_pos(node)),
        card_size(node) * state.zoom,
    );
    let Some((_, text)) = &mut state.renaming else {
        return;
    };
    let field = Rect::from_min_max(
        pos2(r.left() + r.height(), r.top() + 6.0),
        pos2(r.right() - 6.0, r.top() + 6.0 + 24.0),
    );
    let edit = ui.put(
        field,
        egui::TextEdit::singleline(&mut *text)
            .id_salt("canvas-rename")
            .font(egui::TextStyle::Body),
    );
    if !edit.has_focus() && !edit.lost_focus() {
        // First frame: focus the field with the whole name selected, so
        // typing replaces it.
        edit.request_focus();
        if let Some(mut text_state) = egui::TextEdit::load_state(ui.ctx(), edit.id) {
            text_state
                .cursor
                .set_char_range(Some(egui::text::CCursorRange::select_all_str(text)));
            text_state.store(ui.ctx(), edit.id);
        }
    }
    let cancel = ui.input(|i| i.key_pressed(Key::Escape));
    if edit.lost_focus() || cancel {
        if !cancel {
            let name = text.trim().to_owned();
            let name = (!name.is_empty() && name != node.id).then_some(name);
            if name != node.name {
                out.commands.push(ModelCommand::Rename {
                    id: node.id.clone(),
                    name,
                });
            }
        }
        state.renaming = None;
    }
}

/// A node of `kind` with a fresh id, at `pos`.
pub fn new_node(model: &Model, kind: Kind, pos: [f32; 2]) -> ModelCommand {
    let id = model.unique_id(kind.key());
    let mut node = Node::new(id, NodeKind::default_for(kind));
    node.pos = Some(pos);
    ModelCommand::AddNode(node)
}

fn output_port(node: &Node) -> Pos2 {
    card_rect(node).right_center()
}

fn input_port(node: &Node) -> Pos2 {
    card_rect(node).left_center()
}

fn bezier_controls(from: Pos2, to: Pos2) -> [Pos2; 4] {
    let dx = ((to.x - from.x).abs() * 0.5).max(40.0);
    [from, from + vec2(dx, 0.0), to - vec2(dx, 0.0), to]
}

/// The point at `t` (0..1) along a forward link's curve from `from` to
/// `to` (screen or canvas space alike).
pub fn bezier_point(from: Pos2, to: Pos2, t: f32) -> Pos2 {
    EdgePath::Curve(bezier_controls(from, to)).point(t)
}

fn hit_edge(
    model: &Model,
    rects: &[Rect],
    routes: &mut Routes,
    p: Pos2,
    reach: f32,
) -> Option<EdgeIndex> {
    routes.refresh(model, rects).iter().find_map(|(e, path)| {
        (0..=48)
            .any(|i| {
                #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
                let t = i as f32 / 48.0;
                path.point(t).distance(p) <= reach
            })
            .then_some(e)
    })
}

/// A port's radius on screen.
fn port_radius(zoom: f32, weight: f32) -> f32 {
    // NOTE: two points across at most far out, where the tessellator
    // draws a circle with 8 sides instead of 16.
    (5.0 * zoom).max(2.0) * weight.sqrt()
}

/// A link's colour: quieter than text, yet clear on the canvas.
fn link_color(dark: bool) -> Color32 {
    if dark {
        Color32::from_gray(150)
    } else {
        Color32::from_gray(110)
    }
}

/// Paints an edge along `path` (screen space), its arrowhead's tip
/// touching the target's input port and pointing into it.
fn paint_edge(painter: &Painter, path: &EdgePath, stroke: Stroke, zoom: f32, port_r: f32) {
    let head = (12.0 * zoom).clamp(7.0, 22.0) * (stroke.width / 2.0).max(1.0).sqrt();
    let (_, to) = path.ends();
    let tip = to - vec2(port_r, 0.0);
    // The line ends inside the arrowhead's base.
    let base = tip - vec2(head * 0.8, 0.0);
    match path {
        EdgePath::Curve([p0, p1, p2, _]) => {
            if zoom < 0.3 {
                // Far out a straight line reads the same and costs far
                // less; a link shorter than its arrowhead is the head.
                if base.x > p0.x {
                    painter.line_segment([*p0, base], stroke);
                }
            } else {
                painter.add(egui::epaint::CubicBezierShape::from_points_stroke(
                    [*p0, *p1, *p2, base],
                    false,
                    Color32::TRANSPARENT,
                    stroke,
                ));
            }
        }
        EdgePath::Route(points) => {
            let mut line = points.clone();
            if let Some(last) = line.last_mut() {
                *last = base;
            }
            painter.add(Shape::line(line, stroke));
        }
    }
    painter.add(Shape::convex_polygon(
        vec![
            tip,
            tip - vec2(head, head * 0.5),
            tip - vec2(head, -head * 0.5),
        ],
        stroke.color,
        Stroke::NONE,
    ));
}

fn canvas_background(visuals: &egui::Visuals) -> Color32 {
    if visuals.dark_mode {
        Color32::from_gray(24)
    } else {
        Color32::from_gray(246)
    }
}

fn paint_grid(painter: &Painter, rect: Rect, state: &CanvasState, visuals: &egui::Visuals) {
    // Minor dots every grid step when they are far enough apart; a
    // coarser grid otherwise.
    let mut step = GRID * state.zoom;
    while step < 12.0 {
        step *= 5.0;
    }
    let color = if visuals.dark_mode {
        Color32::from_gray(52)
    } else {
        Color32::from_gray(212)
    };
    let origin = rect.min + state.offset;
    let start_x = origin.x - ((origin.x - rect.left()) / step).floor() * step;
    let start_y = origin.y - ((origin.y - rect.top()) / step).floor() * step;
    let r = (1.1 * state.weight).max(1.0);
    // NOTE: one mesh of square dots on whole pixels, every dot the same
    // size: a shape per dot cost thousands of shapes a frame far out,
    // and smoothed edges on a dot two pixels across only blur it.
    let ppp = painter.pixels_per_point();
    let side = (r * 1.6 * ppp).round().max(1.0) / ppp;
    let on_pixel = |v: f32| (v * ppp).round() / ppp;
    let mut dots = egui::Mesh::default();
    let mut y = start_y;
    while y < rect.bottom() {
        let mut x = start_x;
        while x < rect.right() {
            let corner = pos2(on_pixel(x - side / 2.0), on_pixel(y - side / 2.0));
            dots.add_colored_rect(Rect::from_min_size(corner, vec2(side, side)), color);
            x += step;
        }
        y += step;
    }
    painter.add(dots);
}

#[derive(Clone, Copy, Debug)]
struct CardLook {
    selected: bool,
    hovered: bool,
    badge: Option<(Severity, usize)>,
    zoom: f32,
    weight: f32,
    presenting: bool,
}

/// Paints a node's card; returns whether it shows less than the node's
/// name and summary (cut to fit, name only, or too small for text).
fn paint_card(
    painter: &Painter,
    r: Rect,
    node: &Node,
    look: CardLook,
    visuals: &egui::Visuals,
) -> bool {
    let kind = node.kind.kind();
    let accent = kinds::of(kind).accent();
    let colors = card_colors(visuals.dark_mode);
    let z = look.zoom;
    // NOTE: corners rounded by under two pixels look square, and square
    // ones take a quarter of the vertices.
    let radius = CornerRadius::same(if 8.0 * z < 2.0 {
        0
    } else {
        (8.0 * z).min(20.0) as u8
    });
    let fill = colors.fill;
    // NOTE: far out, hundreds of cards are in view and details are
    // smaller than a pixel: skip the shadow and the icon's strokes.
    let detailed = z >= 0.4;
    if detailed {
        painter.rect_filled(
            r.translate(vec2(0.0, 2.0 * z)),
            radius,
            Color32::from_black_alpha(if visuals.dark_mode { 90 } else { 28 }),
        );
    }
    let outline = if look.selected {
        Stroke::new(3.0 * look.weight, visuals.selection.stroke.color)
    } else if look.hovered {
        Stroke::new(2.0 * look.weight, colors.hover)
    } else {
        Stroke::new(1.0 * look.weight, colors.border)
    };
    // One shape for the fill and the outline: tessellated as one path.
    painter.rect(r, radius, fill, outline, StrokeKind::Inside);

    // Icon tile on the left.
    let tile = Rect::from_min_size(r.min, vec2(r.height(), r.height())).shrink(9.0 * z);
    if detailed {
        painter.rect_filled(tile, radius, accent.gamma_multiply(0.16));
        kinds::paint_icon(painter, tile.shrink(6.0 * z), kind, accent);
    } else {
        painter.rect_filled(tile, radius, accent);
    }

    let text_x = r.left() + TEXT_LEFT * z;
    let width = r.right() - text_x - TEXT_RIGHT_PAD * z;
    let (name_size, summary_size) = card_text_for(z, look.presenting);
    let mut cut = true;
    if name_size < 6.0 {
        // Too small for text: the name and summary are left out.
    } else if summary_size == 0.0 {
        // Name only, larger, on up to two lines, words whole.
        let name_size = name_only_size(node) * z;
        let name = painter.layout(
            node.label().to_owned(),
            FontId::proportional(name_size),
            colors.name,
            width,
        );
        let name = if name.rows.len() > 2 {
            let one = painter.layout_no_wrap(
                node.label().to_owned(),
                FontId::proportional(name_size),
                colors.name,
            );
            elide(painter, one, node.label(), name_size, width, colors.name)
        } else {
            name
        };
        let at = pos2(text_x, r.center().y - name.size().y / 2.0);
        painter.galley(at, name, colors.name);
    } else {
        let name = painter.layout_no_wrap(
            node.label().to_owned(),
            FontId::proportional(name_size),
            colors.name,
        );
        cut = name.size().x > width;
        let name = elide(painter, name, node.label(), name_size, width, colors.name);
        painter.galley(pos2(text_x, r.top() + 10.0 * z), name, colors.name);
        let summary = kinds::params(&node.kind).summary();
        let small = FontId::proportional(summary_size);
        let line = painter.layout_no_wrap(summary.clone(), small, colors.summary);
        let fits = line.size().x <= width;
        cut |= !fits;
        let line = elide(painter, line, &summary, summary_size, width, colors.summary);
        painter.galley(pos2(text_x, r.top() + 35.0 * z), line, colors.summary);
    }

    // Ports: the input hollow, the output solid.
    let port_r = port_radius(z, look.weight);
    let ring = 1.5 * look.weight;
    // NOTE: at a quarter of full size and below, a link's arrowhead marks
    // where it comes in; the input port is left out.
    if kinds::has_input(kind) && z >= 0.25 {
        let p = pos2(r.left(), r.center().y);
        if detailed {
            painter.circle(p, port_r, fill, Stroke::new(ring, accent));
        } else {
            // NOTE: a few pixels across, the ring alone reads the same as
            // a ring round the card's colour, in one shape.
            painter.circle_stroke(p, port_r, Stroke::new(ring, accent));
        }
    }
    if kinds::has_output(kind) {
        let p = pos2(r.right(), r.center().y);
        if detailed {
            painter.circle(p, port_r, accent, Stroke::new(ring, fill));
        } else {
            painter.circle_filled(p, port_r, accent);
        }
    }

    // Diagnostics badge.
    if let Some((severity, count)) = look.badge {
        let color = match severity {
            Severity::Error => visuals.error_fg_color,
            Severity::Warning => visuals.warn_fg_color,
        };
        let c = pos2(r.right() - 2.0 * z, r.top() + 2.0 * z);
        let br = (9.0 * z).max(5.0);
        painter.circle(c, br, color, Stroke::new(1.5, fill));
        if z > 0.5 {
            painter.text(
                c,
                egui::Align2::CENTER_CENTER,
                count.to_string(),
                FontId::proportional(11.0 * z),
                Color32::WHITE,
            );
        }
    }
    cut
}

/// The name, cut with an ellipsis to fit `width`.
fn elide(
    painter: &Painter,
    galley: std::sync::Arc<egui::Galley>,
    text: &str,
    size: f32,
    width: f32,
    color: Color32,
) -> std::sync::Arc<egui::Galley> {
    if galley.size().x <= width {
        return galley;
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        let g = painter.layout_no_wrap(candidate, FontId::proportional(size), color);
        if g.size().x <= width {
            return g;
        }
    }
    galley
}

fn tooltip_text(painter: &Painter, at: Pos2, text: &str, visuals: &egui::Visuals) {
    let galley = painter.layout(
        text.to_owned(),
        FontId::proportional(13.0),
        visuals.error_fg_color,
        320.0,
    );
    let bg = Rect::from_min_size(at, galley.size()).expand(6.0);
    painter.rect_filled(bg, 4.0, visuals.extreme_bg_color);
    painter.rect_stroke(
        bg,
        4.0,
        Stroke::new(1.0, visuals.error_fg_color),
        StrokeKind::Inside,
    );
    painter.galley(at, galley, visuals.error_fg_color);
}

#[cfg(test)]
mod tests {
    use sim_core::nodes::NodeKind;

    use super::*;

    #[test]
    fn one_release_places_one_node_from_the_palette() {
        let ctx = egui::Context::default();
        let mut state = CanvasState::default();
        let mut model = Model::new("t");
        model.add_node(Node::new("sink", NodeKind::default_for(Kind::Sink)));
        let mut placed = Vec::new();
        for _ in 0..2 {
            let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
                // A click on the palette and a drop on the canvas, one frame.
                placed.extend(state.place(ui.ctx(), &model, Kind::Sink, None));
                placed.extend(state.place(ui.ctx(), &model, Kind::Sink, Some([0.0, 0.0])));
            });
            output.textures_delta.clear();
        }
        assert_eq!(placed.len(), 2, "one a frame: {placed:?}");
        for cmd in placed {
            let ModelCommand::AddNode(node) = cmd else {
                panic!("adds a node");
            };
            assert!(!card_rect(&node).intersects(card_rect(&model.graph[NodeIndex::new(0)])));
        }
    }

    /// A queue, a sink and a consumer in a row, 300 units apart (no links).
    fn three_in_a_row() -> (Model, [NodeIndex; 3]) {
        let mut model = Model::new("t");
        let mut add = |id: &str, kind: Kind, x: f32| {
            let mut node = Node::new(id, NodeKind::default_for(kind));
            node.pos = Some([x, 0.0]);
            model.add_node(node)
        };
        let nodes = [
            add("q", Kind::Queue, 0.0),
            add("m", Kind::Sink, 300.0),
            add("c", Kind::Consumer, 600.0),
        ];
        (model, nodes)
    }

    #[test]
    fn a_link_back_to_the_left_runs_around_the_cards_between() {
        let (model, [q, _middle, c]) = three_in_a_row();
        let path = edge_path(&model, c, q);
        let EdgePath::Route(points) = &path else {
            panic!("a back link is routed: {path:?}");
        };
        let rects: Vec<Rect> = model.graph.node_weights().map(card_rect).collect();
        for i in 1..points.len() - 2 {
            let seg = Rect::from_two_pos(points[i], points[i + 1]);
            for r in &rects {
                assert!(!r.intersects(seg), "segment {seg:?} crosses {r:?}");
            }
        }
        // It ends heading right, into the input port.
        let n = points.len();
        assert!(points[n - 1].x > points[n - 2].x);
        assert_eq!(points[n - 1], card_rect(&model.graph[q]).left_center());
        // A forward link is a curve that starts and ends at the ports.
        let forward = edge_path(&model, q, c);
        assert!(matches!(forward, EdgePath::Curve(_)));
        assert_eq!(forward.point(1.0), card_rect(&model.graph[c]).left_center());
    }

    /// Looking for what blocks a lane only among the cards in its span
    /// finds the path that looking among every card does, in crowded
    /// drawings of cards of many widths with links every way.
    #[test]
    fn routes_look_only_at_the_cards_in_their_span() {
        // xorshift64: reproducible layouts without a random crate.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut routed = 0;
        for _ in 0..20 {
            let mut nodes = Vec::new();
            for i in 0..60 {
                let mut node = Node::new(format!("n{i}"), NodeKind::default_for(Kind::Consumer));
                node.name = Some("x".repeat(1 + (next() % 30) as usize));
                #[expect(clippy::cast_precision_loss, reason = "small coordinates")]
                let at = [(next() % 12) as f32 * 110.0, (next() % 15) as f32 * 80.0];
                node.pos = Some(at);
                nodes.push(node);
            }
            let rects: Vec<Rect> = nodes.iter().map(card_rect).collect();
            for _ in 0..40 {
                let a = &nodes[(next() % 60) as usize];
                let b = &nodes[(next() % 60) as usize];
                let fast = route_between(a, b, &rects, true);
                routed += usize::from(matches!(fast, EdgePath::Route(_)));
                assert_eq!(fast, route_between(a, b, &rects, false));
            }
        }
        assert!(routed > 300, "{routed} of 800 links routed round cards");
    }

    /// The paths kept between frames are the ones worked out afresh, and
    /// are worked out again when a card moves or a link goes.
    #[test]
    fn kept_routes_follow_the_cards() {
        let (mut model, [q, m, c]) = three_in_a_row();
        model.add_edge(q, c, Edge::default());
        let back = model.add_edge(c, q, Edge::default());
        let rects =
            |model: &Model| -> Vec<Rect> { model.graph.node_weights().map(card_rect).collect() };
        let same = |routes: &Routes, model: &Model| {
            let kept: Vec<_> = routes.iter().map(|(e, p)| (e, p.clone())).collect();
            let fresh: Vec<_> = model
                .graph
                .edge_indices()
                .filter_map(|e| {
                    let (a, b) = model.graph.edge_endpoints(e)?;
                    Some((e, edge_path(model, a, b)))
                })
                .collect();
            assert_eq!(kept, fresh);
        };
        let mut routes = Routes::default();
        routes.refresh(&model, &rects(&model));
        same(&routes, &model);
        let key = routes.key;
        routes.refresh(&model, &rects(&model));
        assert_eq!(routes.key, key, "nothing moved");
        // The card in the way moves up: the back link runs below instead.
        let before = routes.paths[back.index()].clone();
        model.graph[m].pos = Some([300.0, -40.0]);
        routes.refresh(&model, &rects(&model));
        assert_ne!(routes.key, key);
        assert_ne!(
            routes.paths[back.index()],
            before,
            "the lane follows the card"
        );
        same(&routes, &model);
        model.graph.remove_edge(back);
        routes.refresh(&model, &rects(&model));
        same(&routes, &model);
        assert_eq!(routes.iter().count(), 1);
    }

    #[test]
    fn cards_are_as_wide_as_their_names_within_bounds() {
        // A short name and a short summary ("1 /s").
        let short = Node::new("a", NodeKind::default_for(Kind::Producer));
        assert_eq!(card_size(&short).x, CARD_MIN_WIDTH);
        let mut long = Node::new("b", NodeKind::default_for(Kind::Sink));
        long.name = Some("A rather long name for a sink".to_owned());
        let width = card_size(&long).x;
        assert!(width > CARD_MIN_WIDTH && width <= CARD_MAX_WIDTH);
        assert!(width >= TEXT_LEFT + text_width(long.label(), NAME_FONT));
    }
}
