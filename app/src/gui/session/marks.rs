//! Marks on and under a node's card during a live run: what every kind
//! shows (drops, breaker, blocked, down) here, what each kind shows of its
//! own in its file under `gui::kinds`.

use eframe::egui::{Align2, Color32, FontId, Painter, Pos2, Rect, Stroke, StrokeKind, vec2};
use sim_core::nodes::Kind;
use sim_core::nodes::breaker::BreakerState;
use sim_core::snapshot::NodeSnapshot;

use crate::gui::colors;
use crate::gui::kinds;

/// What a kind puts under its card: a line of text and a fill bar.
pub struct CardMarks<'a> {
    /// For kinds that draw more than a bar.
    pub painter: &'a Painter,
    pub zoom: f32,
    pub dark: bool,
    /// Where the fill bar goes, just under the card.
    pub bar_rect: Rect,
    /// Where the line of text starts: under the bar, or under what the
    /// kind drew in its place.
    pub text_at: Pos2,
    pub line: String,
    pub line_color: Color32,
    /// The fill bar, 0 to 1, for kinds that show one.
    pub bar: Option<f32>,
    /// The part of the bar, 0 to 1 of its width, busy with work nobody
    /// waits for (drawn struck through at the bar's start).
    pub wasted: f32,
}

impl CardMarks<'_> {
    /// Sets the line of text, worked out only if the card is big enough
    /// to show it.
    pub fn set_line(&mut self, line: impl FnOnce() -> String) {
        if shows_line(self.zoom) {
            self.line = line();
        }
    }
}

impl std::fmt::Debug for CardMarks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardMarks")
            .field("line", &self.line)
            .field("bar", &self.bar)
            .finish_non_exhaustive()
    }
}

/// Marks on and under a node's card: fill, slots, breaker, blocked
/// (`blocked`: now or a moment ago), down, counts; each kind fills in
/// its own ([`kinds::KindUi::card_marks`]).
pub fn paint_node_marks(
    painter: &Painter,
    n: &NodeSnapshot,
    blocked: bool,
    card: Rect,
    zoom: f32,
    dark: bool,
) {
    let size = line_size(zoom);
    let text_color = if dark {
        Color32::from_gray(225)
    } else {
        Color32::from_gray(40)
    };
    let bar_rect = Rect::from_min_size(
        card.left_bottom() + vec2(0.0, bar_gap(zoom)),
        vec2(card.width(), bar_height(zoom)),
    );
    let mut marks = CardMarks {
        painter,
        zoom,
        dark,
        bar_rect,
        text_at: bar_rect.left_bottom() + vec2(0.0, line_gap(zoom)),
        line: String::new(),
        line_color: text_color,
        bar: None,
        wasted: 0.0,
    };
    kinds::of(n.kind).card_marks(n, &mut marks);
    let CardMarks {
        text_at,
        mut line,
        line_color,
        bar: show_bar,
        wasted,
        ..
    } = marks;
    // A broker's losses are on its line already ("lost"): the rest were
    // dropped.
    let dropped = n.dropped.saturating_sub(n.lost);
    if dropped > 0 {
        line.push_str(&format!(" · {} dropped", short(dropped)));
    }
    if let Some(fill) = show_bar {
        bar(painter, bar_rect, fill, dark);
        if wasted > 0.0 {
            wasted_part(painter, bar_rect, wasted.min(fill), dark);
        }
    }
    // NOTE: the line keeps a readable size (9.5 points at least) as the
    // cards shrink; below 35 % zoom it would dwarf them, so it goes.
    if shows_line(zoom) && !line.is_empty() {
        // NOTE: tight layouts put the next card right under this line; a
        // backing keeps it readable over it.
        let galley = painter.layout_no_wrap(line, FontId::proportional(size), line_color);
        let back = Rect::from_min_size(text_at, galley.size()).expand(1.5);
        let bg = if dark {
            Color32::from_black_alpha(170)
        } else {
            Color32::from_white_alpha(200)
        };
        painter.rect_filled(back, 3.0, bg);
        painter.galley(text_at, galley, line_color);
    }
    if let Some(state) = n.breaker {
        let (label, fill) = match state {
            BreakerState::Closed => ("breaker closed", colors::GREEN),
            BreakerState::HalfOpen => ("breaker half-open", colors::YELLOW),
            BreakerState::Open => ("breaker OPEN", colors::WARN),
        };
        tag(
            painter,
            card.left_top() + vec2(4.0 * zoom, -4.0 * zoom),
            Align2::LEFT_BOTTOM,
            label,
            fill,
            size,
        );
    }
    if blocked {
        painter.rect_stroke(
            card.expand(2.0),
            8.0 * zoom,
            Stroke::new((3.0 * zoom).max(2.0), colors::BLOCKED),
            StrokeKind::Outside,
        );
        tag(
            painter,
            card.right_top() + vec2(-4.0 * zoom, -4.0 * zoom),
            Align2::RIGHT_BOTTOM,
            "BLOCKED",
            colors::BLOCKED,
            size,
        );
    }
    if n.down {
        painter.rect_filled(card, 8.0 * zoom, colors::DOWN.gamma_multiply(0.6));
        tag(
            painter,
            card.center(),
            Align2::CENTER_CENTER,
            // A replicated broker is down while it elects a new leader,
            // one with a standby while it switches region.
            if n.electing {
                "ELECTING"
            } else if n.switching {
                "FAILING OVER"
            } else {
                "DOWN"
            },
            colors::DOWN,
            size * 1.4,
        );
    } else if n.refusing {
        painter.rect_stroke(
            card.expand(2.0),
            8.0 * zoom,
            Stroke::new((3.0 * zoom).max(2.0), colors::WARN),
            StrokeKind::Outside,
        );
        tag(
            painter,
            card.center(),
            Align2::CENTER_CENTER,
            "REFUSING WRITES",
            colors::WARN,
            size * 1.2,
        );
    } else if n.throttling {
        // Above the card's left corner, clear of BLOCKED (right), so the
        // name and the numbers stay readable while it throttles.
        painter.rect_stroke(
            card.expand(2.0),
            8.0 * zoom,
            Stroke::new((3.0 * zoom).max(2.0), colors::ORANGE),
            StrokeKind::Outside,
        );
        tag(
            painter,
            card.left_top() + vec2(4.0 * zoom, -4.0 * zoom),
            Align2::LEFT_BOTTOM,
            if n.kind == Kind::Queue {
                "PUSH BACKOFF"
            } else {
                "THROTTLED"
            },
            colors::ORANGE,
            size,
        );
    }
}

/// A card marked from a report (the bottleneck): an outline outside the
/// live marks' and a tag centred above the card, clear of the breaker's
/// tag (left) and BLOCKED (right).
pub fn paint_card_mark(painter: &Painter, card: Rect, zoom: f32, text: &str) {
    painter.rect_stroke(
        card.expand((6.0 * zoom).max(3.0)),
        10.0 * zoom,
        Stroke::new((2.5 * zoom).max(2.0), colors::WARN),
        StrokeKind::Outside,
    );
    tag(
        painter,
        card.center_top() + vec2(0.0, -(8.0 * zoom).max(4.0)),
        Align2::CENTER_BOTTOM,
        text,
        colors::WARN,
        line_size(zoom),
    );
}

/// 1234 → "1234", 12345 → "12.3k", 1234567 → "1.23M".
pub fn short(v: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "display value")]
    let x = v as f64;
    if v < 10_000 {
        v.to_string()
    } else if v < 1_000_000 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{:.2}M", x / 1e6)
    }
}

/// A small tag with a coloured background, anchored at `at`.
/// The numbers line's text size at `zoom`, in points.
fn line_size(zoom: f32) -> f32 {
    (11.5 * zoom).clamp(9.5, 17.0)
}

/// Below the card: the gap to the bar, the bar, the gap to the line.
fn bar_gap(zoom: f32) -> f32 {
    4.0 * zoom
}

fn bar_height(zoom: f32) -> f32 {
    (6.0 * zoom).max(3.0)
}

fn line_gap(zoom: f32) -> f32 {
    2.0 * zoom
}

fn shows_line(zoom: f32) -> bool {
    zoom >= 0.35
}

/// How far the marks reach below a card at `zoom`, in points: the bar
/// and the numbers line, with its backing. Fit leaves this room, so a
/// run's marks are never cut off at the canvas's bottom edge.
pub fn reach(zoom: f32) -> f32 {
    // NOTE: a line of proportional text is about 1.2 of its size tall.
    let line = if shows_line(zoom) {
        line_gap(zoom) + line_size(zoom) * 1.2 + 1.5
    } else {
        0.0
    };
    bar_gap(zoom) + bar_height(zoom) + line
}

fn tag(painter: &Painter, at: Pos2, anchor: Align2, text: &str, fill: Color32, size: f32) {
    let galley =
        painter.layout_no_wrap(text.to_owned(), FontId::proportional(size), Color32::BLACK);
    let rect = anchor
        .anchor_size(at, galley.size())
        .expand2(vec2(size * 0.35, size * 0.12));
    painter.rect_filled(rect, size * 0.3, fill);
    let text_color = colors::text_on(fill);
    painter.galley(
        rect.min + vec2(size * 0.35, size * 0.12),
        galley,
        text_color,
    );
}

/// A horizontal fill bar: `fill` of 0..1.
fn bar(painter: &Painter, rect: Rect, fill: f32, dark: bool) {
    let bg = if dark {
        Color32::from_gray(60)
    } else {
        Color32::from_gray(222)
    };
    painter.rect_filled(rect, 2.0, bg);
    let fill = fill.clamp(0.0, 1.0);
    let color = colors::fill(fill, dark);
    let mut filled = rect;
    filled.set_width(rect.width() * fill);
    if filled.width() > 0.0 {
        painter.rect_filled(filled, 2.0, color);
    }
}

/// The start of a fill bar, `share` of its width, marked as work for
/// nobody: darker, with diagonal strokes.
fn wasted_part(painter: &Painter, rect: Rect, share: f32, dark: bool) {
    let mut part = rect;
    part.set_width(rect.width() * share.clamp(0.0, 1.0));
    if part.width() <= 0.0 {
        return;
    }
    painter.rect_filled(part, 2.0, colors::WASTED);
    let stroke = Stroke::new(
        1.0,
        if dark {
            Color32::from_gray(20)
        } else {
            Color32::WHITE
        },
    );
    let h = part.height();
    let mut x = part.left();
    while x < part.right() {
        let end = (x + h).min(part.right());
        let rise = end - x;
        painter.line_segment(
            [
                Pos2::new(x, part.bottom()),
                Pos2::new(end, part.bottom() - rise),
            ],
            stroke,
        );
        x += h.max(2.0);
    }
}

#[expect(clippy::cast_precision_loss, reason = "display ratios")]
pub fn ratio(a: u64, b: u64) -> f32 {
    if b == 0 { 0.0 } else { a as f32 / b as f32 }
}
