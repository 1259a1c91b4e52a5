//! Everything the GUI knows per node kind, one `match` per concern: its
//! accent colour, its icon, and the key parameters shown on its card. A new
//! kind is one arm in each function here plus its inspector section.

use eframe::egui::{self, Color32, Pos2, Rect, Shape, Stroke, Vec2, pos2, vec2};
use sim_core::nodes::{Kind, NodeKind, Overflow, RouteMode};

/// The accent colour of a kind: icon tile and port colour.
pub fn accent(kind: Kind) -> Color32 {
    match kind {
        Kind::Producer => Color32::from_rgb(0x2f, 0x9e, 0x5c),
        Kind::Queue => Color32::from_rgb(0x35, 0x7a, 0xd6),
        Kind::Topic => Color32::from_rgb(0x8b, 0x5c, 0xd6),
        Kind::Consumer => Color32::from_rgb(0xd9, 0x7b, 0x26),
        Kind::Router => Color32::from_rgb(0x1f, 0x9a, 0xa6),
        Kind::Service => Color32::from_rgb(0xb0, 0x5a, 0x8c),
        Kind::Sink => Color32::from_rgb(0x5f, 0x72, 0x85),
        Kind::DeadLetter => Color32::from_rgb(0xc9, 0x45, 0x45),
        Kind::Log => Color32::from_rgb(0x2a, 0x8c, 0x7e),
        Kind::Cep => Color32::from_rgb(0xc2, 0x3b, 0x8a),
        Kind::EventStore => Color32::from_rgb(0x2e, 0x8b, 0x74),
        Kind::Projection => Color32::from_rgb(0xb8, 0x86, 0x0b),
    }
}

/// Whether any kind may send to `kind` (it has an input port).
pub fn has_input(kind: Kind) -> bool {
    Kind::ALL.iter().any(|from| from.connect(kind).is_ok())
}

/// Whether `kind` may send anywhere (it has an output port).
pub fn has_output(kind: Kind) -> bool {
    Kind::ALL.iter().any(|to| kind.connect(*to).is_ok())
}

/// A one-line description for the palette's tooltip.
pub fn blurb(kind: Kind) -> &'static str {
    match kind {
        Kind::Producer => "An event source: an API, a sensor, an app",
        Kind::Queue => "A point-to-point queue; consumers compete for its messages",
        Kind::Topic => "Publish/subscribe: every subscription gets a copy",
        Kind::Consumer => "A service that processes events, with retries",
        Kind::Router => "Routes by event type or weight, or splits events",
        Kind::Service => "An external dependency that consumers call and wait for",
        Kind::Sink => "An external dependency or the end of a flow",
        Kind::DeadLetter => "Where failed and poison messages go",
        Kind::Log => {
            "A Kafka-style log: partitions, retention; each consumer is a group that reads everything"
        }
        Kind::Cep => "Complex event processing: windows and patterns per key emit derived events",
        Kind::EventStore => "Event sourcing's append-only log: appends, conflicts, replay",
        Kind::Projection => "A CQRS read model fed by an event store; shows staleness",
    }
}

/// The key parameters of a node, in a short line for its card.
pub fn summary(kind: &NodeKind) -> String {
    match kind {
        NodeKind::Producer(p) => format!("{} /s", short_number(p.arrival.mean_rate())),
        NodeKind::Queue(q) => match q.capacity {
            Some(c) => format!(
                "cap {c} · {}",
                match q.overflow {
                    Overflow::Block => "blocks",
                    Overflow::DropNewest => "drops newest",
                    Overflow::DropOldest => "drops oldest",
                }
            ),
            None => "unbounded".to_owned(),
        },
        NodeKind::Topic(_) => "fan-out".to_owned(),
        NodeKind::Consumer(c) => {
            let mut s = format!("{}×{} · {}", c.instances, c.concurrency, c.service.mean());
            if c.failure > 0.0 {
                s.push_str(&format!(" · {}% fail", short_number(c.failure * 100.0)));
            }
            s
        }
        NodeKind::Router(r) => match r.mode {
            RouteMode::ByType => "by event type".to_owned(),
            RouteMode::Weighted => "by weight".to_owned(),
            RouteMode::Split { parts } => format!("split ×{parts}"),
        },
        NodeKind::Service(s) => {
            let mut text = format!("calls {}", s.latency.mean());
            if let Some(c) = s.concurrency {
                text.push_str(&format!(" · max {c}"));
            }
            text
        }
        NodeKind::Sink(s) => format!("latency {}", s.latency.mean()),
        NodeKind::DeadLetter(d) => d
            .capacity
            .map_or_else(|| "unbounded".to_owned(), |c| format!("cap {c}")),
        NodeKind::Log(l) => format!(
            "{} part{}{} · {}",
            l.partitions,
            if l.partitions == 1 { "" } else { "s" },
            match l.partitioner {
                sim_core::nodes::Partitioner::KeyHash => "",
                sim_core::nodes::Partitioner::RoundRobin => " rr",
            },
            l.retention
        ),
        NodeKind::Cep(c) => match c.rules.as_slice() {
            [rule] => format!("{} → {}", rule.name, rule.emit),
            rules => format!("{} rules", rules.len()),
        },
        NodeKind::EventStore(s) => {
            let mut text = format!("append {}", s.append.mean());
            if let Some(rate) = s.max_rate {
                text.push_str(&format!(" · max {}/s", short_number(rate)));
            }
            if s.conflict > 0.0 {
                text.push_str(&format!(
                    " · {}% conflict",
                    short_number(s.conflict * 100.0)
                ));
            }
            text
        }
        NodeKind::Projection(p) => {
            let mut text = format!("apply {}", p.apply.mean());
            if p.concurrency > 1 {
                text.push_str(&format!(" · ×{}", p.concurrency));
            }
            text
        }
    }
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

/// Paints the kind's icon, in `color`, inside the square `rect`.
pub fn paint_icon(painter: &egui::Painter, rect: Rect, kind: Kind, color: Color32) {
    let c = rect.center();
    let s = rect.width() / 2.0;
    let w = (s * 0.16).max(1.0);
    let stroke = Stroke::new(w, color);
    let p = |x: f32, y: f32| pos2(c.x + x * s, c.y + y * s);
    match kind {
        Kind::Producer => {
            // A source: a dot emitting waves.
            painter.circle_filled(p(-0.45, 0.0), s * 0.2, color);
            for r in [0.45f32, 0.8] {
                arc(painter, p(-0.45, 0.0), s * r, -0.9, 0.9, stroke);
            }
        }
        Kind::Queue => {
            // Messages in a row, the front one highlighted.
            for (i, x) in [-0.6f32, -0.2, 0.2, 0.6].into_iter().enumerate() {
                let r = Rect::from_center_size(p(x, 0.0), vec2(s * 0.28, s * 0.9));
                if i == 3 {
                    painter.rect_filled(r, s * 0.06, color);
                } else {
                    painter.rect_stroke(r, s * 0.06, stroke, egui::StrokeKind::Middle);
                }
            }
        }
        Kind::Topic => {
            // One in, three out.
            let hub = p(-0.3, 0.0);
            painter.line_segment([p(-0.85, 0.0), hub], stroke);
            for y in [-0.65f32, 0.0, 0.65] {
                painter.line_segment([hub, p(0.55, y)], stroke);
                painter.circle_filled(p(0.65, y), s * 0.16, color);
            }
            painter.circle_filled(hub, s * 0.2, color);
        }
        Kind::Consumer => {
            // A gear: a ring with teeth.
            for i in 0..8 {
                #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
                let a = i as f32 * std::f32::consts::TAU / 8.0;
                let dir = vec2(a.cos(), a.sin());
                painter.line_segment([c + dir * s * 0.55, c + dir * s * 0.85], stroke);
            }
            painter.circle_stroke(c, s * 0.55, stroke);
            painter.circle_filled(c, s * 0.2, color);
        }
        Kind::Sink => {
            // An arrow into a tray.
            painter.line_segment([p(0.0, -0.85), p(0.0, 0.2)], stroke);
            painter.add(Shape::convex_polygon(
                vec![p(-0.35, -0.1), p(0.35, -0.1), p(0.0, 0.35)],
                color,
                Stroke::NONE,
            ));
            painter.add(Shape::line(
                vec![p(-0.8, 0.2), p(-0.8, 0.75), p(0.8, 0.75), p(0.8, 0.2)],
                stroke,
            ));
        }
        Kind::Router => {
            // A diamond: one way in, two ways out.
            let d = [p(0.0, -0.7), p(0.7, 0.0), p(0.0, 0.7), p(-0.7, 0.0)];
            painter.add(Shape::closed_line(d.to_vec(), stroke));
            painter.line_segment([p(-1.0, 0.0), p(-0.7, 0.0)], stroke);
            painter.line_segment([p(0.35, -0.35), p(0.9, -0.75)], stroke);
            painter.line_segment([p(0.35, 0.35), p(0.9, 0.75)], stroke);
            painter.circle_filled(c, s * 0.16, color);
        }
        Kind::Service => {
            // A plug: a box with two prongs.
            let r = Rect::from_center_size(p(-0.2, 0.0), vec2(s * 1.0, s * 1.1));
            painter.rect_filled(r, s * 0.12, color);
            for y in [-0.3f32, 0.3] {
                painter.line_segment([p(0.3, y), p(0.8, y)], stroke);
            }
        }
        Kind::Cep => {
            // A pattern spotted in a stream: dots on a line, three ringed.
            painter.line_segment([p(-0.9, 0.35), p(0.9, 0.35)], stroke);
            for x in [-0.7f32, -0.35, 0.0, 0.35, 0.7] {
                painter.circle_filled(p(x, 0.35), s * 0.11, color);
            }
            let ring = Rect::from_min_max(p(-0.5, 0.05), p(0.5, 0.65));
            painter.rect_stroke(ring, s * 0.2, stroke, egui::StrokeKind::Middle);
            // The derived event, rising from the match.
            painter.line_segment([p(0.0, 0.05), p(0.0, -0.45)], stroke);
            painter.circle_filled(p(0.0, -0.6), s * 0.22, color);
        }
        Kind::EventStore => {
            // A stack of appended records, the newest drawn solid.
            for (i, y) in [-0.55f32, -0.1, 0.35].into_iter().enumerate() {
                let r = Rect::from_center_size(p(0.0, y), vec2(s * 1.5, s * 0.34));
                if i == 2 {
                    painter.rect_filled(r, s * 0.08, color);
                } else {
                    painter.rect_stroke(r, s * 0.08, stroke, egui::StrokeKind::Middle);
                }
            }
            painter.line_segment([p(0.0, 0.6), p(0.0, 0.95)], stroke);
        }
        Kind::Projection => {
            // A table: a read model.
            let r = Rect::from_center_size(c, vec2(s * 1.6, s * 1.3));
            painter.rect_stroke(r, s * 0.1, stroke, egui::StrokeKind::Middle);
            let head = Rect::from_min_max(r.min, pos2(r.max.x, r.min.y + s * 0.38));
            painter.rect_filled(head, s * 0.1, color);
            for y in [0.15f32, 0.45] {
                painter.line_segment([p(-0.8, y), p(0.8, y)], stroke);
            }
            painter.line_segment([p(-0.15, -0.27), p(-0.15, 0.65)], stroke);
        }
        Kind::DeadLetter => {
            // An envelope with a cross.
            let r = Rect::from_center_size(p(0.0, 0.05), vec2(s * 1.7, s * 1.2));
            painter.rect_stroke(r, s * 0.08, stroke, egui::StrokeKind::Middle);
            painter.add(Shape::line(
                vec![r.left_top(), p(0.0, 0.15), r.right_top()],
                stroke,
            ));
            let x = p(0.55, 0.5);
            painter.circle_filled(x, s * 0.38, color);
            let d = s * 0.17;
            let white = Stroke::new(w, Color32::WHITE);
            painter.line_segment([x + vec2(-d, -d), x + vec2(d, d)], white);
            painter.line_segment([x + vec2(-d, d), x + vec2(d, -d)], white);
        }
        Kind::Log => {
            // Three partitions: rows of appended records, filled to
            // different ends, with a read position on each.
            for (row, filled) in [(-0.55f32, 4), (0.0, 3), (0.55, 2)] {
                for i in 0..4 {
                    #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
                    let x = -0.75 + i as f32 * 0.42;
                    let r = Rect::from_center_size(p(x, row), vec2(s * 0.34, s * 0.36));
                    if i < filled {
                        painter.rect_filled(r, s * 0.05, color);
                    } else {
                        painter.rect_stroke(r, s * 0.05, stroke, egui::StrokeKind::Middle);
                    }
                }
            }
        }
    }
}

fn arc(painter: &egui::Painter, center: Pos2, radius: f32, from: f32, to: f32, stroke: Stroke) {
    let points = (0..=12)
        .map(|i| {
            #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
            let t = from + (to - from) * i as f32 / 12.0;
            center + Vec2::angled(t) * radius
        })
        .collect();
    painter.add(Shape::line(points, stroke));
}
