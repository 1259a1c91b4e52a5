//! The menu bar and the toolbar, and [`MenuAction`]: what the user picked
//! in them, on the start screen, in a dialog or in the results window.
//! Each draws and returns what the user picked; [`WeirApp`] applies it
//! once per frame, after drawing, with the panels' edits, so no file
//! dialog runs and no file is read or written while anything is drawn.

use std::path::PathBuf;

use eframe::egui::{self, RichText};

use super::dialogs::Pending;
use super::document::Document;
use super::live_ui::{LiveExport, LiveFault};
use super::shortcuts::Action;
use super::{LiveAction, Prefs, ThemeChoice, WeirApp, export, files};
use crate::examples::Example;
use crate::exports::Target;

/// What the user picked in a menu, on the toolbar, on the start screen,
/// in a dialog, in the results window or on the live panel.
#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub enum MenuAction {
    /// What the action's keyboard shortcut does.
    Do(Action),
    OpenRecent(PathBuf),
    OpenExample(Example),
    /// Ask which documents, then import them.
    Import,
    /// Ask where, then export.
    Export(Target),
    /// Ask where, then write the live run's report or series.
    ExportLive(LiveExport),
    /// The answer to the question about unsaved changes: go ahead, saving
    /// first or not (cancelling needs no action).
    Discard {
        save_first: bool,
    },
    /// The answer to the first recovery offer: restore its work (`false`:
    /// discard it, or set an unreadable file aside).
    Recover(bool),
    /// Inject a fault into the live run (and record it, if asked).
    Fault(LiveFault),
    /// What the run controls do (the Run menu's Step and Run to end).
    Live(LiveAction),
    /// Open Compare designs (on a variant, by name).
    Compare(Option<String>),
    /// Open What if.
    WhatIf,
    /// Open Predict, then run.
    Predict,
    /// Open Plan capacity.
    Plan,
    /// Open Record live view.
    RecordGif,
    /// Show the list of lessons.
    Lessons,
    Quit,
}

/// What the toolbar shows of work in progress.
#[derive(Clone, Copy, Debug)]
pub struct ToolbarStatus {
    /// Replications are running.
    pub running: bool,
    /// An export is being written.
    pub exporting: bool,
    /// The canvas's zoom.
    pub zoom: f32,
}

impl WeirApp {
    /// Does what the user picked in a menu or on the toolbar.
    pub(super) fn apply_menu_action(&mut self, ctx: &egui::Context, action: MenuAction) {
        match action {
            MenuAction::Do(action) => self.handle_action(ctx, action),
            MenuAction::OpenRecent(path) => self.request(Pending::Open(Some(path))),
            MenuAction::Import => self.request(Pending::Import(Vec::new())),
            MenuAction::OpenExample(example) => self.request(Pending::Example(example)),
            MenuAction::Fault(fault) => self.inject_live_fault(fault),
            MenuAction::Live(action) => self.live_action(ctx, action),
            MenuAction::Compare(variant) => {
                let side = variant.map(super::comparison::Side::Variant);
                self.comparison.open_on(&self.doc.model, side);
            }
            MenuAction::WhatIf => self.whatif.open_on(&self.doc.model),
            MenuAction::Predict => self.predict.open(),
            MenuAction::Plan => self.planner.open_on(&self.doc.model),
            MenuAction::RecordGif => self
                .recording
                .open_on(self.doc.path.as_deref(), &self.doc.model.name),
            MenuAction::Export(target) => {
                let start = self.doc.path.as_deref();
                if let Some(path) = export::pick_export(start, &self.doc.model.name, target) {
                    self.export_to(ctx, target, path);
                }
            }
            MenuAction::ExportLive(export) => {
                // NOTE: with no desktop session the dialog returns `None`,
                // as if cancelled.
                let name = &self.doc.model.name;
                if let Some(path) = files::pick_export(name, export.what(), export.extension())
                    && let Err(e) = self.export_live_to(export, &path)
                {
                    self.error = Some(format!("{e:#}"));
                }
            }
            MenuAction::Discard { save_first } => self.answer_confirm(ctx, save_first),
            MenuAction::Recover(restore) => self.answer_recovery(restore),
            MenuAction::Lessons => {
                self.show_gallery = false;
                self.show_lessons = true;
            }
            MenuAction::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        }
    }
}

/// The menu bar; what the user picked in it. The View menu's settings
/// are preferences, changed in place.
pub fn menu_bar_ui(
    ui: &mut egui::Ui,
    prefs: &mut Prefs,
    doc: &Document,
    exporting: bool,
) -> Vec<MenuAction> {
    let mut actions = Vec::new();
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            for (label, action) in [
                ("New", Action::New),
                ("Open…", Action::Open),
                ("Save", Action::Save),
                ("Save as…", Action::SaveAs),
                ("Examples…", Action::Gallery),
            ] {
                if ui.button(label).clicked() {
                    actions.push(MenuAction::Do(action));
                }
            }
            if ui
                .button("Import…")
                .on_hover_text(
                    "AsyncAPI documents (one service each, joined into one system) or a Mermaid flowchart, as a new design",
                )
                .clicked()
            {
                actions.push(MenuAction::Import);
            }
            // A browser keeps no files to open again (Open uploads one).
            #[cfg(not(target_arch = "wasm32"))]
            ui.menu_button("Open recent", |ui| {
                if prefs.recent.is_empty() {
                    ui.label(RichText::new("nothing yet").weak());
                }
                for path in &prefs.recent {
                    if ui.button(path.display().to_string()).clicked() {
                        actions.push(MenuAction::OpenRecent(path.clone()));
                    }
                }
            });
            ui.menu_button("Export", |ui| {
                for target in Target::all() {
                    let button = ui.add_enabled(!exporting, egui::Button::new(target.label()));
                    let button = if target.needs_run() {
                        button.on_hover_text("Runs the scenario first")
                    } else {
                        button
                    };
                    if button.clicked() {
                        actions.push(MenuAction::Export(target));
                    }
                }
            });
            // A page is closed with its tab.
            if cfg!(not(target_arch = "wasm32")) {
                ui.separator();
                if ui.button("Quit").clicked() {
                    actions.push(MenuAction::Quit);
                }
            }
        });
        ui.menu_button("Edit", |ui| {
            if ui
                .add_enabled(doc.can_undo(), egui::Button::new("Undo"))
                .clicked()
            {
                actions.push(MenuAction::Do(Action::Undo));
            }
            if ui
                .add_enabled(doc.can_redo(), egui::Button::new("Redo"))
                .clicked()
            {
                actions.push(MenuAction::Do(Action::Redo));
            }
            ui.separator();
            for (label, action) in [
                ("Duplicate", Action::Duplicate),
                ("Delete", Action::Delete),
                ("Select all", Action::SelectAll),
            ] {
                if ui.button(label).clicked() {
                    actions.push(MenuAction::Do(action));
                }
            }
        });
        ui.menu_button("View", |ui| {
            // NOTE: while presenting, the panels are the ones over the
            // canvas and the charts strip, and the menu says so.
            if prefs.presentation {
                let overlays = &mut prefs.overlays;
                ui.checkbox(&mut overlays.palette, "Palette over the canvas")
                    .on_hover_text("F6");
                ui.checkbox(&mut overlays.inspector, "Inspector over the canvas")
                    .on_hover_text("F7");
                ui.checkbox(&mut overlays.charts, "Charts strip")
                    .on_hover_text("F8, while the model plays");
                ui.checkbox(&mut overlays.rewind, "Rewind bar")
                    .on_hover_text("F9, while the model plays");
                ui.add_enabled(
                    false,
                    egui::Checkbox::new(&mut prefs.show_problems, "Problems"),
                )
                .on_disabled_hover_text("While presenting, shown only when there are problems");
            } else {
                ui.checkbox(&mut prefs.show_palette, "Palette")
                    .on_hover_text("F6");
                ui.checkbox(&mut prefs.show_inspector, "Inspector")
                    .on_hover_text("F7");
                ui.checkbox(&mut prefs.show_problems, "Problems");
                ui.checkbox(&mut prefs.show_charts, "Charts")
                    .on_hover_text("F8, while the model plays");
                ui.checkbox(&mut prefs.show_rewind, "Rewind bar")
                    .on_hover_text("F9, while the model plays");
            }
            ui.checkbox(&mut prefs.snap, "Snap to grid");
            ui.separator();
            if ui.button("Zoom to fit").clicked() {
                actions.push(MenuAction::Do(Action::ZoomToFit));
            }
            if ui.button("Arrange left to right").clicked() {
                actions.push(MenuAction::Do(Action::Arrange));
            }
            ui.separator();
            ui.label("Theme");
            ui.radio_value(&mut prefs.theme, ThemeChoice::System, "System");
            ui.radio_value(&mut prefs.theme, ThemeChoice::Light, "Light");
            ui.radio_value(&mut prefs.theme, ThemeChoice::Dark, "Dark");
            ui.separator();
            ui.checkbox(&mut prefs.presentation, "Presentation mode")
                .on_hover_text("F5: the drawing gets the window; F5 again leaves");
        });
        ui.menu_button("Run", |ui| {
            let shortcut = |ui: &egui::Ui, action: Action| {
                super::shortcuts::SHORTCUTS
                    .iter()
                    .find(|(_, a, _)| *a == action)
                    .map(|(s, ..)| ui.ctx().format_shortcut(s))
                    .unwrap_or_default()
            };
            let play = egui::Button::new(PLAY_LIVE).shortcut_text(shortcut(ui, Action::PlayPause));
            if ui.add(play).on_hover_text(PLAY_LIVE_HELP).clicked() {
                actions.push(MenuAction::Do(Action::PlayPause));
            }
            if ui
                .button("Step")
                .on_hover_text("Advance the live run by 100 ms of simulated time")
                .clicked()
            {
                actions.push(MenuAction::Live(LiveAction::Step));
            }
            if ui
                .button("Run to end")
                .on_hover_text("Run the live run to the end of the scenario as fast as possible")
                .clicked()
            {
                actions.push(MenuAction::Live(LiveAction::RunToEnd));
            }
            if ui
                .button("Record live view (GIF)…")
                .on_hover_text(
                    "Record the next seconds of the live run as an animated GIF, in the background",
                )
                .clicked()
            {
                actions.push(MenuAction::RecordGif);
            }
            ui.separator();
            let run = egui::Button::new(run_replications_label(doc))
                .shortcut_text(shortcut(ui, Action::Run));
            if ui
                .add(run)
                .on_hover_text(run_replications_help(doc))
                .clicked()
            {
                actions.push(MenuAction::Do(Action::Run));
            }
            let predict =
                egui::Button::new("Predict, then run…").shortcut_text(shortcut(ui, Action::Predict));
            if ui
                .add(predict)
                .on_hover_text(
                    "Write down what you expect of a number (or the room's guesses), then run and see who was closest",
                )
                .clicked()
            {
                actions.push(MenuAction::Predict);
            }
            if ui
                .button("Compare designs…")
                .on_hover_text(
                    "Run two designs (the model, its variants, another file) on the same seeds and compare them",
                )
                .clicked()
            {
                actions.push(MenuAction::Compare(None));
            }
            if ui
                .button("What if…")
                .on_hover_text(
                    "Sweep a parameter or the load and watch a metric or an objective move",
                )
                .clicked()
            {
                actions.push(MenuAction::WhatIf);
            }
            if ui
                .button("Plan capacity…")
                .on_hover_text(
                    "Find the cheapest instances, capacity… that meet every objective with headroom",
                )
                .clicked()
            {
                actions.push(MenuAction::Plan);
            }
        });
        ui.menu_button("Help", |ui| {
            if ui.button("Keyboard shortcuts").clicked() {
                actions.push(MenuAction::Do(Action::Help));
            }
            if ui.button("Start page").clicked() {
                actions.push(MenuAction::Do(Action::Gallery));
            }
            if ui
                .button("Lessons…")
                .on_hover_text("A workshop in steps: fix a broken design until it meets its goals")
                .clicked()
            {
                actions.push(MenuAction::Lessons);
            }
        });
    });
    actions
}

/// The toolbar: the model's name, Run, layout, zoom, undo and redo; what
/// the user clicked in it.
pub fn toolbar_ui(ui: &mut egui::Ui, doc: &Document, status: ToolbarStatus) -> Vec<MenuAction> {
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        ui.label(RichText::new(&doc.model.name).strong().size(16.0));
        ui.label(RichText::new(&doc.origin).weak());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let running = status.running;
            let run = ui
                .add_enabled(!running, egui::Button::new(run_replications_label(doc)))
                .on_hover_text(run_replications_help(doc));
            if run.clicked() {
                actions.push(MenuAction::Do(Action::Run));
            }
            if running || status.exporting {
                ui.spinner();
            }
            ui.separator();
            if ui
                .button("Arrange")
                .on_hover_text("Lay out left to right")
                .clicked()
            {
                actions.push(MenuAction::Do(Action::Arrange));
            }
            if ui.button("Fit").on_hover_text("Zoom to fit (F)").clicked() {
                actions.push(MenuAction::Do(Action::ZoomToFit));
            }
            ui.label(RichText::new(format!("{:.0}%", status.zoom * 100.0)).weak());
            ui.separator();
            if ui
                .add_enabled(doc.can_redo(), egui::Button::new("Redo"))
                .clicked()
            {
                actions.push(MenuAction::Do(Action::Redo));
            }
            if ui
                .add_enabled(doc.can_undo(), egui::Button::new("Undo"))
                .clicked()
            {
                actions.push(MenuAction::Do(Action::Undo));
            }
        });
    });
    actions
}

/// The name of the animated single run, wherever it is offered.
pub const PLAY_LIVE: &str = "Play live";

/// What Play live does, and how it differs from the replications.
pub const PLAY_LIVE_HELP: &str = "Play live: one run, animated on the canvas as it happens: messages move, queues fill, marks show what blocks. Change values while it plays. (Space)";

/// The name of the statistical run: how many replications it makes.
pub fn run_replications_label(doc: &Document) -> String {
    match doc.model.scenario.replications {
        1 => "Run 1 replication".to_owned(),
        n => format!("Run {n} replications"),
    }
}

/// What the replications do, and how they differ from Play live.
pub fn run_replications_help(doc: &Document) -> String {
    let s = &doc.model.scenario;
    format!(
        "Run the scenario {} times for {} each, off screen and as fast as possible, then show the statistics with confidence intervals in Results. Nothing moves on the canvas; Play live animates one run. (Ctrl+R)",
        s.replications, s.duration
    )
}
