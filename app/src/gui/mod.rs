//! The desktop window: the designer.
//!
//! One file per feature: the canvas ([`canvas`]), the palette, the
//! inspector, the problems list, files and recovery, the gallery, the
//! keyboard shortcuts, auto-layout. Each draws and returns what the user
//! asked for; [`WeirApp`] applies those edits to the [`Document`] once per
//! frame, after drawing, so nothing else mutates the model.
//!
//! State is split three ways: the document (the model, saved to `.ron`),
//! [`Prefs`] (panels, theme, recent files — remembered by eframe between
//! runs, never in the model file) and runtime state (selection, zoom, the
//! gesture in progress, dialogs).

pub mod canvas;
pub mod charts;
pub mod document;
pub mod export;
pub mod files;
pub mod gallery;
pub mod inspector;
pub mod journeys;
pub mod kinds;
pub mod layout;
pub mod live;
mod live_ui;
pub mod palette;
pub mod problems;
pub mod run;
pub mod session;
pub mod shortcuts;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use eframe::egui::{self, RichText};
use serde::{Deserialize, Serialize};
use sim_core::Model;
use sim_core::model::{ModelCommand, file};
use sim_core::validate::Diagnostic;

use crate::examples::{Example, default_example};
use canvas::{CanvasState, canvas_ui};
use charts::{ChartSubject, ChartsState, charts_ui};
use document::Document;
use files::Recovery;
use gallery::{GalleryChoice, gallery_ui};
use inspector::{InspectorState, Subject, inspector_ui};
use live::{Command, Speed};
use problems::{ProblemAction, problems_ui};
use run::RunState;
use session::LiveSession;
use shortcuts::Action;
use sim_core::faults::{Effect, Fault};
use sim_core::time::Duration;

/// Opens the window on `path`, or on the start screen; `play` starts the
/// live simulation at once.
pub fn open(path: Option<&Path>, play: bool) -> Result<()> {
    let path = path.map(Path::to_path_buf);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Weir")
            .with_app_id("weir")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0])
            .with_drag_and_drop(true),
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
    .map_err(|e| anyhow!("cannot open the window: {e}"))
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
    pub presentation: bool,
    pub show_palette: bool,
    pub show_inspector: bool,
    pub show_problems: bool,
    pub snap: bool,
    pub recent: Vec<PathBuf>,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            theme: ThemeChoice::System,
            presentation: false,
            show_palette: true,
            show_inspector: true,
            show_problems: true,
            snap: true,
            recent: Vec::new(),
        }
    }
}

const MAX_RECENT: usize = 10;
const AUTOSAVE_SECS: f64 = 15.0;

/// Something that would discard unsaved changes, waiting for an answer.
#[derive(Clone, Debug)]
enum Pending {
    New,
    /// `None`: ask with the open dialog.
    Open(Option<PathBuf>),
    Example(Example),
    Quit,
}

/// The application.
pub struct WeirApp {
    doc: Document,
    prefs: Prefs,
    canvas: CanvasState,
    inspector: InspectorState,
    run: RunState,
    /// File → Export writing in the background.
    export: export::ExportState,
    show_results: bool,
    show_help: bool,
    show_gallery: bool,
    /// A question about unsaved changes.
    confirm: Option<Pending>,
    /// An error to show in a dialog.
    error: Option<String>,
    recovery: Option<Recovery>,
    /// Unsaved work found from a session that did not close cleanly.
    recovery_offer: Option<(Model, Option<PathBuf>)>,
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
    /// The live simulation, while there is one.
    live: Option<LiveSession>,
    /// Start the live simulation on the first frame.
    play_pending: bool,
    /// The seed and speed the next live run starts with.
    live_seed: Option<u64>,
    live_speed: Speed,
    charts: ChartsState,
    fault_form: FaultForm,
    /// When the results window last asked the live run for its report.
    results_asked: f64,
    /// The results window shows the live run (else the replications).
    results_live: bool,
    /// The message inspector.
    messages: journeys::MessagesView,
}

/// The fault buttons' settings.
#[derive(Clone, Copy, Debug)]
struct FaultForm {
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
        let mut app = Self::with_document(example_document(default_example()), prefs);
        app.recovery = Recovery::in_data_dir();
        app.recovery_offer = app.recovery.as_ref().and_then(Recovery::pending);
        match path {
            Some(path) => app.open_path(path),
            None => app.show_gallery = app.recovery_offer.is_none(),
        }
        app
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
            export: export::ExportState::Idle,
            show_results: false,
            show_help: false,
            show_gallery: false,
            confirm: None,
            error: None,
            recovery: None,
            recovery_offer: None,
            last_autosave: 0.0,
            autosaved_revision: None,
            allow_close: false,
            title_sent: String::new(),
            applied_look: None,
            refit_pending: false,
            presenting: false,
            clipboard: None,
            live: None,
            play_pending: false,
            live_seed: None,
            live_speed: Speed::Times(1.0),
            charts: ChartsState::default(),
            fault_form: FaultForm::default(),
            results_asked: f64::NEG_INFINITY,
            results_live: false,
            messages: journeys::MessagesView::default(),
        }
    }

    /// Starts the live simulation on the first frame (`weir FILE --play`).
    pub fn play_on_start(&mut self) {
        self.play_pending = true;
    }

    /// Applies an edit as the inspector or canvas would (one undo step).
    pub fn apply_edit(&mut self, cmd: ModelCommand) -> Result<(), String> {
        self.doc.apply(cmd, false).map_err(|e| e.to_string())
    }

    /// The live simulation, if one is open.
    pub fn live(&self) -> Option<&LiveSession> {
        self.live.as_ref()
    }

    /// Drives the run controls as the toolbar does.
    pub fn live_action(&mut self, ctx: &egui::Context, action: LiveAction) {
        if action == LiveAction::Stop {
            self.live = None;
            return;
        }
        if !self.ensure_live(ctx) {
            return;
        }
        let Some(live) = &mut self.live else { return };
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
                let seed = self.live_seed.unwrap_or(self.doc.model.scenario.seed);
                live.reset(seed);
            }
            LiveAction::RunToEnd => live.send(Command::RunToEnd),
            LiveAction::Stop => {}
        }
        ctx.request_repaint();
    }

    /// Opens a live session if there is none; false if the model cannot run.
    fn ensure_live(&mut self, ctx: &egui::Context) -> bool {
        if self.live.is_some() {
            return true;
        }
        if self.doc.diagnostics().iter().any(Diagnostic::is_error) {
            self.canvas.notify(
                ctx,
                "The model has errors; fix the problems listed below to run it.",
            );
            return false;
        }
        let seed = *self.live_seed.get_or_insert(self.doc.model.scenario.seed);
        let repaint_ctx = ctx.clone();
        match LiveSession::start(
            &self.doc.model,
            seed,
            Box::new(move || repaint_ctx.request_repaint()),
        ) {
            Ok(mut live) => {
                live.set_speed(self.live_speed);
                self.live = Some(live);
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

    /// Where a node's card is on screen (after the last frame).
    pub fn node_screen_rect(&self, id: &str) -> Option<egui::Rect> {
        let n = self.doc.model.find(id)?;
        Some(self.canvas.screen_rect_of(&self.doc.model.graph[n]))
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

    /// Opens a bundled example as a new, unsaved document.
    pub fn open_example(&mut self, example: Example) {
        self.set_document(example_document(example));
    }

    fn set_document(&mut self, doc: Document) {
        self.doc = doc;
        self.canvas.selected.clear();
        self.canvas.selected_edge = None;
        self.canvas.request_fit();
        self.inspector = InspectorState::default();
        self.run = RunState::Idle;
        self.live = None;
        self.live_seed = None;
        self.charts = ChartsState::default();
        self.show_results = false;
        self.show_gallery = false;
        if let Some(r) = &self.recovery {
            r.clear();
        }
        self.autosaved_revision = None;
    }

    fn remember_recent(&mut self, path: &Path) {
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

    /// Asks before discarding unsaved changes.
    fn request(&mut self, action: Pending) {
        if self.doc.is_dirty() {
            self.confirm = Some(action);
        } else {
            self.perform(action);
        }
    }

    fn perform(&mut self, action: Pending) {
        match action {
            Pending::New => {
                self.set_document(Document::new(
                    Model::new("Untitled"),
                    None,
                    "new model".into(),
                ));
            }
            Pending::Open(Some(path)) => self.open_path(&path),
            Pending::Open(None) => {
                if let Some(path) = files::pick_open(self.doc.path.as_deref()) {
                    self.open_path(&path);
                }
            }
            Pending::Example(example) => self.open_example(example),
            Pending::Quit => {
                self.allow_close = true;
                if let Some(r) = &self.recovery {
                    r.clear();
                }
            }
        }
    }

    /// Saves to the document's file, or asks where; true if saved.
    fn save(&mut self, save_as: bool) -> bool {
        let path = match (&self.doc.path, save_as) {
            (Some(p), false) => Some(p.clone()),
            _ => files::pick_save(self.doc.path.as_deref(), &self.doc.model.name),
        };
        let Some(path) = path else {
            return false;
        };
        match self.save_to(&path) {
            Ok(()) => true,
            Err(err) => {
                self.error = Some(format!("{err:#}"));
                false
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
                let cmd = layout::arrange(&self.doc.model);
                self.apply_all(ctx, vec![cmd], false);
                self.canvas.request_fit();
            }
            Action::Run => self.start_run(ctx),
            Action::Help => self.show_help = !self.show_help,
            Action::Presentation => self.prefs.presentation = !self.prefs.presentation,
            Action::ToggleTheme => {
                self.prefs.theme = if ctx.global_style().visuals.dark_mode {
                    ThemeChoice::Light
                } else {
                    ThemeChoice::Dark
                };
            }
            Action::Gallery => self.show_gallery = !self.show_gallery,
            Action::PlayPause => self.live_action(ctx, LiveAction::PlayPause),
        }
    }

    fn start_run(&mut self, ctx: &egui::Context) {
        if self.run.is_running() {
            return;
        }
        if self.doc.diagnostics().iter().any(Diagnostic::is_error) {
            self.canvas.notify(
                ctx,
                "The model has errors; fix the problems listed below to run it.",
            );
            return;
        }
        self.run = RunState::start(&self.doc.model, ctx);
        self.show_results = true;
        self.results_live = false;
    }

    /// The command that deletes the selected nodes (with their edges) or
    /// the selected edge.
    fn delete_selection(&mut self) -> Option<ModelCommand> {
        let graph = &self.doc.model.graph;
        let mut cmds: Vec<ModelCommand> = self
            .canvas
            .selected
            .iter()
            .filter_map(|&n| graph.node_weight(n))
            .map(|node| ModelCommand::RemoveNode {
                id: node.id.clone(),
            })
            .collect();
        if let Some(e) = self.canvas.selected_edge
            && let Some((a, b)) = graph.edge_endpoints(e)
        {
            cmds.push(ModelCommand::Disconnect {
                from: graph[a].id.clone(),
                to: graph[b].id.clone(),
            });
        }
        self.canvas.selected.clear();
        self.canvas.selected_edge = None;
        (!cmds.is_empty()).then_some(ModelCommand::Batch(cmds))
    }

    /// The selected nodes and the edges between them, as model-file text.
    fn copy_selection(&mut self) -> Option<String> {
        if self.canvas.selected.is_empty() {
            return None;
        }
        let graph = &self.doc.model.graph;
        let mut part = Model::new("clipboard");
        let mut map = std::collections::BTreeMap::new();
        for &n in &self.canvas.selected {
            if let Some(node) = graph.node_weight(n) {
                map.insert(n, part.add_node(node.clone()));
            }
        }
        for e in graph.edge_indices() {
            if let Some((a, b)) = graph.edge_endpoints(e)
                && let (Some(&pa), Some(&pb)) = (map.get(&a), map.get(&b))
            {
                part.add_edge(pa, pb, graph[e].clone());
            }
        }
        let text = file::to_string(&part);
        self.clipboard = Some(text.clone());
        Some(text)
    }

    /// Adds the nodes and edges of a model-file text, with fresh ids,
    /// shifted so they do not cover the originals; selects them.
    fn paste(&mut self, ctx: &egui::Context, text: &str) {
        let Ok((part, _)) = file::from_str(text) else {
            return;
        };
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut ids = std::collections::BTreeMap::new();
        let mut cmds = Vec::new();
        for n in part.graph.node_indices() {
            let mut node = part.graph[n].clone();
            let mut id = node.id.clone();
            let mut i = 2;
            while self.doc.model.find(&id).is_some() || taken.contains(&id) {
                id = format!("{}-{i}", node.id);
                i += 1;
            }
            taken.insert(id.clone());
            ids.insert(n, id.clone());
            node.id = id;
            node.pos = node
                .pos
                .map(|p| [p[0] + 2.0 * canvas::GRID, p[1] + 2.0 * canvas::GRID]);
            cmds.push(ModelCommand::AddNode(node));
        }
        for e in part.graph.edge_indices() {
            if let Some((a, b)) = part.graph.edge_endpoints(e) {
                cmds.push(ModelCommand::Connect {
                    from: ids[&a].clone(),
                    to: ids[&b].clone(),
                    edge: part.graph[e].clone(),
                });
            }
        }
        if cmds.is_empty() {
            return;
        }
        match self.doc.apply(ModelCommand::Batch(cmds), false) {
            Ok(()) => {
                self.canvas.selected = taken
                    .iter()
                    .filter_map(|id| self.doc.model.find(id))
                    .collect();
                self.canvas.selected_edge = None;
            }
            Err(err) => self.canvas.notify(ctx, format!("cannot paste: {err}")),
        }
    }

    /// Copy, cut and paste arrive as events (egui reads the platform's
    /// shortcuts); they apply to nodes unless a text field has the keyboard.
    fn clipboard_events(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let events: Vec<egui::Event> = ctx.input(|i| i.events.clone());
        for event in events {
            match event {
                egui::Event::Copy => {
                    if let Some(text) = self.copy_selection() {
                        ctx.copy_text(text);
                    }
                }
                egui::Event::Cut => {
                    if let Some(text) = self.copy_selection() {
                        ctx.copy_text(text);
                        let cmd = self.delete_selection();
                        self.apply_all(ctx, cmd.into_iter().collect(), false);
                    }
                }
                egui::Event::Paste(text) => self.paste(ctx, &text),
                _ => {}
            }
        }
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

    fn menu_bar_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
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
                        actions.push(action);
                    }
                }
                ui.menu_button("Open recent", |ui| {
                    if self.prefs.recent.is_empty() {
                        ui.label(RichText::new("nothing yet").weak());
                    }
                    for path in self.prefs.recent.clone() {
                        if ui.button(path.display().to_string()).clicked() {
                            self.request(Pending::Open(Some(path)));
                        }
                    }
                });
                ui.menu_button("Export", |ui| {
                    let busy = self.export.is_running();
                    for target in crate::exports::Target::all() {
                        let button = ui.add_enabled(!busy, egui::Button::new(target.label()));
                        let button = if target.needs_run() {
                            button.on_hover_text("Runs the scenario first")
                        } else {
                            button
                        };
                        if button.clicked() {
                            let start = self.doc.path.as_deref();
                            if let Some(path) =
                                export::pick_export(start, &self.doc.model.name, target)
                            {
                                self.export_to(&ctx, target, path);
                            }
                        }
                    }
                });
                ui.separator();
                if ui.button("Quit").clicked() {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Edit", |ui| {
                if ui
                    .add_enabled(self.doc.can_undo(), egui::Button::new("Undo"))
                    .clicked()
                {
                    actions.push(Action::Undo);
                }
                if ui
                    .add_enabled(self.doc.can_redo(), egui::Button::new("Redo"))
                    .clicked()
                {
                    actions.push(Action::Redo);
                }
                ui.separator();
                for (label, action) in [
                    ("Duplicate", Action::Duplicate),
                    ("Delete", Action::Delete),
                    ("Select all", Action::SelectAll),
                ] {
                    if ui.button(label).clicked() {
                        actions.push(action);
                    }
                }
            });
            ui.menu_button("View", |ui| {
                let presenting = self.prefs.presentation;
                ui.add_enabled(
                    !presenting,
                    egui::Checkbox::new(&mut self.prefs.show_palette, "Palette"),
                )
                .on_disabled_hover_text("Hidden in presentation mode");
                ui.checkbox(&mut self.prefs.show_inspector, "Inspector");
                ui.add_enabled(
                    !presenting,
                    egui::Checkbox::new(&mut self.prefs.show_problems, "Problems"),
                )
                .on_disabled_hover_text("In presentation mode, shown only when there are problems");
                ui.checkbox(&mut self.prefs.snap, "Snap to grid");
                ui.separator();
                if ui.button("Zoom to fit").clicked() {
                    actions.push(Action::ZoomToFit);
                }
                if ui.button("Arrange left to right").clicked() {
                    actions.push(Action::Arrange);
                }
                ui.separator();
                ui.label("Theme");
                ui.radio_value(&mut self.prefs.theme, ThemeChoice::System, "System");
                ui.radio_value(&mut self.prefs.theme, ThemeChoice::Light, "Light");
                ui.radio_value(&mut self.prefs.theme, ThemeChoice::Dark, "Dark");
                ui.checkbox(&mut self.prefs.presentation, "Presentation mode");
            });
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard shortcuts").clicked() {
                    actions.push(Action::Help);
                }
            });
        });
        for action in actions {
            self.handle_action(&ctx, action);
        }
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let mut actions = Vec::new();
        ui.horizontal(|ui| {
            ui.label(RichText::new(&self.doc.model.name).strong().size(16.0));
            ui.label(RichText::new(&self.doc.origin).weak());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let running = self.run.is_running();
                let run = ui
                    .add_enabled(!running, egui::Button::new("Run"))
                    .on_hover_text(format!(
                        "Run the scenario: {} × {}",
                        self.doc.model.scenario.replications, self.doc.model.scenario.duration
                    ));
                if run.clicked() {
                    actions.push(Action::Run);
                }
                if running || self.export.is_running() {
                    ui.spinner();
                }
                ui.separator();
                if ui
                    .button("Arrange")
                    .on_hover_text("Lay out left to right")
                    .clicked()
                {
                    actions.push(Action::Arrange);
                }
                if ui.button("Fit").on_hover_text("Zoom to fit (F)").clicked() {
                    actions.push(Action::ZoomToFit);
                }
                ui.label(RichText::new(format!("{:.0}%", self.canvas.zoom * 100.0)).weak());
                ui.separator();
                if ui
                    .add_enabled(self.doc.can_redo(), egui::Button::new("Redo"))
                    .clicked()
                {
                    actions.push(Action::Redo);
                }
                if ui
                    .add_enabled(self.doc.can_undo(), egui::Button::new("Undo"))
                    .clicked()
                {
                    actions.push(Action::Undo);
                }
            });
        });
        for action in actions {
            self.handle_action(&ctx, action);
        }
    }

    fn dialogs_ui(&mut self, ctx: &egui::Context) {
        if let Some(pending) = self.confirm.clone() {
            let modal = egui::Modal::new(egui::Id::unique("confirm")).show(ctx, |ui| {
                ui.set_max_width(380.0);
                ui.heading("Unsaved changes");
                ui.label(format!(
                    "Save the changes to “{}” first?",
                    self.doc.display_name()
                ));
                ui.add_space(8.0);
                let mut answer = None;
                ui.horizontal(|ui| {
                    if ui.button("Save").clicked() {
                        answer = Some(true);
                    }
                    if ui.button("Don't save").clicked() {
                        answer = Some(false);
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm = None;
                    }
                });
                answer
            });
            if modal.should_close() {
                self.confirm = None;
            }
            let go_ahead = match modal.inner {
                Some(true) => self.save(false),
                Some(false) => true,
                None => false,
            };
            if go_ahead {
                self.confirm = None;
                let quit = matches!(pending, Pending::Quit);
                self.perform(pending);
                if quit {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
        if let Some((model, origin)) = &self.recovery_offer {
            let mut answer = None;
            egui::Modal::new(egui::Id::unique("recovery")).show(ctx, |ui| {
                ui.set_max_width(420.0);
                ui.heading("Restore unsaved work?");
                ui.label(format!(
                    "Weir did not close cleanly last time. Unsaved changes to “{}”{} were kept.",
                    model.name,
                    origin
                        .as_ref()
                        .map(|p| format!(" ({})", p.display()))
                        .unwrap_or_default()
                ));
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Restore").clicked() {
                        answer = Some(true);
                    }
                    if ui.button("Discard").clicked() {
                        answer = Some(false);
                    }
                });
            });
            match answer {
                Some(true) => {
                    let mut doc =
                        Document::new(model.clone(), None, "restored after a crash".to_owned());
                    doc.path.clone_from(origin);
                    doc.mark_unsaved();
                    self.set_document(doc);
                    self.recovery_offer = None;
                }
                Some(false) => {
                    if let Some(r) = &self.recovery {
                        r.clear();
                    }
                    self.recovery_offer = None;
                    self.show_gallery = self.doc.path.is_none();
                }
                None => {}
            }
        }
        if let Some(message) = self.error.clone() {
            let modal = egui::Modal::new(egui::Id::unique("error")).show(ctx, |ui| {
                ui.set_max_width(460.0);
                ui.heading("Something went wrong");
                ui.label(message);
                ui.add_space(8.0);
                ui.button("OK").clicked()
            });
            if modal.inner || modal.should_close() {
                self.error = None;
            }
        }
        if self.show_help {
            egui::Window::new("Keyboard shortcuts")
                .open(&mut self.show_help)
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
                .show(ctx, shortcuts::help_ui);
        }
        if self.show_gallery {
            let mut open = true;
            let mut choice = None;
            egui::Window::new("Welcome to Weir")
                .open(&mut open)
                .collapsible(false)
                .default_width(560.0)
                .max_height(ctx.content_rect().height() * 0.8)
                .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
                .show(ctx, |ui| choice = gallery_ui(ui, &self.prefs.recent));
            self.show_gallery = open;
            match choice {
                Some(GalleryChoice::Example(example)) => self.request(Pending::Example(example)),
                Some(GalleryChoice::Recent(path)) => self.request(Pending::Open(Some(path))),
                Some(GalleryChoice::New) => self.request(Pending::New),
                Some(GalleryChoice::Open) => self.request(Pending::Open(None)),
                None => {}
            }
        }
        if self.show_results {
            let mut open = true;
            let live = self.live.is_some() && self.results_live;
            egui::Window::new("Results")
                .open(&mut open)
                .default_size([1040.0, 420.0])
                .show(ctx, |ui| {
                    if live {
                        self.live_results_ui(ui);
                    } else {
                        self.run.results_ui(ui);
                    }
                });
            self.show_results = open;
        }
        self.messages_window(ctx);
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
                // NOTE: the new zoom factor, and with it the canvas's size
                // in points, take effect on the next frame: fit then.
                self.refit_pending = true;
            }
            Some(_) => {}
            None => self.presenting = self.prefs.presentation,
        }
        ctx.set_theme(match self.prefs.theme {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        });
        ctx.set_zoom_factor(if self.prefs.presentation { 1.5 } else { 1.0 });
        self.canvas.weight = if self.prefs.presentation { 1.8 } else { 1.0 };
        self.applied_look = Some(look);
    }

    fn autosave(&mut self, ctx: &egui::Context) {
        let Some(recovery) = &self.recovery else {
            return;
        };
        let now = ctx.input(|i| i.time);
        if now - self.last_autosave < AUTOSAVE_SECS {
            return;
        }
        self.last_autosave = now;
        let revision = self.doc.revision();
        if !self.doc.is_dirty() || self.autosaved_revision == Some(revision) {
            return;
        }
        // NOTE: a failed autosave is not worth interrupting the user for;
        // the next one tries again.
        if recovery
            .store(&self.doc.model, self.doc.path.as_deref())
            .is_ok()
        {
            self.autosaved_revision = Some(revision);
        }
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
        self.apply_look(&ctx);
        self.run.poll();
        self.poll_export(&ctx);
        let wall = ctx.input(|i| i.time);
        if std::mem::take(&mut self.play_pending) {
            self.live_action(&ctx, LiveAction::PlayPause);
        }
        if let Some(live) = &mut self.live {
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
        // A file dropped on the window opens.
        let dropped = ctx.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
        if let Some(path) = dropped {
            self.request(Pending::Open(Some(path)));
        }
        let modal_open = self.confirm.is_some() || self.recovery_offer.is_some();
        if !modal_open {
            for action in shortcuts::pressed(&ctx) {
                self.handle_action(&ctx, action);
            }
            self.clipboard_events(&ctx);
        }
        self.canvas.snap = self.prefs.snap;
        self.canvas.prune(&self.doc.model);

        egui::Panel::top("menu").show(ui, |ui| self.menu_bar_ui(ui));
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(4.0);
            self.toolbar_ui(ui);
            ui.add_space(2.0);
            ui.separator();
            self.run_controls_ui(ui);
            ui.add_space(4.0);
        });

        let mut commands = Vec::new();
        // NOTE: presentation mode gives the canvas the room: nothing is
        // added while presenting, and an empty problems list says nothing.
        let presenting = self.presenting;
        if self.prefs.show_palette && !presenting {
            egui::Panel::left("palette")
                .resizable(false)
                .exact_size(176.0)
                .show(ui, |ui| {
                    if let Some(kind) = palette::palette_ui(ui) {
                        let at = self.canvas.free_spot(&self.doc.model);
                        commands.push(canvas::new_node(&self.doc.model, kind, at));
                    }
                });
        }
        if self.prefs.show_inspector {
            let subject = match (self.canvas.selected.len(), self.canvas.selected_edge) {
                (1, _) => self
                    .canvas
                    .selected
                    .first()
                    .map_or(Subject::Model, |&n| Subject::Node(n)),
                (0, Some(e)) => Subject::Edge(e),
                _ => Subject::Model,
            };
            egui::Panel::right("inspector")
                .resizable(true)
                .default_size(340.0)
                .min_size(260.0)
                .show(ui, |ui| {
                    self.live_node_ui(ui);
                    commands.extend(inspector_ui(
                        ui,
                        &self.doc.model,
                        subject,
                        self.doc.diagnostics(),
                        &mut self.inspector,
                    ));
                });
        }
        if self.prefs.show_problems && (!presenting || !self.doc.diagnostics().is_empty()) {
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
        if self.live.is_some() {
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
                .default_size(260.0)
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
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                let mut overlay = self.live.as_mut().map(|l| l.overlay(dark, wall));
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
        self.click_message(&ctx);

        // Edits apply once, after drawing. While the pointer is down or a
        // field has the keyboard, they join one undo step.
        let interacting =
            gesture || ctx.input(|i| i.pointer.any_down()) || ctx.egui_wants_keyboard_input();
        self.apply_all(&ctx, commands, interacting);
        if !interacting {
            self.doc.end_gesture();
        }
        if let Some(live) = &mut self.live {
            // Parameter edits apply live; structural ones restart the run.
            if self.doc.diagnostics().iter().any(Diagnostic::is_error) {
                if live.playing() {
                    live.send(Command::Pause);
                    self.canvas
                        .notify(&ctx, "The model has errors: the live run is paused");
                }
            } else {
                live.sync(&self.doc.model, wall);
            }
            if let Some((text, until)) = live.notice.take()
                && wall < until
            {
                self.canvas.notify(&ctx, text);
            }
            session::keep_painting(&ctx, live);
        }

        self.dialogs_ui(&ctx);

        let title = self.title();
        if title != self.title_sent {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title_sent = title;
        }
        self.autosave(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }
}
