//! The canvas: nodes as cards, edges as curves, and the gestures that edit
//! them.
//!
//! [`canvas_ui`] draws the model and returns what the user asked for as
//! [`ModelCommand`]s in a [`CanvasOutput`]; it never mutates the model.
//! View state — pan, zoom, selection, the gesture in progress — lives in
//! [`CanvasState`], never in the model file.

use std::collections::BTreeSet;

use eframe::egui::{
    self, Color32, CornerRadius, FontId, Key, Painter, PointerButton, Pos2, Rect, RichText, Sense,
    Shape, Stroke, StrokeKind, Vec2, pos2, vec2,
};
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use sim_core::Model;
use sim_core::model::{Edge, ModelCommand, Node};
use sim_core::nodes::{EdgeRole, Kind, NodeKind};
use sim_core::validate::{Diagnostic, Severity, Target};

use super::kinds;

/// A card's size in canvas units.
pub const CARD: Vec2 = vec2(164.0, 60.0);
/// Grid spacing in canvas units; moved nodes snap to it.
pub const GRID: f32 = 20.0;
/// A card's name and summary sizes at zoom 1, in canvas units.
const NAME_FONT: f32 = 14.0;
const SUMMARY_FONT: f32 = 11.5;
const MIN_ZOOM: f32 = 0.15;
const MAX_ZOOM: f32 = 3.0;

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
    /// Draw the background grid (pictures for documents leave it out).
    pub show_grid: bool,
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
            show_grid: true,
            gesture: Gesture::Idle,
            renaming: None,
            notice: None,
            fit_pending: true,
            framed_size: None,
            focus_pending: None,
            last_rect: Rect::from_min_size(Pos2::ZERO, vec2(800.0, 600.0)),
        }
    }
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
    /// Frames every node on the next draw.
    pub fn request_fit(&mut self) {
        self.fit_pending = true;
    }

    /// How tall a card's name and summary are drawn at the current zoom,
    /// in points (multiply by the context's pixels per point for pixels).
    pub fn card_text_points(&self) -> (f32, f32) {
        (NAME_FONT * self.zoom, SUMMARY_FONT * self.zoom)
    }

    /// Selects one node and centres the view on it.
    pub fn focus_node(&mut self, model: &Model, n: NodeIndex) {
        self.selected = BTreeSet::from([n]);
        self.selected_edge = None;
        if let Some(pos) = model.graph.node_weight(n).and_then(|node| node.pos) {
            self.focus_pending = Some(pos2(pos[0], pos[1]) + CARD / 2.0);
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

    /// A free spot for a new card near the centre of the view: the centre,
    /// else the first free place below it.
    pub fn free_spot(&self, model: &Model) -> [f32; 2] {
        let mut c = snap(self.to_canvas(self.last_rect, self.last_rect.center()) - CARD / 2.0);
        for _ in 0..50 {
            let card = Rect::from_min_size(c, CARD).expand(GRID / 2.0);
            let taken = model
                .graph
                .node_weights()
                .any(|n| Rect::from_min_size(node_pos(n), CARD).intersects(card));
            if !taken {
                break;
            }
            c.y += CARD.y + GRID;
        }
        [c.x, c.y]
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
            CARD * self.zoom,
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

    fn fit(&mut self, rect: Rect, model: &Model) {
        let mut bounds = Rect::NOTHING;
        for node in model.graph.node_weights() {
            let p = node_pos(node);
            bounds = bounds.union(Rect::from_min_size(p, CARD));
        }
        if !bounds.is_positive() {
            self.zoom = 1.0;
            self.offset = vec2(40.0, 40.0);
            return;
        }
        let margin = 60.0;
        let zoom = ((rect.width() - 2.0 * margin) / bounds.width())
            .min((rect.height() - 2.0 * margin) / bounds.height())
            .clamp(MIN_ZOOM, 1.5);
        self.zoom = zoom;
        self.offset = rect.size() / 2.0 - bounds.center().to_vec2() * zoom;
    }

    fn zoom_around(&mut self, rect: Rect, screen: Pos2, factor: f32) {
        self.framed_size = None;
        let before = self.to_canvas(rect, screen);
        self.zoom = (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM);
        self.offset = screen - rect.min - before.to_vec2() * self.zoom;
    }
}

/// Where a node's card sits, in canvas units.
pub fn node_pos(node: &Node) -> Pos2 {
    node.pos.map_or(Pos2::ZERO, |p| pos2(p[0], p[1]))
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
    /// Paints over the edges and under the cards. `edges` holds each
    /// edge's screen endpoints; [`bezier_point`] follows its curve.
    fn paint_flow(&mut self, painter: &Painter, edges: &[(EdgeIndex, Pos2, Pos2)], zoom: f32);
    /// Paints on and around a node's card (`card` in screen space).
    fn paint_node(&self, painter: &Painter, node: NodeIndex, card: Rect, zoom: f32);
    /// What the card's tooltip says while the pointer rests on it.
    fn node_hover_text(&self, _node: NodeIndex) -> Option<String> {
        None
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
    if state.fit_pending || state.framed_size.is_some_and(|size| size != rect.size()) {
        state.fit(rect, model);
        state.fit_pending = false;
        state.framed_size = Some(rect.size());
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
    let hit_node = |p: Pos2| -> Option<NodeIndex> {
        // Topmost first: the last drawn.
        model
            .graph
            .node_indices()
            .rev()
            .find(|&n| Rect::from_min_size(node_pos(&model.graph[n]), CARD).contains(p))
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
        let at = snap(p - CARD / 2.0);
        out.commands.push(new_node(model, *kind, [at.x, at.y]));
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
            for n in model.graph.node_indices() {
                if r.intersects(Rect::from_min_size(node_pos(&model.graph[n]), CARD)) {
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
        } else if let Some(e) = hit_edge(model, p, 8.0 / state.zoom) {
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

    // Edges under nodes.
    let weight = state.weight;
    let mut edge_ends = Vec::new();
    for e in model.graph.edge_indices() {
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
            _ => visuals.text_color().gamma_multiply(0.55),
        };
        let width = if selected { 3.0 } else { 1.8 } * weight;
        let from = state.to_screen(rect, output_port(na));
        let to = state.to_screen(rect, input_port(nb));
        let mut stroke = Stroke::new(width, color);
        if let Some(overlay) = overlay.as_deref()
            && !selected
        {
            stroke = overlay.edge_stroke(e, stroke);
        }
        paint_edge(&painter, from, to, stroke, state.zoom);
        if overlay.is_some() {
            edge_ends.push((e, from, to));
        }
        let label = model.graph[e]
            .latency
            .filter(|d| !d.is_zero())
            .map(|d| format!("+{d}"));
        if let Some(label) = label
            && state.zoom > 0.5
        {
            let mid = bezier_point(from, to, 0.5);
            painter.text(
                mid + vec2(0.0, -8.0),
                egui::Align2::CENTER_BOTTOM,
                label,
                FontId::proportional(11.0 * state.zoom.min(1.5) * weight.sqrt()),
                visuals.weak_text_color(),
            );
        }
    }
    if let Some((from, to, verdict)) = &connect_preview {
        let color = if verdict.is_ok() {
            visuals.selection.stroke.color
        } else {
            visuals.error_fg_color
        };
        paint_edge(
            &painter,
            state.to_screen(rect, *from),
            state.to_screen(rect, *to),
            Stroke::new(2.0 * weight, color),
            state.zoom,
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
    for n in model.graph.node_indices() {
        let node = &model.graph[n];
        let r = Rect::from_min_size(state.to_screen(rect, node_pos(node)), CARD * state.zoom);
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
            },
            &visuals,
        );
        hovered_cut |= cut && hovered == Some(n);
        if let Some(overlay) = overlay.as_deref() {
            overlay.paint_node(&painter, n, r, state.zoom);
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
        if card.is_some() || live.is_some() {
            response.clone().on_hover_ui_at_pointer(|ui| {
                ui.set_max_width(360.0);
                if let Some((name, summary)) = card {
                    ui.label(RichText::new(name).strong());
                    ui.label(RichText::new(summary).weak());
                }
                if let Some(text) = live {
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
    let r = Rect::from_min_size(state.to_screen(rect, node_pos(node)), CARD * state.zoom);
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
    node_pos(node) + vec2(CARD.x, CARD.y / 2.0)
}

fn input_port(node: &Node) -> Pos2 {
    node_pos(node) + vec2(0.0, CARD.y / 2.0)
}

fn bezier_controls(from: Pos2, to: Pos2) -> [Pos2; 4] {
    let dx = ((to.x - from.x).abs() * 0.5).max(40.0);
    [from, from + vec2(dx, 0.0), to - vec2(dx, 0.0), to]
}

/// The point at `t` (0..1) along the curve an edge from `from` to `to`
/// is drawn with (screen or canvas space alike).
pub fn bezier_point(from: Pos2, to: Pos2, t: f32) -> Pos2 {
    let [p0, p1, p2, p3] = bezier_controls(from, to);
    let u = 1.0 - t;
    let v = p0.to_vec2() * (u * u * u)
        + p1.to_vec2() * (3.0 * u * u * t)
        + p2.to_vec2() * (3.0 * u * t * t)
        + p3.to_vec2() * (t * t * t);
    v.to_pos2()
}

fn hit_edge(model: &Model, p: Pos2, reach: f32) -> Option<EdgeIndex> {
    model.graph.edge_indices().find(|&e| {
        let Some((a, b)) = model.graph.edge_endpoints(e) else {
            return false;
        };
        let (from, to) = (output_port(&model.graph[a]), input_port(&model.graph[b]));
        (0..=24).any(|i| {
            #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
            let t = i as f32 / 24.0;
            bezier_point(from, to, t).distance(p) <= reach
        })
    })
}

fn paint_edge(painter: &Painter, from: Pos2, to: Pos2, stroke: Stroke, zoom: f32) {
    let head = (10.0 * zoom.clamp(0.5, 1.6)) * stroke.width.max(1.8) / 1.8;
    // The curve ends at the arrowhead's base.
    let end = to - vec2(head, 0.0);
    let [p0, p1, p2, _] = bezier_controls(from, to);
    if zoom < 0.4 && to.x > from.x {
        // Far out a straight line reads the same and costs far less.
        painter.line_segment([from, end], stroke);
    } else {
        painter.add(egui::epaint::CubicBezierShape::from_points_stroke(
            [p0, p1, p2, end],
            false,
            Color32::TRANSPARENT,
            stroke,
        ));
    }
    painter.add(Shape::convex_polygon(
        vec![
            to,
            to - vec2(head, head * 0.55),
            to - vec2(head, -head * 0.55),
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
    let mut y = start_y;
    let mut shapes = Vec::new();
    while y < rect.bottom() {
        let mut x = start_x;
        while x < rect.right() {
            shapes.push(Shape::rect_filled(
                Rect::from_center_size(pos2(x, y), vec2(r * 1.6, r * 1.6)),
                0.0,
                color,
            ));
            x += step;
        }
        y += step;
    }
    painter.extend(shapes);
}

#[derive(Clone, Copy, Debug)]
struct CardLook {
    selected: bool,
    hovered: bool,
    badge: Option<(Severity, usize)>,
    zoom: f32,
    weight: f32,
}

/// Paints a node's card; returns whether it shows less than the node's
/// name and summary (cut to fit, or too small for text).
fn paint_card(
    painter: &Painter,
    r: Rect,
    node: &Node,
    look: CardLook,
    visuals: &egui::Visuals,
) -> bool {
    let kind = node.kind.kind();
    let accent = kinds::of(kind).accent();
    let z = look.zoom;
    let radius = CornerRadius::same((8.0 * z).clamp(1.0, 20.0) as u8);
    let fill = if visuals.dark_mode {
        Color32::from_gray(44)
    } else {
        Color32::WHITE
    };
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
    painter.rect_filled(r, radius, fill);
    let outline = if look.selected {
        Stroke::new(2.5 * look.weight, visuals.selection.stroke.color)
    } else if look.hovered {
        Stroke::new(1.5 * look.weight, accent)
    } else {
        Stroke::new(
            1.0 * look.weight,
            if visuals.dark_mode {
                Color32::from_gray(70)
            } else {
                Color32::from_gray(200)
            },
        )
    };
    painter.rect_stroke(r, radius, outline, StrokeKind::Inside);

    // Icon tile on the left.
    let tile = Rect::from_min_size(r.min, vec2(r.height(), r.height())).shrink(9.0 * z);
    if detailed {
        painter.rect_filled(tile, radius, accent.gamma_multiply(0.16));
        kinds::paint_icon(painter, tile.shrink(6.0 * z), kind, accent);
    } else {
        painter.rect_filled(tile, radius, accent);
    }

    // Too small for text: the name and summary are left out.
    let mut cut = z <= 0.35;
    if !cut {
        let text_x = tile.right() + 7.0 * z;
        let width = r.right() - text_x - 6.0 * z;
        let name_font = FontId::proportional(NAME_FONT * z);
        let name = painter.layout(
            node.label().to_owned(),
            name_font,
            visuals.strong_text_color(),
            f32::INFINITY,
        );
        cut |= name.size().x > width;
        let name = elide(painter, name, node.label(), NAME_FONT * z, width, visuals);
        painter.galley(
            pos2(text_x, r.top() + 10.0 * z),
            name,
            visuals.strong_text_color(),
        );
        let summary = kinds::params(&node.kind).summary();
        let small = FontId::proportional(SUMMARY_FONT * z);
        let line = painter.layout_no_wrap(summary, small, visuals.weak_text_color());
        if line.size().x <= width {
            painter.galley(
                pos2(text_x, r.top() + 33.0 * z),
                line,
                visuals.weak_text_color(),
            );
        } else {
            cut = true;
        }
    }

    // Ports.
    let port_r = (5.0 * z).max(2.5) * look.weight.sqrt();
    if kinds::has_input(kind) {
        let p = pos2(r.left(), r.center().y);
        painter.circle(p, port_r, fill, Stroke::new(1.5 * look.weight, accent));
    }
    if kinds::has_output(kind) {
        let p = pos2(r.right(), r.center().y);
        painter.circle(p, port_r, accent, Stroke::new(1.5 * look.weight, fill));
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
    visuals: &egui::Visuals,
) -> std::sync::Arc<egui::Galley> {
    if galley.size().x <= width {
        return galley;
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        let g = painter.layout_no_wrap(
            candidate,
            FontId::proportional(size),
            visuals.strong_text_color(),
        );
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
