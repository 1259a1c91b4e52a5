//! The rewind bar along the canvas's foot: the live run's time from zero to its
//! end, the part it has reached, the instant on show, the scenario's
//! faults (the windows they last) and the changes made while it ran. A click or a drag on the part reached goes back (or
//! forward) there; the run pauses at that instant, exactly as it was, and
//! plays on from it (see [`crate::live::tape`]).

use eframe::egui::{self, Color32, Pos2, Rect, RichText, Sense, Stroke, vec2};
use sim_core::time::{Duration, SimTime};

use super::WeirApp;
use super::charts::seconds;
use super::colors;

/// The bar's height: a handle a pointer finds on a projector.
const HEIGHT: f32 = 26.0;
/// The accessible name of the bar.
pub const TIMELINE: &str = "Run timeline";

/// Where the bar was pressed, as an instant of a run that ends at `end`:
/// the share of the track along, capped at what the run reached.
pub fn instant_at(x: f32, track: (f32, f32), end: f64, reached: f64) -> f64 {
    let (left, right) = track;
    let along = f64::from(((x - left) / (right - left).max(1.0)).clamp(0.0, 1.0));
    (along * end).min(reached)
}

/// How far the bar reaches up from the canvas's foot, margin included:
/// what else sits there (the legend) goes above it.
pub const FOOT: f32 = HEIGHT + 24.0;

impl WeirApp {
    /// Whether the rewind bar shows: a live run is open and the bar is
    /// asked for (the editor's choice, or presentation mode's).
    pub(super) fn rewind_shown(&self) -> bool {
        let asked = if self.prefs.presentation {
            self.prefs.overlays.rewind
        } else {
            self.prefs.show_rewind
        };
        self.live.session.is_some() && asked
    }

    /// The rewind bar over the foot of the canvas, while a live run is
    /// open: it takes no room from the drawing, as a video player's does.
    pub(super) fn timeline_overlay(&mut self, ctx: &egui::Context) {
        let canvas = self.canvas.last_rect;
        let margin = 8.0;
        let width = (canvas.width() - 2.0 * margin).max(240.0);
        egui::Area::new(egui::Id::unique("rewind-bar"))
            .order(egui::Order::Middle)
            .pivot(egui::Align2::LEFT_BOTTOM)
            .fixed_pos(canvas.left_bottom() + vec2(margin, -margin))
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style())
                    .inner_margin(egui::Margin::symmetric(10, 4))
                    .show(ui, |ui| {
                        ui.set_width(width - 20.0);
                        self.timeline_ui(ui);
                    });
            });
    }

    /// The bar's row: its name, the track, and how far the run reached.
    fn timeline_ui(&mut self, ui: &mut egui::Ui) {
        let Some(live) = &self.live.session else {
            return;
        };
        let frame = live.frame();
        let end = frame.snapshot.end.as_secs_f64();
        let now = frame.snapshot.now.as_secs_f64();
        let reached = frame.reached.as_secs_f64().max(now);
        let changes: Vec<f64> = frame.changes.iter().map(|t| t.as_secs_f64()).collect();
        let faults: Vec<(f64, f64)> = self
            .doc
            .model
            .scenario
            .faults
            .iter()
            .map(|f| {
                let at = f.at.as_secs_f64();
                (at, at + f.duration.as_secs_f64())
            })
            .collect();
        let mut seek = None;
        ui.horizontal(|ui| {
            ui.label(RichText::new("Rewind").strong()).on_hover_text(
                "Go back to any moment the run reached: it pauses there as it was, and plays on from there. A change made there starts a new future. Grey marks under the bar are the scenario's faults; orange marks over it, changes made while the run played.",
            );
            let right = format!("{} reached", seconds(reached));
            let right_width = 12.0 + 8.0 * right.len() as f32;
            let width = (ui.available_width() - right_width).max(120.0);
            let (rect, response) =
                ui.allocate_exact_size(vec2(width, HEIGHT), Sense::click_and_drag());
            let tip = hover_text(&response, rect, end, reached);
            let response = response.on_hover_text_at_pointer(tip);
            response.widget_info(|| {
                egui::WidgetInfo::slider(true, now, TIMELINE)
            });
            paint(ui, rect, (now, reached, end), (&changes, &faults));
            let moved = response.clicked()
                || response.drag_started()
                || (response.dragged() && response.drag_delta().x != 0.0);
            if moved && let Some(pos) = response.interact_pointer_pos() {
                seek = Some(instant_at(pos.x, track(rect), end, reached));
            }
            ui.label(RichText::new(right).monospace())
                .on_hover_text("The furthest the run has gone: as far as it can go back to");
        });
        if let Some(t) = seek
            && (t - now).abs() > 1e-9
        {
            live.seek(SimTime::ZERO + Duration::from_secs_f64(t));
        }
    }
}

/// The track's ends, inside the handle's reach.
fn track(rect: Rect) -> (f32, f32) {
    (rect.left() + 8.0, rect.right() - 8.0)
}

fn hover_text(response: &egui::Response, rect: Rect, end: f64, reached: f64) -> String {
    let Some(pos) = response.hover_pos() else {
        return String::new();
    };
    let at = instant_at(pos.x, track(rect), end, end);
    if at <= reached {
        format!("Go back to {}", seconds(at))
    } else {
        format!(
            "Not reached yet: the run is at {} at most",
            seconds(reached)
        )
    }
}

/// The track, the part reached, the faults' windows under it, the live
/// changes over it and the handle at `now`.
fn paint(
    ui: &egui::Ui,
    rect: Rect,
    (now, reached, end): (f64, f64, f64),
    (changes, faults): (&[f64], &[(f64, f64)]),
) {
    let visuals = ui.visuals();
    let painter = ui.painter_at(rect.expand(2.0));
    let (left, right) = track(rect);
    #[expect(clippy::cast_possible_truncation, reason = "a screen position")]
    let x = |t: f64| left + (right - left) * (t / end.max(1e-9)).clamp(0.0, 1.0) as f32;
    let mid = rect.center().y;
    let bar = |from: f32, to: f32| {
        Rect::from_min_max(Pos2::new(from, mid - 3.0), Pos2::new(to, mid + 3.0))
    };
    painter.rect_filled(bar(left, right), 3.0, visuals.widgets.inactive.bg_fill);
    let past = visuals.selection.bg_fill;
    painter.rect_filled(bar(left, x(reached)), 3.0, past);
    for &(from, to) in faults {
        let window = Rect::from_min_max(
            Pos2::new(x(from), mid + 5.0),
            Pos2::new(x(to).max(x(from) + 3.0), mid + 9.0),
        );
        painter.rect_filled(window, 1.0, colors::DOWN);
    }
    for &t in changes {
        let at = x(t);
        painter.line_segment(
            [Pos2::new(at, rect.top() + 1.0), Pos2::new(at, mid - 4.0)],
            Stroke::new(2.5, colors::WARN),
        );
    }
    let handle = Pos2::new(x(now), mid);
    let ring = if visuals.dark_mode {
        Color32::WHITE
    } else {
        Color32::from_gray(30)
    };
    painter.circle(
        handle,
        7.0,
        visuals.selection.stroke.color,
        Stroke::new(2.0, ring),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_press_is_an_instant_along_the_run_capped_at_what_it_reached() {
        let track = (100.0, 300.0);
        assert!((instant_at(200.0, track, 60.0, 60.0) - 30.0).abs() < 1e-9);
        assert!(
            (instant_at(50.0, track, 60.0, 60.0)).abs() < 1e-9,
            "left of the track is zero"
        );
        assert!(
            (instant_at(250.0, track, 60.0, 20.0) - 20.0).abs() < 1e-9,
            "not past the reached"
        );
        assert!((instant_at(900.0, track, 60.0, 60.0) - 60.0).abs() < 1e-9);
    }
}
