//! The desktop window: the designer.
//!
//! One file per feature: the canvas ([`canvas`]), the palette, the
//! inspector, the menus, the problems list, files and recovery, the
//! gallery, the keyboard shortcuts, auto-layout; one per node kind under
//! [`kinds`]. Each draws and returns what the user asked for; [`WeirApp`]
//! applies those edits and actions once per frame, after drawing, so
//! nothing else mutates the model.
//!
//! State is split three ways: the document (the model, saved to `.ron`),
//! [`Prefs`] (panels, theme, recent files — remembered by eframe between
//! runs, never in the model file) and runtime state (selection, zoom, the
//! gesture in progress, dialogs).

mod by_hand;
pub mod canvas;
pub mod charts;
mod clipboard;
pub mod colors;
pub mod comparison;
mod dialogs;
pub mod document;
pub mod export;
pub mod files;
pub mod gallery;
pub mod inspector;
pub mod journeys;
pub mod kinds;
pub mod layout;
pub mod lessons;
mod live_ui;
mod menus;
pub mod objectives;
pub mod palette;
pub mod planner;
pub mod predict;
mod presenting;
pub mod problems;
pub mod recording;
pub mod recovery;
pub mod results;
pub mod run;
pub mod session;
pub mod shortcuts;
pub mod timeline;
pub mod web;
pub mod whatif;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use anyhow::Result;
use eframe::egui;
use serde::{Deserialize, Serialize};
use sim_core::Model;
use sim_core::model::{ModelCommand, file};
use sim_core::validate::Diagnostic;

use crate::examples::{Example, default_example};
use crate::live::Command;
use canvas::{CanvasState, canvas_ui};
use charts::ChartsState;
use dialogs::Pending;
use document::Document;
use inspector::{InspectorState, Subject};
use live_ui::LiveState;
pub use live_ui::{Counters, LiveExport, live_report, live_report_ui, panel_numbers};
use menus::{MenuAction, ToolbarStatus};
pub use presenting::Overlays;
use problems::{ProblemAction, problems_ui};
use recovery::{Orphan, Recovery};
use run::RunState;
use session::LiveSession;
use shortcuts::Action;

/// Opens the window on `path`, or on the start screen; `play` starts the
/// live simulation at once.
#[cfg(not(target_arch = "wasm32"))]
pub fn open(path: Option<&Path>, play: bool) -> Result<()> {
    let path = path.map(Path::to_path_buf);
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Weir")
        .with_app_id("weir")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([720.0, 480.0])
        .with_drag_and_drop(true);
    // NOTE: the icon is built in and checked by a test; were it unreadable
    // the window would still open, with the platform's icon.
    if let Some(icon) = crate::assets::window_icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        "Weir",
        options,
        Box::new(move |cc| {
            let mut app = WeirApp::with_creation_context(cc, path.as_deref());
            if play {
                app.play_on_start();
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// Light, dark, or as the system says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    #[default]
    System,
    Light,
    Dark,
}

/// What is remembered between runs (by eframe, not in the model file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub theme: ThemeChoice,
    /// Presentation mode (F5). NOTE: never remembered: the next launch
    /// opens in the editor, with its palette.
    #[serde(skip)]
    pub presentation: bool,
    /// What floats over the canvas while presenting; never remembered.
    #[serde(skip)]
    pub overlays: Overlays,
    pub show_palette: bool,
    pub show_inspector: bool,
    pub show_problems: bool,
    /// The charts along the bottom while a live run is open (the editor's;
    /// presentation mode has its own strip in `overlays`).
    pub show_charts: bool,
    /// The rewind bar over the canvas's foot while a live run is open (the
    /// editor's; presentation mode's is in `overlays`).
    pub show_rewind: bool,
    pub snap: bool,
    pub recent: Vec<PathBuf>,
    /// Each lesson's progress, by lesson file.
    pub lessons: lessons::ProgressBook,
    /// The names of the room in Predict, then run's teacher view: the
    /// next round starts with them.
    pub predict_room: Vec<String>,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            theme: ThemeChoice::System,
            presentation: false,
            overlays: Overlays::default(),
            show_palette: true,
            show_inspector: true,
            show_problems: true,
            show_charts: true,
            show_rewind: true,
            snap: true,
            recent: Vec::new(),
            lessons: lessons::ProgressBook::new(),
            predict_room: Vec::new(),
        }
    }
}

const MAX_RECENT: usize = 10;
const AUTOSAVE_SECS: f64 = 15.0;

/// The application.
pub struct WeirApp {
    doc: Document,
    prefs: Prefs,
    canvas: CanvasState,
    inspector: InspectorState,
    run: RunState,
    /// The Plan capacity window.
    planner: planner::PlannerWindow,
    /// The What if window.
    whatif: whatif::WhatIfWindow,
    /// The Predict, then run window.
    predict: predict::PredictWindow,
    /// The Record live view window.
    pub recording: recording::RecordWindow,
    /// The Compare designs window.
    comparison: comparison::ComparisonWindow,
    /// File → Export writing in the background.
    export: export::ExportState,
    show_results: bool,
    show_help: bool,
    show_gallery: bool,
    /// The start page's search and pictures.
    gallery: gallery::GalleryState,
    /// The Lessons list is showing.
    show_lessons: bool,
    /// The lesson being worked on, beside the canvas.
    lesson: Option<lessons::ActiveLesson>,
    /// A question about unsaved changes.
    confirm: Option<Pending>,
    /// An error to show in a dialog.
    error: Option<String>,
    /// This instance's recovery file, locked while it runs.
    recovery: Option<Recovery>,
    /// Unsaved work left by instances that stopped without saving, offered
    /// one at a time; each stays on disk until the user answers.
    recovery_offers: VecDeque<Orphan>,
    last_autosave: f64,
    autosaved_revision: Option<u64>,
    /// The window may close: unsaved changes were dealt with.
    allow_close: bool,
    /// The last title sent to the window, to send it only on change.
    title_sent: String,
    applied_look: Option<(ThemeChoice, bool)>,
    /// Frame every node on the next frame (presentation mode changed the
    /// size of everything).
    refit_pending: bool,
    /// Panels are laid out for presentation mode. It follows the
    /// preference once the zoom that goes with it is in effect, so no
    /// panel is sized for one zoom while the other is on screen.
    presenting: bool,
    /// What the last copy put on the clipboard, for duplicate and for
    /// platforms without one.
    clipboard: Option<String>,
    /// The live run and its panels.
    live: LiveState,
    /// The live run was paused by an invalid edit: it plays on once the
    /// model can run again (undo or a fix).
    resume_after_fix: bool,
}

/// What the run controls ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveAction {
    PlayPause,
    Step,
    Reset,
    RunToEnd,
    Stop,
}

impl std::fmt::Debug for WeirApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeirApp")
            .field("model", &self.doc.model.name)
            .field("path", &self.doc.path)
            .field("dirty", &self.doc.is_dirty())
            .finish_non_exhaustive()
    }
}

impl WeirApp {
    /// The app on `model`, without remembered preferences or a recovery
    /// file: what tests drive.
    pub fn from_model(model: Model, path: Option<PathBuf>) -> Self {
        let origin = path
            .as_ref()
            .map_or_else(|| "new model".to_owned(), |p| p.display().to_string());
        Self::with_document(
            document_for(model, path, origin, Vec::new()),
            Prefs::default(),
        )
    }

    /// The app on the default bundled example.
    pub fn default_example() -> Self {
        Self::with_document(example_document(default_example()), Prefs::default())
    }

    /// The real app: preferences from eframe's storage, the file from the
    /// command line or the start screen, and crash recovery.
    pub fn with_creation_context(cc: &eframe::CreationContext<'_>, path: Option<&Path>) -> Self {
        let prefs: Prefs = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        install_fonts(&cc.egui_ctx);
        Self::starting(path, prefs, Recovery::in_data_dir())
    }

    /// The app as it starts: `path` opened (or the start screen), and the
    /// unsaved work of instances that stopped without saving offered from
    /// `recovery`'s folder.
    pub fn starting(path: Option<&Path>, prefs: Prefs, recovery: Option<Recovery>) -> Self {
        let mut app = Self::with_document(example_document(default_example()), prefs);
        app.recovery_offers = recovery
            .as_ref()
            .map(Recovery::orphans)
            .unwrap_or_default()
            .into();
        app.recovery = recovery;
        match path {
            Some(path) => app.open_path(path),
            None => app.show_gallery = app.recovery_offers.is_empty(),
        }
        app
    }

    /// Where this window keeps its unsaved work, if it keeps it.
    pub fn recovery_path(&self) -> Option<&Path> {
        self.recovery.as_ref().map(Recovery::path)
    }

    /// How many recovery files wait for an answer.
    pub fn recovery_offers(&self) -> usize {
        self.recovery_offers.len()
    }

    fn with_document(doc: Document, prefs: Prefs) -> Self {
        let mut canvas = CanvasState::default();
        canvas.snap = prefs.snap;
        Self {
            doc,
            prefs,
            canvas,
            inspector: InspectorState::default(),
            run: RunState::Idle,
            comparison: comparison::ComparisonWindow::default(),
            whatif: whatif::WhatIfWindow::default(),
            predict: predict::PredictWindow::default(),
            recording: recording::RecordWindow::default(),
            planner: planner::PlannerWindow::default(),
            export: export::ExportState::Idle,
            show_results: false,
            show_help: false,
            show_gallery: false,
            gallery: gallery::GalleryState::default(),
            show_lessons: false,
            lesson: None,
            confirm: None,
            error: None,
            recovery: None,
            recovery_offers: VecDeque::new(),
            last_autosave: 0.0,
            autosaved_revision: None,
            allow_close: false,
            title_sent: String::new(),
            applied_look: None,
            refit_pending: false,
            presenting: false,
            clipboard: None,
            live: LiveState::default(),
            resume_after_fix: false,
        }
    }

    /// Starts the live simulation on the first frame (`weir FILE --play`).
    pub fn play_on_start(&mut self) {
        self.live.play_pending = true;
    }

    /// Applies an edit as the inspector or canvas would (one undo step).
    pub fn apply_edit(&mut self, cmd: ModelCommand) -> Result<(), String> {
        self.doc.apply(cmd, false).map_err(|e| e.to_string())
    }

    /// The live simulation, if one is open.
    pub fn live(&self) -> Option<&LiveSession> {
        self.live.session.as_ref()
    }

    /// Drives the run controls as the toolbar does.
    pub fn live_action(&mut self, ctx: &egui::Context, action: LiveAction) {
        if action == LiveAction::Stop {
            self.live.session = None;
            self.resume_after_fix = false;
            return;
        }
        let pausing =
            action == LiveAction::PlayPause && self.live().is_some_and(LiveSession::playing);
        if !pausing && let Some(why) = self.doc.run_refusal() {
            self.canvas.notify(ctx, why);
            return;
        }
        if !self.ensure_live(ctx) {
            return;
        }
        self.resume_after_fix = false;
        let Some(live) = &mut self.live.session else {
            return;
        };
        match action {
            LiveAction::PlayPause => {
                if live.playing() {
                    live.send(Command::Pause);
                } else {
                    if live.frame().finished {
                        let seed = live.seed;
                        live.reset(seed);
                    }
                    live.send(Command::Play);
                }
            }
            LiveAction::Step => live.send(Command::Step),
            LiveAction::Reset => {
                let seed = self.live.seed.unwrap_or(self.doc.model.scenario.seed);
                live.reset(seed);
            }
            LiveAction::RunToEnd => live.send(Command::RunToEnd),
            LiveAction::Stop => {}
        }
        ctx.request_repaint();
    }

    /// Opens a live session if there is none; false if the model cannot run.
    fn ensure_live(&mut self, ctx: &egui::Context) -> bool {
        if self.live.session.is_some() {
            return true;
        }
        if let Some(why) = self.doc.run_refusal() {
            self.canvas.notify(ctx, why);
            return false;
        }
        let seed = *self.live.seed.get_or_insert(self.doc.model.scenario.seed);
        let repaint_ctx = ctx.clone();
        match LiveSession::start(
            &self.doc.model,
            self.doc.run_revision(),
            seed,
            Box::new(move || repaint_ctx.request_repaint()),
        ) {
            Ok(mut live) => {
                live.set_speed(self.live.speed);
                self.live.session = Some(live);
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    pub fn model(&self) -> &Model {
        &self.doc.model
    }

    pub fn path(&self) -> Option<&Path> {
        self.doc.path.as_deref()
    }

    /// Where the design came from (a file, an example, an import).
    pub fn origin(&self) -> &str {
        &self.doc.origin
    }

    pub fn is_dirty(&self) -> bool {
        self.doc.is_dirty()
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.doc.diagnostics()
    }

    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    /// The window title: the file name, and `*` for unsaved changes.
    pub fn title(&self) -> String {
        format!(
            "{}{} — Weir",
            if self.doc.is_dirty() { "*" } else { "" },
            self.doc.display_name()
        )
    }

    /// Ids of the selected nodes, in index order.
    pub fn selected_ids(&self) -> Vec<String> {
        self.canvas
            .selected
            .iter()
            .filter_map(|&n| self.doc.model.graph.node_weight(n).map(|w| w.id.clone()))
            .collect()
    }

    /// Selects nodes by id (others are deselected).
    pub fn select_ids(&mut self, ids: &[&str]) {
        self.canvas.selected = ids
            .iter()
            .filter_map(|id| self.doc.model.find(id))
            .collect();
        self.canvas.selected_edge = None;
    }

    /// Selects the link from node `from` to node `to` (and no node), if
    /// there is one.
    pub fn select_link(&mut self, from: &str, to: &str) {
        self.canvas.selected.clear();
        self.canvas.selected_edge = self.doc.model.find_edge(from, to);
    }

    /// Where a node's card is on screen (after the last frame).
    pub fn node_screen_rect(&self, id: &str) -> Option<egui::Rect> {
        let n = self.doc.model.find(id)?;
        Some(self.canvas.screen_rect_of(&self.doc.model.graph[n]))
    }

    /// How tall a card's name and summary are on screen, in points, at
    /// the canvas's current zoom.
    pub fn card_text_points(&self) -> (f32, f32) {
        self.canvas.card_text_points_for(&self.doc.model)
    }

    /// Where the canvas is on screen (after the last frame).
    pub fn canvas_rect(&self) -> egui::Rect {
        self.canvas.last_rect
    }

    /// Selects a node and centres the view on it.
    pub fn frame_node(&mut self, id: &str) {
        if let Some(n) = self.doc.model.find(id) {
            self.canvas.focus_node(&self.doc.model, n);
        }
    }

    /// Whether there is a step to undo or redo.
    pub fn can_undo(&self) -> bool {
        self.doc.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.doc.can_redo()
    }

    /// The message over the canvas, if one is showing.
    pub fn notice(&self) -> Option<&str> {
        self.canvas.notice()
    }

    /// Saves to `path` (atomically) and makes it the document's file.
    pub fn save_to(&mut self, path: &Path) -> Result<()> {
        files::save(&self.doc.model, path)?;
        self.doc.mark_saved(path.to_path_buf());
        self.remember_recent(path);
        if let Some(r) = &self.recovery {
            r.clear();
        }
        Ok(())
    }

    /// Opens a file, replacing the document (no question asked).
    pub fn open_path(&mut self, path: &Path) {
        match files::load(path) {
            Ok((model, diagnostics)) => {
                self.set_document(document_for(
                    model,
                    Some(path.to_path_buf()),
                    path.display().to_string(),
                    diagnostics,
                ));
                self.remember_recent(path);
            }
            Err(err) => self.error = Some(format!("{err:#}")),
        }
    }

    /// Opens a model from its text, as a file named `name` (one the
    /// browser uploaded), replacing the document (no question asked).
    pub fn open_text(&mut self, name: &str, text: &str) {
        match file::from_str(text) {
            Ok((model, diagnostics)) => self.set_document(document_for(
                model,
                Some(PathBuf::from(name)),
                name.to_owned(),
                diagnostics,
            )),
            Err(err) => self.error = Some(format!("cannot open {name}: {err}")),
        }
    }

    /// Imports documents given as names and texts (the browser's uploads)
    /// as [`Self::import_paths`] imports files.
    pub fn import_texts(&mut self, files: &[(String, String)]) {
        let names: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
        self.take_import(crate::importing::import_texts(files), &names);
    }

    /// Imports AsyncAPI documents (joined into one system) or a Mermaid
    /// flowchart as a new, unsaved document; what the import inferred or
    /// left out is in its problems list.
    pub fn import_paths(&mut self, paths: &[PathBuf]) {
        let names: Vec<String> = paths
            .iter()
            .map(|p| {
                p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            })
            .collect();
        self.take_import(crate::importing::import(paths), &names);
    }

    /// An import's outcome, from the files `names`: a new, unsaved
    /// document, or the error dialog.
    fn take_import(&mut self, outcome: Result<crate::importing::Imported>, names: &[String]) {
        match outcome {
            Ok(imported) => self.set_document(document_for(
                imported.model,
                None,
                format!("imported from {}", names.join(", ")),
                imported.diagnostics,
            )),
            Err(err) => self.error = Some(format!("{err:#}")),
        }
    }

    /// Opens a bundled example as a new, unsaved document.
    pub fn open_example(&mut self, example: Example) {
        self.set_document(example_document(example));
    }

    fn set_document(&mut self, doc: Document) {
        self.doc.replace(doc);
        self.canvas.selected.clear();
        self.canvas.selected_edge = None;
        self.canvas.request_fit();
        self.inspector = InspectorState::default();
        self.run = RunState::Idle;
        self.predict.forget_document();
        self.live.session = None;
        self.resume_after_fix = false;
        self.live.seed = None;
        self.live.charts = ChartsState::default();
        self.show_results = false;
        self.show_gallery = false;
        self.show_lessons = false;
        self.lesson = None;
        if let Some(r) = &self.recovery {
            r.clear();
        }
        self.autosaved_revision = None;
    }

    fn remember_recent(&mut self, path: &Path) {
        if cfg!(target_arch = "wasm32") {
            // A browser's files are uploads and downloads: none to reopen.
            return;
        }
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.prefs.recent.retain(|p| p != &path);
        self.prefs.recent.insert(0, path);
        self.prefs.recent.truncate(MAX_RECENT);
    }

    /// Applies edits from the UI; refusals are shown over the canvas.
    fn apply_all(&mut self, ctx: &egui::Context, commands: Vec<ModelCommand>, gesture: bool) {
        for cmd in commands {
            if let Err(err) = self.doc.apply(cmd, gesture) {
                self.canvas.notify(ctx, err.to_string());
            }
        }
    }

    fn handle_action(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::New => self.request(Pending::New),
            Action::Open => self.request(Pending::Open(None)),
            Action::Save => {
                self.save(false);
            }
            Action::SaveAs => {
                self.save(true);
            }
            Action::Undo => {
                self.doc.undo();
            }
            Action::Redo => {
                self.doc.redo();
            }
            Action::Delete => {
                let cmd = self.delete_selection();
                self.apply_all(ctx, cmd.into_iter().collect(), false);
            }
            Action::Duplicate => {
                if let Some(text) = self.copy_selection() {
                    self.paste(ctx, &text);
                }
            }
            Action::Rename => self.canvas.start_rename(&self.doc.model),
            Action::SelectAll => {
                self.canvas.selected = self.doc.model.graph.node_indices().collect();
            }
            Action::ZoomToFit => self.canvas.request_fit(),
            Action::Arrange => {
                let cmd = layout::arrange_for(&self.doc.model, self.canvas.last_rect.size());
                self.apply_all(ctx, vec![cmd], false);
                self.canvas.request_fit();
            }
            Action::Run => self.start_run(ctx),
            Action::Predict => self.predict.open(),
            Action::Help => self.show_help = !self.show_help,
            Action::Presentation => self.prefs.presentation = !self.prefs.presentation,
            Action::TogglePalette if self.prefs.presentation => {
                self.prefs.overlays.palette ^= true;
            }
            Action::TogglePalette => self.prefs.show_palette ^= true,
            Action::ToggleInspector if self.prefs.presentation => {
                self.prefs.overlays.inspector ^= true;
            }
            Action::ToggleInspector => self.prefs.show_inspector ^= true,
            Action::ToggleCharts if self.prefs.presentation => {
                self.prefs.overlays.charts ^= true;
            }
            Action::ToggleCharts => self.prefs.show_charts ^= true,
            Action::ToggleRewind if self.prefs.presentation => {
                self.prefs.overlays.rewind ^= true;
            }
            Action::ToggleRewind => self.prefs.show_rewind ^= true,
            Action::ToggleTheme => {
                self.prefs.theme = if ctx.global_style().visuals.dark_mode {
                    ThemeChoice::Light
                } else {
                    ThemeChoice::Dark
                };
            }
            Action::Gallery => self.show_gallery = !self.show_gallery,
            Action::PlayPause => self.live_action(ctx, LiveAction::PlayPause),
            Action::SendOne => self.send_by_hand_key(ctx, false),
            Action::SendBurst => self.send_by_hand_key(ctx, true),
        }
    }

    /// Escape closes what is over the canvas, one thing a press: the
    /// help, then the start page, then Messages. (Dialogs close on it by
    /// themselves, as Cancel.)
    fn escape(&mut self, ctx: &egui::Context) {
        let open =
            self.show_help || self.show_gallery || self.show_lessons || self.live.messages.open;
        if !open || !ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)) {
            return;
        }
        if self.show_help {
            self.show_help = false;
        } else if self.show_gallery {
            self.show_gallery = false;
        } else if self.show_lessons {
            self.show_lessons = false;
        } else {
            self.live.messages.open = false;
        }
    }

    /// Why the model cannot run now, as Play live and the replications
    /// say it; `None` when it can.
    pub fn run_refusal(&self) -> Option<String> {
        self.doc.run_refusal()
    }

    /// Whether replications were started (running, done or failed).
    pub fn has_results(&self) -> bool {
        !matches!(self.run, RunState::Idle)
    }

    /// The report of the last replications, once they finished.
    pub fn replications_report(&self) -> Option<&sim_core::Report> {
        self.run.report()
    }

    /// The Predict, then run window.
    pub fn predict_window(&self) -> &predict::PredictWindow {
        &self.predict
    }

    /// Whether the start page is showing.
    pub fn showing_start_page(&self) -> bool {
        self.show_gallery
    }

    /// Whether the keyboard help is showing.
    pub fn showing_help(&self) -> bool {
        self.show_help
    }

    /// How many examples on the start page have their picture, in the
    /// current theme.
    pub fn start_page_thumbnails(&self, ctx: &egui::Context) -> usize {
        self.gallery
            .thumbnails(ctx.global_style().visuals.dark_mode)
    }

    fn start_run(&mut self, ctx: &egui::Context) {
        if self.run.is_running() {
            return;
        }
        if let Some(why) = self.doc.run_refusal() {
            self.canvas.notify(ctx, why);
            return;
        }
        self.run = RunState::start(&self.doc.model, ctx);
        // NOTE: every run of the replications starts here, from any menu
        // or key: predictions entered before it are locked for it.
        self.predict.run_started(
            &self.doc.model,
            self.doc.run_revision(),
            &mut self.prefs.predict_room,
        );
        self.show_results = true;
        self.live.results_live = false;
    }

    /// Exports the model (or its run's report, or a picture of the canvas
    /// in the current theme) to `path`, in the background.
    pub fn export_to(
        &mut self,
        ctx: &egui::Context,
        target: crate::exports::Target,
        path: PathBuf,
    ) {
        let options = crate::exports::PictureOptions {
            look: if ctx.global_style().visuals.dark_mode {
                crate::picture::Look::Dark
            } else {
                crate::picture::Look::Light
            },
            ..crate::exports::PictureOptions::default()
        };
        self.export = export::ExportState::start(&self.doc.model, target, path, options, ctx);
    }

    /// Whether an export is still being written.
    pub fn is_exporting(&self) -> bool {
        self.export.is_running()
    }

    /// Whether replications started from the window are still running.
    pub fn is_replicating(&self) -> bool {
        self.run.is_running()
    }

    fn poll_export(&mut self, ctx: &egui::Context) {
        match self.export.poll() {
            Some(export::Finished::Written { target, path }) => {
                let what = target.label();
                self.canvas.notify(
                    ctx,
                    format!(
                        "{} written to {}",
                        what.trim_end_matches('…'),
                        path.display()
                    ),
                );
            }
            Some(export::Finished::Failed(message)) => {
                self.error = Some(format!("The export failed: {message}"));
            }
            None => {}
        }
    }

    fn apply_look(&mut self, ctx: &egui::Context) {
        if std::mem::take(&mut self.refit_pending) {
            self.presenting = self.prefs.presentation;
            self.canvas.request_fit();
        }
        let look = (self.prefs.theme, self.prefs.presentation);
        if self.applied_look == Some(look) {
            return;
        }
        match self.applied_look {
            Some((_, was)) if was != self.prefs.presentation => {
                // NOTE: the panels and the text's new size, and with them
                // the canvas's size, take effect on the next frame: fit
                // then. Each presentation starts with the drawing alone.
                self.refit_pending = true;
                self.prefs.overlays = Overlays::default();
            }
            Some(_) => {}
            None => self.presenting = self.prefs.presentation,
        }
        ctx.set_theme(match self.prefs.theme {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        });
        // NOTE: the chrome's text grows, not the zoom factor: a zoom
        // factor would shrink the canvas's room with it.
        presenting::scale_text(ctx, self.prefs.presentation);
        self.canvas.weight = if self.prefs.presentation { 1.8 } else { 1.0 };
        self.canvas.presenting = self.prefs.presentation;
        self.applied_look = Some(look);
    }

    fn autosave(&mut self, ctx: &egui::Context) {
        if self.recovery.is_none() {
            return;
        }
        let now = ctx.input(|i| i.time);
        if now - self.last_autosave < AUTOSAVE_SECS {
            return;
        }
        self.last_autosave = now;
        // NOTE: a failed autosave is not worth interrupting the user for;
        // the next one tries again.
        let _ = self.autosave_now();
    }

    /// Keeps unsaved changes in the recovery file now, if there are any
    /// the file does not hold yet.
    pub fn autosave_now(&mut self) -> Result<()> {
        let Some(recovery) = &self.recovery else {
            return Ok(());
        };
        let revision = self.doc.revision();
        if !self.doc.is_dirty() || self.autosaved_revision == Some(revision) {
            return Ok(());
        }
        recovery.store(&self.doc.model, self.doc.path.as_deref())?;
        self.autosaved_revision = Some(revision);
        Ok(())
    }
}

/// A document for a model just read: positions for nodes without them.
fn document_for(
    mut model: Model,
    path: Option<PathBuf>,
    origin: String,
    diagnostics: Vec<Diagnostic>,
) -> Document {
    if layout::needs_layout(&model) {
        // NOTE: positions are part of the model, but laying out a file
        // that has none is not an edit the user made: no undo step.
        let _ = model.apply(layout::arrange(&model));
    }
    Document::with_diagnostics(model, path, origin, diagnostics)
}

fn example_document(example: Example) -> Document {
    match file::from_str(example.text) {
        Ok((model, diagnostics)) => document_for(
            model,
            None,
            format!("example: {}", example.file),
            diagnostics,
        ),
        Err(err) => Document::new(
            Model::new("Untitled"),
            None,
            format!("example failed to load: {err}"),
        ),
    }
}

impl eframe::App for WeirApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        // In the browser, jobs started last frame run now (on the desktop
        // they have threads of their own and none waits here).
        crate::background::run_queued();
        #[cfg(target_arch = "wasm32")]
        for upload in web::take_uploads() {
            self.take_upload(upload);
        }
        self.apply_look(&ctx);
        self.run.poll();
        self.predict.poll(&self.run);
        self.poll_lesson();
        self.poll_export(&ctx);
        let wall = ctx.input(|i| i.time);
        if std::mem::take(&mut self.live.play_pending) {
            self.live_action(&ctx, LiveAction::PlayPause);
        }
        if let Some(live) = &mut self.live.session {
            live.poll(wall);
        }

        // Closing with unsaved changes asks first.
        if ctx.input(|i| i.viewport().close_requested()) && !self.allow_close {
            if self.doc.is_dirty() {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.confirm = Some(Pending::Quit);
            } else if let Some(r) = &self.recovery {
                r.clear();
            }
        }
        // A file dropped on the window opens. (A browser gives a dropped
        // file's name, not its path: it is read as an upload.)
        #[cfg(target_arch = "wasm32")]
        let dropped: Vec<PathBuf> = {
            web::read_dropped(ctx.input(|i| i.raw.dropped_files.clone()));
            Vec::new()
        };
        #[cfg(not(target_arch = "wasm32"))]
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if let Some(first) = dropped.first() {
            // A model opens; documents of other tools are imported.
            if first.extension().is_some_and(|e| e == "ron") {
                self.request(Pending::Open(Some(first.clone())));
            } else {
                self.request(Pending::Import(dropped));
            }
        }
        let modal_open = self.confirm.is_some() || !self.recovery_offers.is_empty();
        if !modal_open && self.error.is_none() {
            self.escape(&ctx);
        }
        if !modal_open {
            for action in shortcuts::pressed(&ctx) {
                self.handle_action(&ctx, action);
            }
            self.clipboard_events(&ctx);
        }
        self.canvas.snap = self.prefs.snap;
        self.canvas.prune(&self.doc.model);

        let mut menu_actions = Vec::new();
        // NOTE: presentation mode gives the canvas the room: the menus
        // share their row with the presenting controls, there is no
        // toolbar, the palette and inspector float over the canvas when
        // asked for, and an empty problems list says nothing.
        let presenting = self.presenting;
        egui::Panel::top("menu").show(ui, |ui| {
            if presenting {
                // NOTE: the menu bar takes the whole width it is given:
                // the presenting controls go first, from the right.
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    self.presenting_bar_ui(ui);
                    menu_actions = menus::menu_bar_ui(
                        ui,
                        &mut self.prefs,
                        &self.doc,
                        self.export.is_running(),
                    );
                });
            } else {
                menu_actions =
                    menus::menu_bar_ui(ui, &mut self.prefs, &self.doc, self.export.is_running());
            }
        });
        if self.show_results
            && !modal_open
            && !ctx.egui_wants_keyboard_input()
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
        {
            self.show_results = false;
        }
        // The Results panel marks its report's bottleneck on the canvas
        // while it shows one.
        self.canvas.marked = None;
        if self.show_results {
            egui::Panel::bottom("results")
                .resizable(true)
                .default_size(250.0)
                .min_size(120.0)
                .max_size((ui.available_height() * 0.6).max(120.0))
                .show(ui, |ui| {
                    menu_actions.extend(self.results_panel_ui(ui));
                });
        }
        if !presenting {
            egui::Panel::top("toolbar").show(ui, |ui| {
                ui.add_space(4.0);
                let status = ToolbarStatus {
                    running: self.run.is_running(),
                    exporting: self.export.is_running(),
                    zoom: self.canvas.zoom,
                };
                menu_actions.extend(menus::toolbar_ui(ui, &self.doc, status));
                ui.add_space(2.0);
                ui.separator();
                self.run_controls_ui(ui);
                ui.add_space(4.0);
            });
        }
        self.live_objectives(ui);

        let mut commands = Vec::new();
        if self.prefs.show_palette && !presenting {
            egui::Panel::left("palette")
                .resizable(false)
                .exact_size(176.0)
                .show(ui, |ui| {
                    if let Some(kind) = palette::palette_ui(ui) {
                        let ctx = ui.ctx().clone();
                        commands.extend(self.canvas.place(&ctx, &self.doc.model, kind, None));
                    }
                });
        }
        let subject = match (self.canvas.selected.len(), self.canvas.selected_edge) {
            (1, _) => self
                .canvas
                .selected
                .first()
                .map_or(Subject::Model, |&n| Subject::Node(n)),
            (0, Some(e)) => Subject::Edge(e),
            _ => Subject::Model,
        };
        let mut lesson_actions = if presenting {
            Vec::new()
        } else {
            self.lesson_panel(ui)
        };
        if self.prefs.show_inspector && !presenting {
            egui::Panel::right("inspector")
                .resizable(true)
                .default_size(340.0)
                .min_size(260.0)
                .show(ui, |ui| {
                    let (fault, edits) = self.inspector_contents(ui, subject);
                    menu_actions.extend(fault.map(MenuAction::Fault));
                    commands.extend(edits);
                });
        }
        // NOTE: an empty model has nothing to list; the canvas and the
        // inspector say how to start.
        let empty = self.doc.model.graph.node_count() == 0;
        if self.prefs.show_problems && !empty && (!presenting || !self.doc.diagnostics().is_empty())
        {
            let mut action = None;
            egui::Panel::bottom("problems")
                .resizable(true)
                .default_size(120.0)
                .min_size(60.0)
                .show(ui, |ui| {
                    ui.add_space(4.0);
                    action = problems_ui(ui, self.doc.diagnostics());
                });
            match action {
                Some(ProblemAction::ShowNode(id)) => {
                    if let Some(n) = self.doc.model.find(&id) {
                        self.canvas.focus_node(&self.doc.model, n);
                    }
                }
                Some(ProblemAction::ShowEdge(id)) => {
                    let model = &self.doc.model;
                    if let Some(e) = model.graph.edge_indices().find(|&e| model.edge_id(e) == id) {
                        if let Some((a, _)) = model.graph.edge_endpoints(e) {
                            self.canvas.focus_node(model, a);
                        }
                        self.canvas.selected.clear();
                        self.canvas.selected_edge = Some(e);
                    }
                }
                Some(ProblemAction::ShowScenario) => {
                    self.canvas.selected.clear();
                    self.canvas.selected_edge = None;
                }
                None => {}
            }
        }
        let charts = if presenting {
            self.prefs.overlays.charts
        } else {
            self.prefs.show_charts
        };
        if self.live.session.is_some() && charts {
            // NOTE: at most 40% of the height left, so the canvas keeps
            // the most of a small window or of presentation mode.
            let room = ui.available_height();
            // Each mode keeps its own height.
            let id = if presenting {
                "charts-presenting"
            } else {
                "charts"
            };
            egui::Panel::bottom(id)
                .resizable(true)
                .default_size(if presenting { 250.0 } else { 260.0 })
                .min_size(140.0)
                .max_size((room * 0.4).max(140.0))
                .show(ui, |ui| {
                    // NOTE: a panel shrinks to what it holds; without this
                    // the hint shown while nothing is selected would leave
                    // the charts no room once something is.
                    ui.take_available_space();
                    ui.add_space(4.0);
                    self.live_charts_ui(ui);
                });
        }
        let mut gesture = false;
        let dark = ctx.global_style().visuals.dark_mode;
        // NOTE: only while it shows: a canvas framed with the room kept
        // all the time would show a cramped drawing smaller for nothing.
        // Fit frames again when the bar comes (if the view is as Fit
        // left it).
        self.canvas.foot = if self.rewind_shown() {
            timeline::FOOT
        } else {
            0.0
        };
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                let mut overlay = self.live.session.as_mut().map(|l| l.overlay(dark));
                self.canvas.revision = Some(self.doc.run_revision());
                let out = canvas_ui(
                    ui,
                    &self.doc.model,
                    self.doc.diagnostics(),
                    &mut self.canvas,
                    overlay.as_mut().map(|o| o as &mut dyn canvas::Overlay),
                );
                commands.extend(out.commands);
                gesture = out.gesture;
            });
        if presenting {
            let (more_commands, faults) = self.overlays_ui(&ctx, subject);
            commands.extend(more_commands);
            menu_actions.extend(faults.map(MenuAction::Fault));
        }
        if self.rewind_shown() {
            self.timeline_overlay(&ctx);
        }
        self.click_message(&ctx);
        self.live_legend(&ctx);
        if let Some(variant) = self.inspector.compare.take() {
            self.comparison
                .open_on(&self.doc.model, Some(comparison::Side::Variant(variant)));
        }
        let start = self.doc.path.clone();
        self.comparison.ui(&ctx, &self.doc.model, &|| {
            files::pick_open(start.as_deref())
        });
        commands.extend(self.whatif.ui(&ctx, &self.doc.model));
        let predicted = self.predict.ui(
            &ctx,
            &self.doc.model,
            self.doc.run_revision(),
            &self.run,
            &self.prefs.predict_room,
        );
        if let Some(predict::PredictAction::Run) = predicted {
            self.start_run(&ctx);
        }
        lesson_actions.extend(self.lessons_window(&ctx));
        for action in lesson_actions {
            self.lesson_action(&ctx, action);
        }
        self.recording.poll();
        if self.recording.open {
            let file_name = self.doc.path.as_deref().map_or_else(
                || format!("{}.ron", files::file_stem(&self.doc.model.name)),
                |p| p.display().to_string(),
            );
            let look = comparison::look_of(&ctx.global_style().visuals);
            let live = self.live.session.as_ref();
            self.recording
                .ui(&ctx, &self.doc.model, live, &file_name, look);
        }
        commands.extend(self.planner.ui(&ctx, &self.doc.model));

        // Edits apply once, after drawing. While the pointer is down or a
        // field has the keyboard, they join one undo step.
        let interacting =
            gesture || ctx.input(|i| i.pointer.any_down()) || ctx.egui_wants_keyboard_input();
        self.apply_all(&ctx, commands, interacting);
        if !interacting {
            self.doc.end_gesture();
        }
        for action in menu_actions {
            self.apply_menu_action(&ctx, action);
        }
        if let Some(live) = &mut self.live.session {
            // Parameter edits apply live; structural ones restart the run.
            // An invalid edit pauses a playing run, and undoing or fixing
            // it plays on.
            if let Some(why) = self.doc.run_refusal() {
                if live.playing() {
                    live.send(Command::Pause);
                    self.resume_after_fix = true;
                    self.canvas.notify(&ctx, format!("Paused. {why}"));
                }
            } else {
                live.sync(&self.doc.model, self.doc.run_revision(), wall);
                if std::mem::take(&mut self.resume_after_fix) {
                    live.send(Command::Play);
                }
            }
            if let Some((text, until)) = live.notice.take()
                && wall < until
            {
                self.canvas.notify(&ctx, text);
            }
            session::keep_painting(&ctx, live);
        }

        // What the dialogs and windows over the canvas asked for applies
        // once they are drawn, as the panels' and menus' did above.
        for action in self.dialogs_ui(&ctx) {
            self.apply_menu_action(&ctx, action);
        }

        let title = self.title();
        if title != self.title_sent {
            #[cfg(target_arch = "wasm32")]
            web::set_page_title(&title);
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title_sent = title;
        }
        if crate::background::any_queued() {
            ctx.request_repaint();
        }
        self.autosave(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }
}

/// egui's fonts, with its monospace face behind the proportional one: the
/// proportional face has no arrows (→, ←, ↑, ↓), which model descriptions,
/// chart titles and reports use.
/// The window installs them before its first frame.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    if let Some(family) = fonts.families.get_mut(&egui::FontFamily::Proportional) {
        family.push("Hack".to_owned());
    }
    ctx.set_fonts(fonts);
}
