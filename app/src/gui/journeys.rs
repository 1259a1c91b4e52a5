//! The message inspector: the live run's sampled messages, and the
//! journey of the one picked as a waterfall — one row per hop, a bar on a
//! shared sim-time axis coloured by what the message was doing (waiting,
//! being processed, failing, backing off, crossing a link, blocked).
//!
//! The list and the inspected journey come with each [`LiveFrame`]: the
//! simulation thread sends the newest [`RECENT_JOURNEYS`] summaries and
//! the one asked for, never the whole recording.

use eframe::egui::{
    self, Align, Color32, FontId, Layout, RichText, Sense, Stroke, StrokeKind, text::LayoutJob,
    vec2,
};
use sim_core::journey::{ForkKind, Hop, HopKind, Journey, JourneyEnd, Outcome};
use sim_core::time::SimTime;

use super::charts::seconds;
use super::colors;
use crate::live::{
    Inspected, JOURNEY_EVERY, JourneyRef, JourneySummary, LiveFrame, RECENT_JOURNEYS, attempts,
};

/// The Messages window's state (view state: never saved with a model).
#[derive(Clone, Debug, Default)]
pub struct MessagesView {
    pub open: bool,
    /// The message whose journey is shown.
    pub selected: Option<JourneyRef>,
    /// List only the messages that went through this node (model order).
    pub through: Option<u32>,
    /// The list as it was when the pointer came onto it, kept (with each
    /// row's state brought up to date) until the pointer leaves: new
    /// messages arrive at the top and would move the rows under it.
    held: Option<Vec<JourneySummary>>,
}

/// What the user asked for in the window.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessagesAction {
    /// Select and frame this node (model order) on the canvas.
    ShowNode(u32),
}

/// How a hop reads and is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stretch {
    Waiting,
    Processing,
    Failed,
    Backoff,
    Blocked,
    Transit,
    Invisible,
    Other,
}

impl Stretch {
    pub fn of(kind: HopKind) -> Self {
        match kind {
            HopKind::Wait => Self::Waiting,
            HopKind::Process {
                outcome: Outcome::Ok,
                ..
            } => Self::Processing,
            HopKind::Process { .. } => Self::Failed,
            HopKind::Backoff { .. } => Self::Backoff,
            HopKind::Blocked => Self::Blocked,
            HopKind::Transit { .. } => Self::Transit,
            HopKind::Invisible => Self::Invisible,
            HopKind::Created | HopKind::Route | HopKind::Elided { .. } => Self::Other,
        }
    }

    /// The Okabe–Ito colours of the live view.
    pub fn color(self, dark: bool) -> Color32 {
        match self {
            Self::Waiting => colors::SKY,
            Self::Processing => colors::GREEN,
            Self::Failed => colors::WARN,
            Self::Backoff => colors::ORANGE,
            Self::Blocked => colors::BLOCKED,
            Self::Transit => colors::YELLOW,
            Self::Invisible => colors::BLUE,
            Self::Other => {
                if dark {
                    Color32::from_gray(140)
                } else {
                    Color32::from_gray(120)
                }
            }
        }
    }

    const LEGEND: [(Self, &'static str); 7] = [
        (Self::Waiting, "queue wait"),
        (Self::Processing, "processing"),
        (Self::Failed, "failed attempt"),
        (Self::Backoff, "backoff"),
        (Self::Transit, "transit"),
        (Self::Blocked, "blocked"),
        (Self::Invisible, "invisible"),
    ];
}

/// What a hop was, in words: "attempt 2 failed", "backoff after attempt 1".
pub fn hop_label(kind: HopKind, node_name: &dyn Fn(u32) -> String) -> String {
    match kind {
        HopKind::Created => "created".to_owned(),
        HopKind::Wait => "waiting".to_owned(),
        HopKind::Process { attempt, outcome } => match outcome {
            Outcome::Ok => format!("attempt {attempt}"),
            Outcome::Failed => format!("attempt {attempt} failed"),
            Outcome::TimedOut => format!("attempt {attempt} timed out"),
            Outcome::BreakerOpen => format!("attempt {attempt}: breaker open"),
            Outcome::Rejected => format!("attempt {attempt} rejected"),
            Outcome::Throttled => format!("attempt {attempt} throttled"),
            Outcome::Crashed => format!("attempt {attempt}: crashed"),
        },
        HopKind::Backoff { attempt } => format!("backoff after attempt {attempt}"),
        HopKind::Blocked => "blocked (next stage full)".to_owned(),
        HopKind::Transit { to } => format!("transit to {}", node_name(to)),
        HopKind::Route => "routed".to_owned(),
        HopKind::Invisible => "invisible (consumer crashed)".to_owned(),
        HopKind::Elided { hops } => format!("{hops} more hops, not kept"),
    }
}

/// How a journey ended, in words.
pub fn end_label(end: JourneyEnd, node_name: &dyn Fn(u32) -> String) -> String {
    match end {
        JourneyEnd::InFlight => "in flight".to_owned(),
        JourneyEnd::Completed { node, .. } => format!("completed at {}", node_name(node)),
        JourneyEnd::Dropped { node, reason, .. } => {
            format!(
                "dropped at {} ({})",
                node_name(node),
                reason.key().replace('_', " ")
            )
        }
        JourneyEnd::DeadLettered { node, .. } => {
            format!("dead-lettered in {}", node_name(node))
        }
        JourneyEnd::Expired { node, .. } => format!("expired in {}", node_name(node)),
    }
}

/// A duration for people: "0.42 ms", "12.3 ms", "1.5 s".
pub fn duration_label(nanos: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a display value")]
    let s = nanos as f64 / 1e9;
    if s == 0.0 {
        "0 ms".to_owned()
    } else if s < 0.001 {
        format!("{:.2} ms", s * 1e3)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        seconds(s)
    }
}

/// Where a hop's bar lies on an axis `width` points wide showing `t0` to
/// `t1`: its left offset and width. Proportional to the times; a hop too
/// short to see still gets `min_width` (kept inside the axis).
pub fn bar_span(hop: &Hop, t0: SimTime, t1: SimTime, width: f32, min_width: f32) -> (f32, f32) {
    let span = t1.as_nanos().saturating_sub(t0.as_nanos());
    if span == 0 || width <= 0.0 {
        return (0.0, min_width.min(width.max(0.0)));
    }
    #[expect(clippy::cast_precision_loss, reason = "screen positions")]
    let at = |t: SimTime| {
        let d = t.as_nanos().saturating_sub(t0.as_nanos()).min(span);
        (d as f64 / span as f64) as f32 * width
    };
    let (left, right) = (at(hop.start), at(hop.end.max(hop.start)));
    let w = (right - left).max(min_width).min(width);
    (left.min(width - w), w)
}

/// Time totals of a journey, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub end_to_end: u64,
    /// Queue waits, blocked and invisible stretches.
    pub waiting: u64,
    pub backoff: u64,
    /// Processing attempts, failed ones included.
    pub processing: u64,
    pub transit: u64,
    pub attempts: u32,
    pub failed_attempts: u32,
}

impl Totals {
    pub fn of(journey: &Journey) -> Self {
        let mut t = Self {
            attempts: attempts(journey),
            ..Self::default()
        };
        for hop in &journey.hops {
            let d = hop.duration().0;
            t.end_to_end += d;
            match Stretch::of(hop.kind) {
                Stretch::Waiting | Stretch::Blocked | Stretch::Invisible => t.waiting += d,
                Stretch::Backoff => t.backoff += d,
                Stretch::Processing => t.processing += d,
                Stretch::Failed => {
                    t.processing += d;
                    t.failed_attempts += 1;
                }
                Stretch::Transit => t.transit += d,
                Stretch::Other => {}
            }
        }
        t
    }
}

/// The label of a message in the list (tests find rows by it).
pub fn row_title(s: &JourneySummary) -> String {
    format!("#{} {} · key {}", s.at.id, s.event_type, s.key)
}

impl MessagesView {
    /// The window's contents; `frame` is the live frame on show,
    /// `node_name` names a node by its model-order index.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        frame: &LiveFrame,
        node_name: &dyn Fn(u32) -> String,
    ) -> Option<MessagesAction> {
        let mut action = None;
        let now = frame.snapshot.now;
        ui.horizontal(|ui| {
            let about = match &self.held {
                Some(held) => {
                    let newer = frame
                        .journeys
                        .iter()
                        .filter(|s| !held.iter().any(|h| h.at == s.at))
                        .count();
                    format!(
                        "The list holds still while the pointer is on it ({newer} newer not shown)."
                    )
                }
                None => format!(
                    "One event in {JOURNEY_EVERY} is followed; the newest {RECENT_JOURNEYS} are listed."
                ),
            };
            ui.label(RichText::new(about).weak());
            if let Some(n) = self.through {
                let mut only = true;
                ui.checkbox(&mut only, format!("Only through {}", node_name(n)));
                if !only {
                    self.through = None;
                }
            }
        });
        ui.separator();
        let height = ui.available_height().max(200.0);
        ui.horizontal_top(|ui| {
            ui.allocate_ui_with_layout(
                vec2(270.0, height),
                Layout::top_down(Align::Min),
                |ui| {
                    ui.set_width(270.0);
                    self.list_ui(ui, frame, now, node_name);
                },
            );
            ui.separator();
            ui.vertical(|ui| {
                let shown = frame
                    .inspected
                    .as_ref()
                    .filter(|i| Some(i.at) == self.selected);
                match shown {
                    Some(inspected) => {
                        let dark = ui.visuals().dark_mode;
                        action = self.journey_ui(ui, inspected, now, dark, node_name);
                    }
                    None if self.selected.is_some() && frame.inspect_asked == self.selected => {
                        ui.label(
                            RichText::new(
                                "This message is no longer recorded (the run was reset). Pick another.",
                            )
                            .weak(),
                        );
                    }
                    None if self.selected.is_some() => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("fetching the journey…");
                        });
                    }
                    None => {
                        ui.label(
                            RichText::new("Pick a message to see its journey hop by hop.").weak(),
                        );
                    }
                }
            });
        });
        action
    }

    fn list_ui(
        &mut self,
        ui: &mut egui::Ui,
        frame: &LiveFrame,
        now: SimTime,
        node_name: &dyn Fn(u32) -> String,
    ) {
        // NOTE: the area the list will take is known before any row is
        // drawn, so the rows drawn this frame already hold still.
        let over = ui.rect_contains_pointer(ui.max_rect());
        self.hold(over, frame);
        let source = self.held.as_deref().unwrap_or(&frame.journeys);
        let listed: Vec<&JourneySummary> = source
            .iter()
            .filter(|s| {
                self.through
                    .is_none_or(|n| s.visited.binary_search(&n).is_ok())
            })
            .collect();
        if listed.is_empty() {
            ui.label(RichText::new("No sampled message yet: play or step the run.").weak());
            return;
        }
        let style = ui.style().clone();
        egui::ScrollArea::vertical()
            .id_salt("messages-list")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for s in listed {
                    let dark = ui.visuals().dark_mode;
                    let (state, color) = summary_state(s, dark, node_name);
                    let age = duration_label(now.as_nanos().saturating_sub(s.created.as_nanos()));
                    let mut job = LayoutJob::default();
                    let body = egui::TextStyle::Body.resolve(&style);
                    let small = FontId::proportional(body.size * 0.88);
                    job.append(
                        &row_title(s),
                        0.0,
                        egui::TextFormat::simple(body, ui.visuals().strong_text_color()),
                    );
                    if s.attempts > 1 {
                        job.append(
                            &format!("  ×{} attempts", s.attempts),
                            0.0,
                            egui::TextFormat::simple(small.clone(), colors::WARN),
                        );
                    }
                    job.append(
                        &format!("\n{state} · {age} old"),
                        0.0,
                        egui::TextFormat::simple(small, color),
                    );
                    let selected = self.selected == Some(s.at);
                    let clicked = ui
                        .with_layout(Layout::top_down_justified(Align::Min), |ui| {
                            ui.add(egui::Button::selectable(selected, job)).clicked()
                        })
                        .inner;
                    if clicked {
                        self.selected = Some(s.at);
                    }
                }
            });
    }

    /// Holds the list while the pointer is `over` it, refreshing each
    /// held row from `frame`; lets it go when the pointer leaves or the
    /// run restarts.
    fn hold(&mut self, over: bool, frame: &LiveFrame) {
        let restarted = |held: &[JourneySummary]| matches!((held.first(), frame.journeys.first()), (Some(a), Some(b)) if a.at.recording != b.at.recording);
        match &mut self.held {
            Some(held) if over && !restarted(held) => {
                for row in held.iter_mut() {
                    if let Some(fresh) = frame.journeys.iter().find(|s| s.at == row.at) {
                        row.clone_from(fresh);
                    }
                }
            }
            _ if over => self.held = Some(frame.journeys.clone()),
            _ => self.held = None,
        }
    }

    fn journey_ui(
        &mut self,
        ui: &mut egui::Ui,
        inspected: &Inspected,
        now: SimTime,
        dark: bool,
        node_name: &dyn Fn(u32) -> String,
    ) -> Option<MessagesAction> {
        let mut action = None;
        let journey = &inspected.journey;
        let totals = Totals::of(journey);
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!(
                    "#{} {} · key {}",
                    journey.id, journey.event_type, journey.key
                ))
                .strong()
                .size(15.0),
            );
            let ended = end_label(journey.end, node_name);
            let color = end_color(journey.end, dark, ui.visuals().text_color());
            let ended = if inspected.abandoned {
                format!("{ended} (no longer followed)")
            } else {
                ended
            };
            ui.label(RichText::new(ended).color(color).strong());
        });
        ui.label(
            RichText::new(format!(
                "end to end {} · {} attempt{} ({} failed)",
                duration_label(totals.end_to_end),
                totals.attempts,
                if totals.attempts == 1 { "" } else { "s" },
                totals.failed_attempts,
            ))
            .monospace(),
        );
        ui.label(
            RichText::new(format!(
                "waiting {} · processing {} · backoff {} · transit {}",
                duration_label(totals.waiting),
                duration_label(totals.processing),
                duration_label(totals.backoff),
                duration_label(totals.transit),
            ))
            .monospace(),
        );
        ui.horizontal_wrapped(|ui| {
            if let Some(fork) = journey.parent {
                let why = match fork.why {
                    ForkKind::FanOut => "a fan-out copy of",
                    ForkKind::Redelivery => "a redelivery of",
                };
                ui.label(why);
                if ui.link(format!("#{}", fork.journey)).clicked() {
                    self.selected = Some(JourneyRef {
                        recording: inspected.at.recording,
                        id: fork.journey,
                    });
                }
            }
            if !inspected.children.is_empty() {
                ui.label("copies:");
                for child in &inspected.children {
                    if ui.link(format!("#{}", child.id)).clicked() {
                        self.selected = Some(*child);
                    }
                }
            }
        });
        legend_ui(ui, dark);
        ui.add_space(4.0);
        let t0 = journey.created;
        let t1 = journey.end.place().map_or(now, |(_, at)| at).max(t0);
        let axis = (ui.available_width() - 380.0).max(200.0);
        egui::ScrollArea::vertical()
            .id_salt("waterfall")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                egui::Grid::new("waterfall-grid")
                    .num_columns(5)
                    .spacing([10.0, 4.0])
                    .striped(true)
                    .show(ui, |ui| {
                        ui.label(RichText::new("node").weak());
                        ui.label(RichText::new("what").weak());
                        axis_ui(ui, axis, t1.as_nanos().saturating_sub(t0.as_nanos()));
                        ui.label(RichText::new("start").weak());
                        ui.label(RichText::new("duration").weak());
                        ui.end_row();
                        for hop in &journey.hops {
                            if ui
                                .link(node_name(hop.node))
                                .on_hover_text("Show this node on the canvas")
                                .clicked()
                            {
                                action = Some(MessagesAction::ShowNode(hop.node));
                            }
                            ui.label(hop_label(hop.kind, node_name));
                            let (rect, _) =
                                ui.allocate_exact_size(vec2(axis, 14.0), Sense::hover());
                            let (left, width) = bar_span(hop, t0, t1, axis, 2.0);
                            let bar = egui::Rect::from_min_size(
                                rect.min + vec2(left, 1.0),
                                vec2(width, rect.height() - 2.0),
                            );
                            let color = Stretch::of(hop.kind).color(dark);
                            ui.painter().rect(
                                bar,
                                2.0,
                                color,
                                Stroke::new(1.0, color.gamma_multiply(0.6)),
                                StrokeKind::Inside,
                            );
                            ui.label(
                                RichText::new(format!(
                                    "+{}",
                                    duration_label(hop.start.as_nanos() - t0.as_nanos())
                                ))
                                .monospace(),
                            );
                            ui.label(RichText::new(duration_label(hop.duration().0)).monospace());
                            ui.end_row();
                        }
                    });
            });
        action
    }
}

/// The time axis over the bars: 0 at the left, the journey's span at the
/// right, a tick at the middle.
fn axis_ui(ui: &mut egui::Ui, width: f32, span: u64) {
    // Sized from the body text, so presentation mode enlarges it too.
    let font = FontId::proportional(egui::TextStyle::Body.resolve(ui.style()).size * 0.85);
    let (rect, _) = ui.allocate_exact_size(vec2(width, font.size + 5.0), Sense::hover());
    let painter = ui.painter();
    let color = ui.visuals().weak_text_color();
    let y = rect.bottom() - 1.0;
    painter.line_segment(
        [egui::pos2(rect.left(), y), egui::pos2(rect.right(), y)],
        Stroke::new(1.0, color),
    );
    for (frac, align) in [
        (0.0, egui::Align2::LEFT_BOTTOM),
        (0.5, egui::Align2::CENTER_BOTTOM),
        (1.0, egui::Align2::RIGHT_BOTTOM),
    ] {
        let x = rect.left() + frac * width;
        painter.line_segment(
            [egui::pos2(x, y - 3.0), egui::pos2(x, y)],
            Stroke::new(1.0, color),
        );
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a tick label"
        )]
        let at = (span as f64 * f64::from(frac)) as u64;
        painter.text(
            egui::pos2(x, y - 3.0),
            align,
            duration_label(at),
            font.clone(),
            color,
        );
    }
}

fn legend_ui(ui: &mut egui::Ui, dark: bool) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 5.0;
        for (stretch, name) in Stretch::LEGEND {
            let (rect, _) = ui.allocate_exact_size(vec2(14.0, 12.0), Sense::hover());
            ui.painter().rect_filled(rect, 2.0, stretch.color(dark));
            ui.label(RichText::new(name).weak());
            ui.add_space(6.0);
        }
    });
}

/// Where a listed message is or how it ended, and the colour that says so.
fn summary_state(
    s: &JourneySummary,
    dark: bool,
    node_name: &dyn Fn(u32) -> String,
) -> (String, Color32) {
    let neutral = if dark {
        Color32::from_gray(170)
    } else {
        Color32::from_gray(90)
    };
    if s.end == JourneyEnd::InFlight {
        let text = format!("{} at {}", s.doing.replace('_', " "), node_name(s.node));
        if s.abandoned {
            return (format!("{text} (no longer followed)"), neutral);
        }
        return (text, neutral);
    }
    (end_label(s.end, node_name), end_color(s.end, dark, neutral))
}

fn end_color(end: JourneyEnd, dark: bool, neutral: Color32) -> Color32 {
    match end {
        JourneyEnd::Completed { .. } => {
            if dark {
                colors::GREEN.gamma_multiply(1.0)
            } else {
                Color32::from_rgb(0x00, 0x7A, 0x58)
            }
        }
        JourneyEnd::Dropped { .. }
        | JourneyEnd::DeadLettered { .. }
        | JourneyEnd::Expired { .. } => colors::WARN,
        JourneyEnd::InFlight => neutral,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(start_ms: u64, end_ms: u64, kind: HopKind) -> Hop {
        Hop {
            node: 0,
            kind,
            start: SimTime(start_ms * 1_000_000),
            end: SimTime(end_ms * 1_000_000),
        }
    }

    #[test]
    fn bars_are_proportional_to_times_on_the_shared_axis() {
        let (t0, t1) = (SimTime(0), SimTime(200_000_000));
        let width = 400.0;
        // 50–150 ms of 200 ms: from 100 px to 300 px.
        let (left, w) = bar_span(&hop(50, 150, HopKind::Wait), t0, t1, width, 2.0);
        assert!(
            (left - 100.0).abs() < 1e-3 && (w - 200.0).abs() < 1e-3,
            "{left} {w}"
        );
        // The whole journey fills the axis.
        let (left, w) = bar_span(&hop(0, 200, HopKind::Wait), t0, t1, width, 2.0);
        assert!(left.abs() < 1e-3 && (w - width).abs() < 1e-3, "{left} {w}");
        // An instant hop is still visible, and kept inside the axis at the end.
        let (left, w) = bar_span(&hop(200, 200, HopKind::Created), t0, t1, width, 2.0);
        assert!(
            (w - 2.0).abs() < 1e-3 && (left - 398.0).abs() < 1e-3,
            "{left} {w}"
        );
        // An axis not starting at zero: bars move with it.
        let (left, w) = bar_span(
            &hop(1_050, 1_100, HopKind::Wait),
            SimTime(1_000_000_000),
            SimTime(1_200_000_000),
            width,
            2.0,
        );
        assert!(
            (left - 100.0).abs() < 1e-3 && (w - 100.0).abs() < 1e-3,
            "{left} {w}"
        );
        // A zero-length axis does not divide by zero.
        let (left, w) = bar_span(
            &hop(5, 5, HopKind::Created),
            SimTime(0),
            SimTime(0),
            width,
            2.0,
        );
        assert!(left == 0.0 && w == 2.0);
    }

    #[test]
    fn totals_split_time_by_what_the_message_did() {
        let journey = Journey {
            id: 0,
            msg_id: 1,
            parent: None,
            event_type: "Paid".to_owned(),
            key: 1,
            created: SimTime(0),
            hops: vec![
                hop(0, 0, HopKind::Created),
                hop(0, 30, HopKind::Wait),
                hop(
                    30,
                    40,
                    HopKind::Process {
                        attempt: 1,
                        outcome: Outcome::Failed,
                    },
                ),
                hop(40, 140, HopKind::Backoff { attempt: 1 }),
                hop(
                    140,
                    160,
                    HopKind::Process {
                        attempt: 2,
                        outcome: Outcome::Ok,
                    },
                ),
                hop(160, 165, HopKind::Transit { to: 1 }),
            ],
            end: JourneyEnd::Completed {
                node: 1,
                at: SimTime(165_000_000),
            },
        };
        let t = Totals::of(&journey);
        let ms = 1_000_000;
        assert_eq!(t.end_to_end, 165 * ms);
        assert_eq!(t.waiting, 30 * ms);
        assert_eq!(t.processing, 30 * ms);
        assert_eq!(t.backoff, 100 * ms);
        assert_eq!(t.transit, 5 * ms);
        assert_eq!((t.attempts, t.failed_attempts), (2, 1));
    }

    #[test]
    fn labels_say_attempts_and_outcomes() {
        let name = |n: u32| format!("n{n}");
        assert_eq!(
            hop_label(
                HopKind::Process {
                    attempt: 2,
                    outcome: Outcome::Failed
                },
                &name
            ),
            "attempt 2 failed"
        );
        assert_eq!(
            hop_label(HopKind::Backoff { attempt: 1 }, &name),
            "backoff after attempt 1"
        );
        assert_eq!(duration_label(420_000), "0.42 ms");
        assert_eq!(duration_label(12_340_000), "12.3 ms");
    }
}
