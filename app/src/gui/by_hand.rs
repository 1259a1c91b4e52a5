//! You are the load: during a live run a producer's rate is turned up or
//! down with a slider, down to nothing (it then sends only by hand), and
//! its events are sent by hand: one with a click or E, a burst with a
//! click or B. The keys send from the selected producer, else from the
//! model's first, so a teacher can drive a run without the inspector.
//! Every change goes to the run as a command and onto its tape, so a
//! rewind replays it.

use eframe::egui::{self, RichText};
use sim_core::dist::Arrival;
use sim_core::live::{MAX_LOAD_PERCENT, MAX_SENT_BY_HAND};
use sim_core::nodes::{Kind, NodeKind};

use super::WeirApp;
use super::session::LiveSession;
use crate::live::Command;

/// The slider's top, in percent of the designed rate (a field beside it
/// takes up to [`MAX_LOAD_PERCENT`]).
const SLIDER_TOP: u32 = 400;

/// How long the slider shows the rate it asked for before the run's
/// own reading, in seconds of wall time (the run answers within frames).
const ASKED_FOR: f64 = 1.0;

/// The controls' settings.
#[derive(Clone, Debug)]
pub(super) struct LoadForm {
    /// Events a burst sends.
    pub burst: u32,
    /// The rate last asked for: (producer, percent, wall time), shown
    /// until the run reports it.
    asked: Option<(String, u32, f64)>,
    /// The rate before "by hand only" was ticked, to go back to.
    before_hand: u32,
}

impl Default for LoadForm {
    fn default() -> Self {
        Self {
            burst: 20,
            asked: None,
            before_hand: 100,
        }
    }
}

impl LoadForm {
    /// The rate to show for producer `id`, which the run reports at
    /// `running` percent.
    fn shown(&mut self, id: &str, running: u32, wall: f64) -> u32 {
        if let Some((asked_id, percent, at)) = &self.asked
            && asked_id == id
        {
            if *percent != running && wall - at < ASKED_FOR {
                return *percent;
            }
            self.asked = None;
        }
        running
    }

    /// Asks the run for `percent` of producer `id`'s designed rate.
    fn ask(&mut self, live: &LiveSession, id: &str, percent: u32, wall: f64) {
        live.send(Command::SetLoad {
            id: id.to_owned(),
            percent,
        });
        self.asked = Some((id.to_owned(), percent, wall));
    }
}

/// A rate in events per second as the panel writes it.
fn rate_text(per_s: f64) -> String {
    if per_s >= 100.0 {
        format!("{per_s:.0}/s")
    } else if per_s >= 1.0 {
        format!("{per_s:.1}/s")
    } else {
        format!("{per_s:.3}/s")
    }
}

/// What a load of `percent` of `designed` makes, in words.
pub(super) fn load_text(percent: u32, designed: Option<&Arrival>) -> String {
    if percent == 0 {
        return "only what you send".to_owned();
    }
    let factor = f64::from(percent) / 100.0;
    match designed {
        Some(arrival) => format!(
            "{} on average (designed {})",
            rate_text(arrival.mean_rate() * factor),
            rate_text(arrival.mean_rate())
        ),
        None => format!("×{factor:.2} the designed rate"),
    }
}

/// The "You are the load" section of producer `id`'s live panel, whose
/// rate the run reports at `running` percent.
pub(super) fn load_ui(
    ui: &mut egui::Ui,
    live: &LiveSession,
    form: &mut LoadForm,
    id: &str,
    running: u32,
    designed: Option<&Arrival>,
) {
    let wall = ui.input(|i| i.time);
    ui.add_space(6.0);
    ui.label(RichText::new("You are the load").strong())
        .on_hover_text(
            "Turn this producer's rate while the run plays, or send its events yourself: \
             the run's tape keeps every change, so going back replays them",
        );
    let mut percent = form.shown(id, running, wall);
    let top = SLIDER_TOP.max(percent);
    ui.horizontal(|ui| {
        let label = ui.label("Rate");
        let slider = ui
            .add(
                egui::Slider::new(&mut percent, 0..=top)
                    .suffix(" %")
                    .clamping(egui::SliderClamping::Never),
            )
            .labelled_by(label.id)
            .on_hover_text(format!(
                "Percent of the designed rate, from now on (up to {MAX_LOAD_PERCENT} % typed); 0: it sends only what you send"
            ));
        if slider.changed() {
            let percent = percent.min(MAX_LOAD_PERCENT);
            form.ask(live, id, percent, wall);
        }
    });
    ui.label(RichText::new(load_text(percent, designed)).weak());
    let mut by_hand_only = percent == 0;
    if ui
        .checkbox(&mut by_hand_only, "By hand only")
        .on_hover_text("It makes nothing of itself: every event is one you send")
        .changed()
    {
        let to = if by_hand_only {
            form.before_hand = percent.max(1);
            0
        } else {
            form.before_hand
        };
        form.ask(live, id, to, wall);
    }
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Send 1")
            .on_hover_text("Send one event now (E)")
            .clicked()
        {
            send(live, id, 1);
        }
        let burst = format!("Send {}", form.burst);
        if ui
            .button(burst)
            .on_hover_text("Send a burst of events now, all at this instant (B)")
            .clicked()
        {
            send(live, id, form.burst);
        }
        let label = ui.label("burst of");
        ui.add(egui::DragValue::new(&mut form.burst).range(1..=MAX_SENT_BY_HAND))
            .labelled_by(label.id);
    });
}

/// Producer `id` sends `count` events now.
fn send(live: &LiveSession, id: &str, count: u32) {
    live.send(Command::Send {
        id: id.to_owned(),
        count,
    });
}

impl WeirApp {
    /// The producer the keys send from: the selected node if it is one
    /// producer, else the model's first producer.
    fn hand_producer(&self) -> Option<String> {
        let model = &self.doc.model;
        if self.canvas.selected.len() == 1
            && let Some(&n) = self.canvas.selected.first()
            && let Some(node) = model.graph.node_weight(n)
            && node.kind.kind() == Kind::Producer
        {
            return Some(node.id.clone());
        }
        model
            .graph
            .node_weights()
            .find(|n| matches!(n.kind, NodeKind::Producer(_)))
            .map(|n| n.id.clone())
    }

    /// E and B: one event, or a burst, sent by hand from
    /// [`Self::hand_producer`] into the live run.
    pub(super) fn send_by_hand_key(&mut self, ctx: &egui::Context, burst: bool) {
        let Some(live) = &self.live.session else {
            self.canvas.notify(
                ctx,
                "Sending by hand needs a live run: press Space to start one".to_owned(),
            );
            return;
        };
        let Some(id) = self.hand_producer() else {
            self.canvas
                .notify(ctx, "The model has no producer to send from".to_owned());
            return;
        };
        let count = if burst { self.live.load_form.burst } else { 1 };
        send(live, &id, count);
        ctx.request_repaint();
    }

    /// The designed arrival process of producer `id`, as the document has it.
    pub(super) fn designed_arrival(&self, id: &str) -> Option<Arrival> {
        let n = self.doc.model.find(id)?;
        match &self.doc.model.graph[n].kind {
            NodeKind::Producer(p) => Some(p.arrival.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_is_said_as_a_rate() {
        let poisson = Arrival::Poisson { rate: 170.0 };
        assert_eq!(
            load_text(150, Some(&poisson)),
            "255/s on average (designed 170/s)"
        );
        assert_eq!(load_text(0, Some(&poisson)), "only what you send");
        assert_eq!(
            load_text(10, Some(&Arrival::Poisson { rate: 5.0 })),
            "0.500/s on average (designed 5.0/s)"
        );
        assert_eq!(load_text(250, None), "×2.50 the designed rate");
    }

    #[test]
    fn the_slider_shows_what_was_asked_until_the_run_reports_it() {
        let mut form = LoadForm {
            asked: Some(("src".to_owned(), 40, 10.0)),
            ..LoadForm::default()
        };
        // The run still says 100: the slider keeps 40 a moment.
        assert_eq!(form.shown("src", 100, 10.2), 40);
        // Another producer shows its own reading.
        assert_eq!(form.shown("other", 100, 10.2), 100);
        // Then the run agrees: its reading from then on.
        assert_eq!(form.shown("src", 40, 10.3), 40);
        assert!(form.asked.is_none());
        // A run that never agrees (a rewind took it back) wins after a
        // second.
        form.asked = Some(("src".to_owned(), 40, 10.0));
        assert_eq!(form.shown("src", 100, 11.5), 100);
    }
}
