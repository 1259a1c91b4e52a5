//! The live run's state in the window ([`LiveState`]) and its panels: the
//! run controls, the selected node's live state with its fault buttons,
//! the charts, and the results window's live report with its exports.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use eframe::egui::{self, RichText};
use sim_core::faults::{Effect, Fault};
use sim_core::model::ModelCommand;
use sim_core::nodes::Kind;
use sim_core::snapshot::{NodeSnapshot, Snapshot};
use sim_core::time::{Duration, SimTime};
use sim_core::{Report, ReportBuilder, RunResult};

use super::charts::seconds;
use super::charts::{ChartSubject, ChartsState, alerts_list_ui, charts_ui};
use super::colors;
use super::journeys::MessagesAction;
use super::journeys::MessagesView;
use super::kinds::{self, LiveNumber};
use super::results::results_table_ui;
use super::session::{DotMarks, LiveSession, paint_dot, paint_followed};
use super::{LiveAction, WeirApp, files};
use crate::live::Command;
use crate::live::Speed;

/// The live run and what its panels remember.
#[derive(Debug)]
pub(super) struct LiveState {
    /// The live simulation, while there is one.
    pub session: Option<LiveSession>,
    /// Start the live simulation on the first frame.
    pub play_pending: bool,
    /// The seed and speed the next live run starts with.
    pub seed: Option<u64>,
    pub speed: Speed,
    pub charts: ChartsState,
    pub fault_form: FaultForm,
    /// A producer's rate and sends by hand.
    pub load_form: super::by_hand::LoadForm,
    /// When the results window last asked the live run for its report.
    pub results_asked: f64,
    /// The results window shows the live run (else the replications).
    pub results_live: bool,
    /// The message inspector.
    pub messages: MessagesView,
    /// The legend of the live marks is shown over the canvas.
    pub legend: bool,
}

impl Default for LiveState {
    fn default() -> Self {
        Self {
            session: None,
            play_pending: false,
            seed: None,
            speed: Speed::Times(1.0),
            charts: ChartsState::default(),
            fault_form: FaultForm::default(),
            load_form: super::by_hand::LoadForm::default(),
            results_asked: f64::NEG_INFINITY,
            results_live: false,
            messages: MessagesView::default(),
            legend: false,
        }
    }
}

/// The fault buttons' settings.
#[derive(Clone, Copy, Debug)]
pub(super) struct FaultForm {
    seconds: f64,
    factor: f64,
    record: bool,
}

impl Default for FaultForm {
    fn default() -> Self {
        Self {
            seconds: 10.0,
            factor: 5.0,
            record: false,
        }
    }
}

impl WeirApp {
    /// The run controls: play, step, reset, run to end, speed, seed, clock.
    pub(super) fn run_controls_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let mut action = None;
        // NOTE: below this width (presentation mode on a projector's
        // 1280 x 800, a small window) the run's windows would be drawn over
        // the clock: they take a row of their own.
        let narrow = ui.available_width() < 1000.0;
        let mut counters = None;
        ui.horizontal(|ui| {
            ui.spacing_mut().button_padding = egui::vec2(10.0, 4.0);
            let (playing, finished) = self
                .live
                .session
                .as_ref()
                .map_or((false, false), |l| (l.playing(), l.frame().finished));
            let play_label = if playing {
                "Pause"
            } else {
                super::menus::PLAY_LIVE
            };
            if ui
                .add(
                    egui::Button::new(RichText::new(play_label).strong())
                        .min_size(egui::vec2(84.0, 0.0)),
                )
                .on_hover_text(super::menus::PLAY_LIVE_HELP)
                .clicked()
            {
                action = Some(LiveAction::PlayPause);
            }
            if ui
                .button("Step")
                .on_hover_text("Advance 100 ms of simulated time")
                .clicked()
            {
                action = Some(LiveAction::Step);
            }
            if ui
                .button("Reset")
                .on_hover_text("Start again from zero with the seed")
                .clicked()
            {
                action = Some(LiveAction::Reset);
            }
            if ui
                .add_enabled(!finished, egui::Button::new("Run to end"))
                .on_hover_text("Run to the end of the scenario as fast as possible")
                .clicked()
            {
                action = Some(LiveAction::RunToEnd);
            }
            ui.separator();
            ui.label("Speed");
            let mut speed = self.live.speed;
            egui::ComboBox::from_id_salt("live-speed")
                .selected_text(speed.label())
                .width(64.0)
                .show_ui(ui, |ui| {
                    for choice in Speed::CHOICES {
                        ui.selectable_value(&mut speed, choice, choice.label());
                    }
                })
                .response
                .on_hover_text("Simulated time per second of real time");
            if speed != self.live.speed {
                self.live.speed = speed;
                if let Some(live) = &mut self.live.session {
                    live.set_speed(speed);
                }
            }
            ui.label("Seed");
            let mut seed = self.live.seed.unwrap_or(self.doc.model.scenario.seed);
            let changed = ui
                .add(egui::DragValue::new(&mut seed).speed(0.2))
                .on_hover_text("The seed of the live run; Reset applies it")
                .changed();
            if changed {
                self.live.seed = Some(seed);
            }
            ui.separator();
            if let Some(live) = &self.live.session {
                let snap = &live.frame().snapshot;
                let (now, end) = (snap.now.as_secs_f64(), snap.end.as_secs_f64());
                let rate = live.frame().events_per_s;
                ui.label(
                    RichText::new(format!("t = {} / {}", seconds(now), seconds(end)))
                        .monospace()
                        .strong(),
                )
                .on_hover_ui(|ui| {
                    ui.label(format!(
                        "Simulated time; the engine runs {:.1} M events per second of real time",
                        rate / 1e6
                    ));
                });
                let text = Counters::of(snap).to_string();
                if narrow {
                    counters = Some(text);
                } else {
                    // The run's windows and its end stay on the first row,
                    // at the right; the counters take the room left
                    // between, cut short (whole on hover) when it is tight.
                    self.run_windows_ui(ui, text, &mut action);
                }
            } else {
                ui.label(RichText::new("Press Play live to watch one run on the canvas").weak());
            }
        });
        if narrow && let Some(counters) = counters {
            ui.horizontal(|ui| {
                ui.spacing_mut().button_padding = egui::vec2(10.0, 4.0);
                self.run_windows_ui(ui, counters, &mut action);
            });
        }
        if let Some(action) = action {
            self.live_action(&ctx, action);
        }
    }

    /// The run's counters and its Results, Messages and Close buttons,
    /// right-aligned in the rest of the row.
    fn run_windows_ui(
        &mut self,
        ui: &mut egui::Ui,
        counters: String,
        action: &mut Option<LiveAction>,
    ) {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Close run")
                .on_hover_text("Leave the live view")
                .clicked()
            {
                *action = Some(LiveAction::Stop);
            }
            ui.toggle_value(&mut self.live.legend, "Legend")
                .on_hover_text("What the marks on the canvas mean");
            if ui
                .button("Messages")
                .on_hover_text("Sampled messages and their journeys, hop by hop")
                .clicked()
            {
                self.live.messages.open = true;
            }
            if ui
                .button("Results")
                .on_hover_text("The live run's report now, with exports")
                .clicked()
            {
                self.show_results = true;
                self.live.results_live = true;
            }
            ui.add(egui::Label::new(counters).truncate())
                .on_hover_text(COUNTERS_MEAN);
        });
    }

    /// The selected node's live state and fault buttons (above the
    /// inspector while a run is open); the fault asked for, if any, is
    /// injected after drawing ([`Self::inject_live_fault`]).
    /// The inspector, docked or over the canvas: the selected node's live
    /// numbers and faults while a run plays, then its fields (or the
    /// link's, or the model's).
    pub(super) fn inspector_contents(
        &mut self,
        ui: &mut egui::Ui,
        subject: super::inspector::Subject,
    ) -> (Option<LiveFault>, Vec<ModelCommand>) {
        let fault = self.live_node_ui(ui);
        let edits = super::inspector::inspector_ui(
            ui,
            (&self.doc.model, self.doc.revision()),
            subject,
            self.doc.diagnostics(),
            &mut self.inspector,
            self.run.report(),
        );
        (fault, edits)
    }

    pub(super) fn live_node_ui(&mut self, ui: &mut egui::Ui) -> Option<LiveFault> {
        let live = self.live.session.as_ref()?;
        let &n = self.canvas.selected.first()?;
        if self.canvas.selected.len() != 1 {
            return None;
        }
        let snap = live.node(n)?;
        let node_id = snap.id.clone();
        let kind = snap.kind;
        ui.add_space(4.0);
        ui.label(RichText::new("Live").strong().size(15.0));
        egui::Grid::new("live-node")
            .num_columns(2)
            .spacing([12.0, 2.0])
            .show(ui, |ui| {
                for number in panel_numbers(snap) {
                    ui.label(RichText::new(number.label).weak())
                        .on_hover_text(number.means);
                    ui.label(RichText::new(number.value_text()).monospace())
                        .on_hover_text(number.means);
                    ui.end_row();
                }
                let mut row = |name: &str, v: &str| {
                    ui.label(RichText::new(name).weak());
                    ui.label(RichText::new(v).monospace());
                    ui.end_row();
                };
                if snap.blocked {
                    row("state", "blocked: waiting for room downstream");
                }
                if snap.down {
                    row("state", "down");
                }
            });
        if ui
            .button("Messages through this node")
            .on_hover_text("The sampled messages that went through this node, and their journeys")
            .clicked()
        {
            self.live.messages.open = true;
            self.live.messages.through = live.model_order(n);
        }
        if let Some(running) = snap.load {
            let designed = self.designed_arrival(&node_id);
            super::by_hand::load_ui(
                ui,
                live,
                &mut self.live.load_form,
                &node_id,
                running,
                designed.as_ref(),
            );
        }
        ui.add_space(6.0);
        ui.label(RichText::new("Faults").strong());
        let form = &mut self.live.fault_form;
        ui.horizontal(|ui| {
            ui.label("for");
            ui.add(
                egui::DragValue::new(&mut form.seconds)
                    .range(0.1..=3600.0)
                    .suffix(" s")
                    .speed(0.5),
            );
            ui.label("factor ×");
            ui.add(
                egui::DragValue::new(&mut form.factor)
                    .range(1.1..=100.0)
                    .speed(0.1),
            );
        });
        let form = *form;
        let mut chosen = None;
        // The node as drawn: whether a fault fits may depend on its
        // parameters (a broker's slow-down needs replicas).
        let params = self
            .doc
            .model
            .find(&node_id)
            .map(|ix| self.doc.model.graph[ix].kind.clone());
        ui.horizontal_wrapped(|ui| {
            for (label, effect) in [
                (format!("Crash {} s", form.seconds), Effect::Crash),
                (
                    format!("Slow ×{}", form.factor),
                    Effect::Slow {
                        factor: form.factor,
                    },
                ),
                (
                    format!("Burst ×{}", form.factor),
                    Effect::Burst {
                        factor: form.factor,
                    },
                ),
            ] {
                let why = match &params {
                    Some(p) => sim_core::validate::unfit(effect, p),
                    None => effect.unfit_for(kind),
                };
                let button = ui.add_enabled(why.is_none(), egui::Button::new(label));
                let button = match why {
                    Some(why) => button.on_disabled_hover_text(why),
                    None => button,
                };
                if button.clicked() {
                    chosen = Some(effect);
                }
            }
        });
        ui.checkbox(
            &mut self.live.fault_form.record,
            "Record into the scenario timeline",
        )
        .on_hover_text("Add the fault to the model's scenario, so a replay has it too");
        ui.separator();
        let effect = chosen?;
        Some(LiveFault {
            node_id,
            effect,
            duration: Duration::from_secs_f64(form.seconds),
            at: live.frame().snapshot.now,
            record: form.record,
        })
    }

    /// Injects a fault into the live run now, and records it into the
    /// scenario's timeline (an undoable edit) when asked to.
    pub(super) fn inject_live_fault(&mut self, fault: LiveFault) {
        let Some(live) = &mut self.live.session else {
            return;
        };
        let LiveFault {
            node_id,
            effect,
            duration,
            at,
            record,
        } = fault;
        live.fault(&node_id, effect, duration);
        if record {
            let mut scenario = self.doc.model.scenario.clone();
            scenario.faults.push(Fault {
                at: Duration(at.as_nanos()),
                duration,
                node: node_id,
                link: None,
                effect,
            });
            live.adopt_scenario(&scenario);
            if let Err(e) = self.doc.apply(ModelCommand::SetScenario(scenario), false) {
                self.error = Some(e.to_string());
            }
        }
    }

    /// The Messages window (the message inspector), while a run is open.
    pub(super) fn messages_window(&mut self, ctx: &egui::Context) {
        let Some(live) = &mut self.live.session else {
            self.live.messages.open = false;
            return;
        };
        if !self.live.messages.open {
            live.inspect(None);
            return;
        }
        let mut open = true;
        let mut action = None;
        let model = &self.doc.model;
        let names: Vec<String> = live
            .frame()
            .snapshot
            .nodes
            .iter()
            .map(|n| {
                model
                    .find(&n.id)
                    .and_then(|ix| model.graph.node_weight(ix))
                    .map_or_else(|| n.id.clone(), |node| node.label().to_owned())
            })
            .collect();
        let node_name = |i: u32| names.get(i as usize).cloned().unwrap_or_default();
        // Docked at first along the bottom, over the charts, under the
        // canvas: the flow it explains stays in view, and so does the
        // inspector beside it (unless the canvas is too narrow for the
        // window). Moved or resized, it stays where the user put it.
        let screen = ctx.content_rect();
        let canvas = self.canvas.last_rect;
        let height = (screen.height() * 0.45).clamp(240.0, 380.0);
        let left = canvas.left().clamp(screen.left(), screen.right() - 640.0) + 8.0;
        let right = (canvas.right() - 8.0)
            .max(left + 640.0)
            .min(screen.right() - 8.0);
        let dock = egui::Rect::from_min_max(
            egui::pos2(left, screen.bottom() - height - 8.0),
            egui::pos2(right, screen.bottom() - 8.0),
        );
        egui::Window::new("Messages")
            .open(&mut open)
            .default_rect(dock)
            .min_width(640.0)
            .min_height(200.0)
            .resizable(true)
            .show(ctx, |ui| {
                action = self.live.messages.ui(ui, live.frame(), &node_name);
            });
        live.inspect(self.live.messages.selected);
        self.live.messages.open = open;
        if let Some(MessagesAction::ShowNode(i)) = action
            && let Some(n) = live.node_index(i)
        {
            self.canvas.focus_node(&self.doc.model, n);
        }
    }

    /// A click on the moving dot of a sampled message opens its journey.
    /// NOTE: on the press, against the dots on screen then: a dot moves
    /// on while the button is down.
    pub(super) fn click_message(&mut self, ctx: &egui::Context) {
        let Some(live) = &self.live.session else {
            return;
        };
        let Some(pos) = ctx.input(|i| {
            i.pointer
                .primary_pressed()
                .then(|| i.pointer.press_origin())
                .flatten()
        }) else {
            return;
        };
        // NOTE: only clicks on the canvas itself, not on a window over it.
        let on_canvas = self.canvas.last_rect.contains(pos)
            && ctx
                .layer_id_at(pos)
                .is_some_and(|l| l.order == egui::Order::Background);
        if !on_canvas {
            return;
        }
        if let Some(at) = live.message_at(pos, 10.0) {
            self.live.messages.open = true;
            self.live.messages.selected = Some(at);
            self.live.messages.through = None;
        }
    }

    /// The legend of the live marks, at the canvas's bottom left, while
    /// a run is open and the legend is asked for.
    pub(super) fn live_legend(&self, ctx: &egui::Context) {
        if self.live.session.is_none() || !self.live.legend {
            return;
        }
        let canvas = self.canvas.last_rect;
        // Above the rewind bar when it shows.
        let foot = if self.rewind_shown() {
            super::timeline::FOOT
        } else {
            0.0
        };
        egui::Area::new(egui::Id::unique("live-legend"))
            .order(egui::Order::Foreground)
            .pivot(egui::Align2::LEFT_BOTTOM)
            .fixed_pos(canvas.left_bottom() + egui::vec2(10.0, -10.0 - foot))
            .interactable(false)
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style()).show(ui, legend_ui);
            });
    }

    /// The objectives' checklist: a strip along the top of the canvas,
    /// while a run of a model with objectives is open, each objective
    /// ticking or crossing as the run goes.
    pub(super) fn live_objectives(&self, ui: &mut egui::Ui) {
        let Some(live) = &self.live.session else {
            return;
        };
        let slos = &self.doc.model.slos;
        let runs = &live.frame().slos;
        if slos.is_empty() || runs.len() != slos.len() {
            return;
        }
        egui::Panel::top("objectives").show(ui, |ui| {
            ui.add_space(3.0);
            super::objectives::checklist_ui(ui, slos, runs);
            ui.add_space(1.0);
        });
    }

    /// The charts panel's contents.
    pub(super) fn live_charts_ui(&mut self, ui: &mut egui::Ui) {
        let Some(live) = &mut self.live.session else {
            return;
        };
        let model = &self.doc.model;
        let selected = match (self.canvas.selected.len(), self.canvas.selected_edge) {
            (1, _) => self
                .canvas
                .selected
                .first()
                .and_then(|&n| model.graph.node_weight(n))
                .map(|n| ChartSubject::Node(n.id.clone())),
            (0, Some(e)) => model.graph.edge_endpoints(e).map(|(a, b)| {
                ChartSubject::Edge(model.graph[a].id.clone(), model.graph[b].id.clone())
            }),
            _ => None,
        };
        let subjects = self.live.charts.subjects(selected.as_ref());
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        for s in subjects {
            match s {
                ChartSubject::Node(id) => nodes.push(id),
                ChartSubject::Edge(a, b) => edges.push((a, b)),
            }
        }
        live.watch(nodes, edges);
        if let Some(alerts) = &live.frame().alerts {
            alerts_list_ui(ui, alerts, &|id: &str| node_name(model, id));
        }
        charts_ui(
            ui,
            &mut self.live.charts,
            live.frame(),
            selected.as_ref(),
            &|id: &str| node_name(model, id),
        );
    }

    /// The Results panel while a live run is open: its report now, and
    /// which export the user asked for (written after drawing).
    pub(super) fn live_results_ui(&mut self, ui: &mut egui::Ui) -> Option<LiveExport> {
        let live = self.live.session.as_mut()?;
        let wall = ui.input(|i| i.time);
        // A fresh report twice a second while the panel is open.
        if wall - self.live.results_asked > 0.5 {
            live.send(Command::Report);
            self.live.results_asked = wall;
        }
        let Some(result) = live.result.as_deref() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("gathering the report…");
            });
            return None;
        };
        let report = live_report(result, &self.doc.model);
        self.canvas.marked = super::results::card_mark(&report);
        let model = &self.doc.model;
        live_report_named_ui(ui, result, &report, &|id: &str| node_name(model, id))
    }

    /// Writes the live run's report or series, as it is now, to `path`;
    /// an error if the live run has no report yet.
    pub fn export_live_to(&self, export: LiveExport, path: &Path) -> Result<()> {
        let Some(result) = self.live.session.as_ref().and_then(|l| l.result.as_deref()) else {
            bail!("the live run has no report yet");
        };
        let text = match export {
            LiveExport::ReportJson => live_report(result, &self.doc.model).to_json_string(),
            LiveExport::ReportCsv => {
                let report = live_report(result, &self.doc.model);
                sim_core::export::csv::to_csv(&report).map_err(|e| anyhow!(e.to_string()))?
            }
            LiveExport::SeriesCsv => result.series.to_csv(),
        };
        files::write_atomic(path, text)
    }
}

/// What the header's counters mean, for its tooltip.
const COUNTERS_MEAN: &str = "sent: events the producers created · copies: fan-out copies \
    (a topic's subscribers, a log's consumer groups), redeliveries and replays · derived: \
    events a CEP rule emitted · completed, dropped, dead-lettered, expired: where messages \
    ended · retained in logs: records a log keeps until its retention, read or not · \
    in flight: everywhere else. The first group adds up to the second.";

/// The live header's counters: the messages that came into being (sent,
/// copies, derived) and where each one is now; both sides add up to the
/// same total (conservation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// How messages came into being, each with its label.
    pub made: Vec<(&'static str, u64)>,
    /// Where they are now, each with its label.
    pub now: Vec<(&'static str, u64)>,
}

impl Counters {
    /// The counters of a live snapshot. Parts that are zero and may
    /// stay so are left out; "sent", "completed" and "in flight" always
    /// show, "retained in logs" whenever the model has a log.
    pub fn of(snap: &Snapshot) -> Self {
        let t = &snap.totals;
        let retained: u64 = snap
            .nodes
            .iter()
            .filter(|n| n.kind == Kind::Log)
            .map(|n| n.held)
            .sum();
        let has_log = snap.nodes.iter().any(|n| n.kind == Kind::Log);
        let copies = t.fanout_copies + t.redelivered + t.replayed;
        let mut made = vec![("sent", t.emitted)];
        if copies > 0 {
            made.push(("copies", copies));
        }
        if t.derived > 0 {
            made.push(("derived", t.derived));
        }
        let mut now = vec![("completed", t.completed)];
        for (label, v) in [
            ("dropped", t.dropped),
            ("dead-lettered", t.dead_lettered),
            ("expired", t.expired),
            ("lost", t.lost),
        ] {
            if v > 0 {
                now.push((label, v));
            }
        }
        if has_log {
            now.push(("retained in logs", retained));
        }
        // NOTE: a log's records are messages in flight to the engine; here
        // they are counted apart.
        now.push(("in flight", t.in_flight.saturating_sub(retained)));
        Self { made, now }
    }

    /// The total of either side.
    pub fn total(parts: &[(&'static str, u64)]) -> u64 {
        parts.iter().map(|&(_, v)| v).sum()
    }
}

impl std::fmt::Display for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .made
            .iter()
            .chain(&self.now)
            .map(|(label, v)| format!("{label} {v}"))
            .collect();
        write!(f, "{}", parts.join(" · "))
    }
}

/// The numbers the live panel lists for a node: its kind's, then what
/// every kind may count (drops, dead letters, retries), each once.
pub fn panel_numbers(node: &NodeSnapshot) -> Vec<LiveNumber> {
    let mut numbers = kinds::of(node.kind).live_numbers(node);
    for extra in [
        LiveNumber::count("dropped", node.dropped, "dropped", "Messages it dropped"),
        LiveNumber::count(
            "dead-lettered",
            node.dead_lettered,
            "dead_lettered",
            "Messages it sent to a dead-letter queue",
        ),
        LiveNumber::count(
            "retries",
            node.retries,
            "retries",
            "Failed attempts tried again",
        ),
    ] {
        let known = numbers.iter().any(|n| n.metric == extra.metric);
        if extra.value.is_some() && !known {
            numbers.push(extra);
        }
    }
    numbers
}

/// What the live report can be exported as.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveExport {
    ReportJson,
    ReportCsv,
    /// Every node's and edge's time series.
    SeriesCsv,
}

impl LiveExport {
    /// What is exported, for the dialog's title and the file's name.
    pub fn what(self) -> &'static str {
        match self {
            Self::ReportJson | Self::ReportCsv => "report",
            Self::SeriesCsv => "series",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::ReportJson => "json",
            Self::ReportCsv | Self::SeriesCsv => "csv",
        }
    }
}

/// A fault the live panel asked for: injected now into the run, and
/// recorded into the scenario when `record` is set.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveFault {
    pub node_id: String,
    pub effect: Effect,
    pub duration: Duration,
    /// The run's clock when it was asked for.
    pub at: SimTime,
    pub record: bool,
}

/// The live run's one result as a report, with the model's faults and
/// objectives.
pub fn live_report(result: &RunResult, model: &sim_core::Model) -> Report {
    let mut report = ReportBuilder::new(result.seed);
    report.add(result);
    report
        .finish(0.0)
        .with_faults(&model.scenario)
        .with_slos(&model.slos)
        .with_insights(model)
}

/// The live report: its heading, the export buttons and the table, nodes
/// by id; the export clicked, if any, for the app to write after drawing.
pub fn live_report_ui(
    ui: &mut egui::Ui,
    result: &RunResult,
    report: &Report,
) -> Option<LiveExport> {
    live_report_named_ui(ui, result, report, &str::to_owned)
}

/// [`live_report_ui`] with nodes by their names in the model.
fn live_report_named_ui(
    ui: &mut egui::Ui,
    result: &RunResult,
    report: &Report,
    name_of: &dyn Fn(&str) -> String,
) -> Option<LiveExport> {
    let mut export = None;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "Live run at t = {} (seed {})",
                seconds(result.sim_time_s),
                result.seed
            ))
            .strong(),
        );
        let balanced = report.conservation.balanced();
        ui.label(
            RichText::new(if balanced {
                "every message accounted for"
            } else {
                "conservation does not add up"
            })
            .color(if balanced {
                colors::GREEN
            } else {
                colors::WARN
            }),
        );
        if ui.button("Export JSON…").clicked() {
            export = Some(LiveExport::ReportJson);
        }
        if ui.button("Export CSV…").clicked() {
            export = Some(LiveExport::ReportCsv);
        }
        if ui
            .button("Export series CSV…")
            .on_hover_text("Every node's and edge's time series")
            .clicked()
        {
            export = Some(LiveExport::SeriesCsv);
        }
    });
    ui.separator();
    results_table_ui(ui, report, name_of);
    export
}

/// A node's name in `model`, from its id (the id itself if it is gone).
pub(super) fn node_name(model: &sim_core::Model, id: &str) -> String {
    model
        .find(id)
        .and_then(|n| model.graph.node_weight(n))
        .map_or_else(|| id.to_owned(), |node| node.label().to_owned())
}

/// The legend's rows: a swatch drawn as on the canvas, and what it means.
fn legend_ui(ui: &mut egui::Ui) {
    use egui::{Sense, Stroke, StrokeKind, vec2};
    let dark = ui.visuals().dark_mode;
    ui.label(RichText::new("Live marks").strong());
    let swatch = |ui: &mut egui::Ui, paint: &dyn Fn(&egui::Painter, egui::Rect), text: &str| {
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(vec2(44.0, 16.0), Sense::hover());
            paint(ui.painter(), rect);
            ui.label(text);
        });
    };
    let card = |p: &egui::Painter, r: egui::Rect| {
        p.rect_filled(r.shrink(2.0), 3.0, ui_card_fill(dark));
    };
    swatch(
        ui,
        &|p, r| {
            card(p, r);
            p.rect_stroke(
                r.shrink(2.0),
                3.0,
                Stroke::new(2.5, colors::BLOCKED),
                StrokeKind::Outside,
            );
        },
        "BLOCKED: waiting for room downstream",
    );
    for (fill, text) in [
        (0.4, "filling: under 60 %"),
        (0.75, "filling: 60 % and more"),
        (0.95, "full: 90 % and more"),
    ] {
        swatch(
            ui,
            &|p, r| {
                let bar = egui::Rect::from_min_size(
                    r.left_center() - vec2(0.0, 3.0),
                    vec2(r.width(), 6.0),
                );
                p.rect_filled(bar, 2.0, ui_bar_back(dark));
                let mut filled = bar;
                filled.set_width(bar.width() * fill);
                p.rect_filled(filled, 2.0, colors::fill(fill, dark));
            },
            text,
        );
    }
    swatch(
        ui,
        &|p, r| {
            p.rect_filled(r.shrink(2.0), 3.0, colors::DOWN);
        },
        "DOWN: crashed, back after the fault",
    );
    // NOTE: drawn by the canvas's own painters, at the canvas's size.
    let r = 4.0;
    swatch(
        ui,
        &|p, rect| {
            for (k, c) in colors::EVENTS.iter().take(3).enumerate() {
                #[expect(clippy::cast_precision_loss, reason = "three swatches")]
                let x = rect.left() + 8.0 + 13.0 * k as f32;
                let at = egui::pos2(x, rect.center().y);
                paint_dot(p, at, r, *c, DotMarks::default(), dark);
            }
        },
        "a message; its colour is its event type",
    );
    swatch(
        ui,
        &|p, rect| {
            let marks = DotMarks {
                retried: true,
                ..DotMarks::default()
            };
            paint_dot(p, rect.center(), r, colors::EVENTS[0], marks, dark);
        },
        "retried",
    );
    swatch(
        ui,
        &|p, rect| {
            let marks = DotMarks {
                stale: true,
                ..DotMarks::default()
            };
            paint_dot(p, rect.center(), r, colors::EVENTS[0], marks, dark);
        },
        "nobody waits for it: past its deadline, or its client gave up",
    );
    swatch(
        ui,
        &|p, rect| {
            let marks = DotMarks {
                failed: true,
                ..DotMarks::default()
            };
            paint_dot(p, rect.center(), r, colors::EVENTS[0], marks, dark);
        },
        "failed: on its way to a dead letter",
    );
    swatch(
        ui,
        &|p, rect| {
            let marks = DotMarks {
                lost: true,
                ..DotMarks::default()
            };
            paint_dot(p, rect.center(), r, colors::EVENTS[0], marks, dark);
        },
        "lost to a failure (a crash, a failover, a link), rising from where",
    );
    swatch(
        ui,
        &|p, rect| {
            paint_dot(
                p,
                rect.center(),
                r,
                colors::EVENTS[0],
                DotMarks::default(),
                dark,
            );
            paint_followed(p, rect.center(), r, dark);
        },
        "followed: click it to see its journey",
    );
    swatch(
        ui,
        &|p, r| {
            let y = r.center().y;
            let flow = colors::flow(dark).gamma_multiply(0.75);
            p.line_segment(
                [
                    egui::pos2(r.left(), y - 4.0),
                    egui::pos2(r.right(), y - 4.0),
                ],
                Stroke::new(1.5, flow),
            );
            p.line_segment(
                [
                    egui::pos2(r.left(), y + 3.0),
                    egui::pos2(r.right(), y + 3.0),
                ],
                Stroke::new(4.5, flow),
            );
        },
        "a link's width grows with its rate",
    );
}

/// A card's fill in the legend.
fn ui_card_fill(dark: bool) -> egui::Color32 {
    if dark {
        egui::Color32::from_gray(58)
    } else {
        egui::Color32::from_gray(235)
    }
}

/// A fill bar's empty part, as under the cards.
fn ui_bar_back(dark: bool) -> egui::Color32 {
    if dark {
        egui::Color32::from_gray(60)
    } else {
        egui::Color32::from_gray(222)
    }
}
