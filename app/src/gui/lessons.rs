//! Lessons in the window: the Lessons list (pick one) and the lesson
//! panel beside the canvas (its story, its goals ticked by the last
//! check, hints unlocked one at a time by checks that miss a goal,
//! things to try, and the solution's verdicts beside the learner's).
//!
//! A check runs the learner's design held to the lesson's goals
//! (`sim_core::lesson`) over the scenario's replications, on a thread of
//! its own like Run N replications; the solution runs the same way on the
//! same seeds. Progress (checks, misses, hints shown, passed) is kept per
//! user with the window's preferences, by lesson file.

use std::collections::BTreeMap;

use eframe::egui::{self, RichText};
use serde::{Deserialize, Serialize};
use sim_core::Model;
use sim_core::lesson::{self, GoalResult, Lesson};

use super::objectives::Mark;
use super::run::RunState;
use crate::lessons::{BundledLesson, LESSONS};

/// One lesson's progress, remembered between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    /// Checks that finished.
    pub attempts: u32,
    /// Checks that missed a goal: each unlocks one more hint.
    pub failed: u32,
    /// Hints the learner has asked to see.
    pub hints_shown: u32,
    /// A check met every goal.
    pub passed: bool,
}

impl Progress {
    /// How many hints may be shown: one per missed check.
    pub fn hints_unlocked(&self, hints: usize) -> usize {
        usize::try_from(self.failed)
            .unwrap_or(usize::MAX)
            .min(hints)
    }

    /// The state in words, for the list.
    fn status(&self) -> String {
        match (self.passed, self.attempts) {
            (true, n) => format!("passed · {n} check{}", plural(n)),
            (false, 0) => "not started".to_owned(),
            (false, n) => format!("{n} check{}, not passed yet", plural(n)),
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Progress by lesson file.
pub type ProgressBook = BTreeMap<String, Progress>;

/// The lesson being worked on.
#[derive(Debug)]
pub struct ActiveLesson {
    pub file: &'static str,
    /// Its place in the list, from 1.
    pub number: usize,
    pub lesson: Lesson,
    /// The last check of the learner's design.
    check: RunState,
    /// The last finished check's goals.
    pub results: Option<Vec<GoalResult>>,
    /// The solution's run on the same seeds.
    solution: RunState,
    pub solution_results: Option<Vec<GoalResult>>,
    /// The solution's explanation and changes are showing.
    pub show_solution: bool,
}

impl ActiveLesson {
    pub fn new(bundled: BundledLesson, lesson: Lesson) -> Self {
        Self {
            file: bundled.file,
            number: LESSONS
                .iter()
                .position(|l| l.file == bundled.file)
                .map_or(0, |i| i + 1),
            lesson,
            check: RunState::Idle,
            results: None,
            solution: RunState::Idle,
            solution_results: None,
            show_solution: false,
        }
    }

    /// Whether a check is running.
    pub fn checking(&self) -> bool {
        self.check.is_running()
    }

    /// Whether the solution is running.
    pub fn solving(&self) -> bool {
        self.solution.is_running()
    }

    /// Starts a check of `design` against the goals.
    pub fn start_check(&mut self, design: &Model, ctx: &egui::Context) {
        self.check = RunState::start(&self.lesson.attempt(design), ctx);
    }

    /// Starts the solution's run.
    pub fn start_solution(&mut self, ctx: &egui::Context) {
        self.show_solution = true;
        self.solution = match self.lesson.solution_model() {
            Ok(model) => RunState::start(&model, ctx),
            Err(e) => RunState::Failed(e.to_string()),
        };
    }

    /// Takes in finished runs; a finished check is counted in `progress`.
    pub fn poll(&mut self, progress: &mut Progress) {
        self.check.poll();
        if let Some(report) = self.check.report() {
            let results = lesson::judge(report);
            progress.attempts = progress.attempts.saturating_add(1);
            if lesson::passed(&results) {
                progress.passed = true;
            } else {
                progress.failed = progress.failed.saturating_add(1);
            }
            self.results = Some(results);
            self.check = RunState::Idle;
        }
        self.solution.poll();
        if let Some(report) = self.solution.report() {
            self.solution_results = Some(lesson::judge(report));
            self.solution = RunState::Idle;
        }
    }

    /// Why a check or the solution's run failed, if one did.
    fn failure(&self) -> Option<&str> {
        [&self.check, &self.solution]
            .into_iter()
            .find_map(|r| match r {
                RunState::Failed(e) => Some(e.as_str()),
                _ => None,
            })
    }
}

/// What the learner asked for in the list or the panel.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonAction {
    /// Open a lesson (its model replaces the document).
    Open(BundledLesson),
    /// Check the design against the goals.
    Check,
    /// Show the next unlocked hint.
    Hint,
    /// Run the solution and show it beside the design.
    Solution,
    /// Open Compare designs on the design against the solution.
    CompareDesigns,
    /// Show the list of lessons.
    List,
    /// Leave the lesson (the design stays open).
    Leave,
    /// Open Predict, then run on the lesson's question.
    Predict,
}

/// The Lessons list, as a window in the middle; what was picked.
pub fn list_window_ui(
    ctx: &egui::Context,
    open: &mut bool,
    progress: &ProgressBook,
    active: Option<&str>,
) -> Option<LessonAction> {
    let mut action = None;
    let room = ctx.content_rect().size() - egui::vec2(80.0, 80.0);
    egui::Window::new("Lessons")
        .open(open)
        .collapsible(false)
        .resizable(false)
        .default_width(room.x.clamp(300.0, 620.0))
        .max_height(room.y.max(200.0))
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .vscroll(true)
        .show(ctx, |ui| {
            ui.set_width(room.x.clamp(300.0, 620.0));
            ui.label(
                "A workshop in steps: each lesson opens a design that misses its goals. \
                 Fix it, check it, ask for a hint when a check misses, and compare with the solution.",
            );
            ui.add_space(8.0);
            for (i, bundled) in LESSONS.iter().enumerate() {
                let mine = progress.get(bundled.file).cloned().unwrap_or_default();
                egui::Frame::group(ui.style()).inner_margin(8.0).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    match bundled.load() {
                        Ok(lesson) => {
                            ui.horizontal(|ui| {
                                if mine.passed {
                                    Mark::Met.ui(ui).on_hover_text("passed");
                                }
                                ui.label(
                                    RichText::new(format!("{}. {}", i + 1, lesson.title))
                                        .strong()
                                        .size(16.0),
                                );
                                ui.with_layout(
                                    egui::Layout::right_to_left(egui::Align::Center),
                                    |ui| {
                                        let label = if active == Some(bundled.file) {
                                            "Continue"
                                        } else if mine.attempts > 0 {
                                            "Open again"
                                        } else {
                                            "Start"
                                        };
                                        if ui
                                            .button(label)
                                            .on_hover_text(format!(
                                                "Open lesson {}: {}",
                                                i + 1,
                                                lesson.title
                                            ))
                                            .clicked()
                                        {
                                            action = Some(LessonAction::Open(*bundled));
                                        }
                                    },
                                );
                            });
                            ui.label(&lesson.summary);
                            ui.label(RichText::new(mine.status()).weak());
                        }
                        Err(e) => {
                            ui.colored_label(ui.visuals().error_fg_color, e.to_string());
                        }
                    }
                });
            }
        });
    action
}

/// The lesson panel's contents; what the learner asked for.
pub fn panel_ui(
    ui: &mut egui::Ui,
    active: &ActiveLesson,
    progress: &Progress,
    refusal: Option<&str>,
) -> Vec<LessonAction> {
    let mut actions = Vec::new();
    let lesson = &active.lesson;
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Lesson {} of {}", active.number, LESSONS.len())).weak());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .small_button("Leave")
                .on_hover_text("Close the lesson; the design stays open")
                .clicked()
            {
                actions.push(LessonAction::Leave);
            }
            if ui
                .small_button("All lessons")
                .on_hover_text("The list of lessons")
                .clicked()
            {
                actions.push(LessonAction::List);
            }
        });
    });
    ui.heading(RichText::new(&lesson.title).strong());
    ui.add_space(4.0);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for paragraph in lesson.story.split("\n\n") {
                ui.label(paragraph.trim());
                ui.add_space(4.0);
            }
            if let Some(predict) = &lesson.predict {
                ui.add_space(6.0);
                ui.label(RichText::new("Predict first").strong().size(16.0));
                ui.add(egui::Label::new(&predict.ask).wrap());
                if ui
                    .button("Predict, then run…")
                    .on_hover_text("Write down your answer (or the room's) before the run shows it")
                    .clicked()
                {
                    actions.push(LessonAction::Predict);
                }
            }
            ui.add_space(6.0);
            goals_ui(ui, active);
            ui.add_space(6.0);
            check_ui(ui, active, progress, refusal, &mut actions);
            ui.add_space(10.0);
            hints_ui(ui, lesson, progress, &mut actions);
            if !lesson.try_this.is_empty() {
                ui.add_space(10.0);
                ui.label(RichText::new("Try this").strong().size(16.0));
                for prompt in &lesson.try_this {
                    ui.horizontal_top(|ui| {
                        ui.label("•");
                        ui.add(egui::Label::new(prompt).wrap());
                    });
                }
            }
            ui.add_space(10.0);
            solution_ui(ui, active, progress, &mut actions);
            ui.add_space(8.0);
        });
    actions
}

/// The goals: each with the last check's mark, value and verdict, and
/// the solution's value beside it once it ran. Every line wraps: the
/// panel may be narrow.
fn goals_ui(ui: &mut egui::Ui, active: &ActiveLesson) {
    ui.label(RichText::new("Goals").strong().size(16.0));
    let lesson = &active.lesson;
    let solution = active.solution_results.as_deref();
    for (i, goal) in lesson.goals.iter().enumerate() {
        let mine = active.results.as_ref().and_then(|r| r.get(i));
        egui::Frame::group(ui.style())
            .inner_margin(6.0)
            .show(ui, |ui| {
                ui.horizontal_top(|ui| {
                    let mark = mine.map_or(Mark::Open, |g| {
                        if g.passed { Mark::Met } else { Mark::Violated }
                    });
                    mark.ui(ui);
                    ui.add(egui::Label::new(RichText::new(goal.label()).strong()).wrap())
                        .on_hover_text(goal.description());
                });
                ui.label(RichText::new(format!("bound: {}", goal.objective.target_text())).weak());
                match mine {
                    Some(g) => {
                        ui.label(format!("Your design: {} ({})", g.value, g.verdict));
                    }
                    None => {
                        ui.label(RichText::new("Your design: not checked yet").weak());
                    }
                }
                if let Some(g) = solution.and_then(|s| s.get(i)) {
                    ui.horizontal_top(|ui| {
                        (if g.passed { Mark::Met } else { Mark::Violated }).ui(ui);
                        ui.add(
                            egui::Label::new(format!("Solution: {} ({})", g.value, g.verdict))
                                .wrap(),
                        );
                    });
                }
            });
    }
}

/// The check button and the last check's outcome.
fn check_ui(
    ui: &mut egui::Ui,
    active: &ActiveLesson,
    progress: &Progress,
    refusal: Option<&str>,
    actions: &mut Vec<LessonAction>,
) {
    let replications = active.lesson.model().scenario.replications;
    ui.horizontal_wrapped(|ui| {
        let enabled = !active.checking() && refusal.is_none();
        let button = ui
            .add_enabled(
                enabled,
                egui::Button::new(RichText::new("Check my design").strong()),
            )
            .on_hover_text(format!(
                "Run the design {replications} time{} and judge every goal",
                if replications == 1 { "" } else { "s" }
            ));
        let button = match refusal {
            Some(why) => button.on_disabled_hover_text(why),
            None => button,
        };
        if button.clicked() {
            actions.push(LessonAction::Check);
        }
        if active.checking() {
            ui.spinner();
            ui.label("checking…");
        }
    });
    if let Some(why) = refusal {
        ui.colored_label(ui.visuals().error_fg_color, why);
    }
    if let Some(e) = active.failure() {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    if let Some(results) = &active.results {
        let missed = results.iter().filter(|g| !g.passed).count();
        if missed == 0 {
            ui.label(
                RichText::new("Every goal is met: lesson passed.")
                    .strong()
                    .color(ui.visuals().widgets.active.fg_stroke.color),
            );
        } else {
            ui.label(
                RichText::new(format!(
                    "{missed} of {} goal{} missed.",
                    results.len(),
                    if results.len() == 1 { "" } else { "s" }
                ))
                .strong()
                .color(ui.visuals().error_fg_color),
            );
        }
    }
    ui.label(RichText::new(progress.status()).weak());
}

/// The hints shown so far, and the button for the next one.
fn hints_ui(
    ui: &mut egui::Ui,
    lesson: &Lesson,
    progress: &Progress,
    actions: &mut Vec<LessonAction>,
) {
    let total = lesson.hints.len();
    let unlocked = progress.hints_unlocked(total);
    let shown = usize::try_from(progress.hints_shown)
        .unwrap_or(usize::MAX)
        .min(unlocked);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Hints").strong().size(16.0));
        ui.label(RichText::new(format!("{shown} of {total} shown")).weak());
    });
    for (i, hint) in lesson.hints.iter().take(shown).enumerate() {
        ui.horizontal_top(|ui| {
            ui.label(RichText::new(format!("{}.", i + 1)).strong());
            ui.add(egui::Label::new(hint).wrap());
        });
    }
    if shown < total {
        let can = shown < unlocked;
        let button = ui
            .add_enabled(can, egui::Button::new("Show a hint"))
            .on_disabled_hover_text(if progress.attempts == 0 {
                "Check your design first: each check that misses a goal unlocks a hint"
            } else {
                "Each check that misses a goal unlocks one more hint"
            });
        if button.clicked() {
            actions.push(LessonAction::Hint);
        }
    }
}

/// The solution: run it beside the design, its explanation and changes.
fn solution_ui(
    ui: &mut egui::Ui,
    active: &ActiveLesson,
    progress: &Progress,
    actions: &mut Vec<LessonAction>,
) {
    ui.label(RichText::new("Solution").strong().size(16.0));
    ui.horizontal_wrapped(|ui| {
        let tried = progress.attempts > 0;
        let button = ui
            .add_enabled(
                tried && !active.solving(),
                egui::Button::new("Compare with the solution"),
            )
            .on_hover_text("Run the solution on the same seeds and show its goals beside yours")
            .on_disabled_hover_text(if tried {
                "The solution is running"
            } else {
                "Check your own design once first"
            });
        if button.clicked() {
            actions.push(LessonAction::Solution);
        }
        if active.solving() {
            ui.spinner();
        }
        if active.show_solution
            && ui
                .button("Open in Compare designs")
                .on_hover_text("Your design against the solution: paired differences and charts")
                .clicked()
        {
            actions.push(LessonAction::CompareDesigns);
        }
    });
    if !active.show_solution {
        return;
    }
    let solution = &active.lesson.solution;
    ui.label(&solution.explanation);
    ui.add_space(4.0);
    ui.label(RichText::new("What it changes:").weak());
    for change in &solution.nodes {
        let name = active.lesson.model().find(&change.id).map_or_else(
            || change.id.clone(),
            |n| active.lesson.model().graph[n].label().to_owned(),
        );
        ui.label(RichText::new(name).strong());
        ui.add(
            egui::Label::new(
                RichText::new(sim_core::model::file::kind_to_string(&change.kind))
                    .monospace()
                    .size(12.0),
            )
            .wrap(),
        );
    }
}

impl super::WeirApp {
    /// Opens a bundled lesson: its model as a new, unsaved document and
    /// the lesson panel beside it. A lesson that cannot be read is an
    /// error naming its file and field.
    pub fn open_lesson(&mut self, bundled: BundledLesson) {
        match bundled.load() {
            Ok(lesson) => {
                let doc = super::document_for(
                    lesson.model().clone(),
                    None,
                    format!("lesson: {}", bundled.file),
                    Vec::new(),
                );
                self.set_document(doc);
                self.lesson = Some(ActiveLesson::new(bundled, lesson));
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The lesson being worked on, if any.
    pub fn lesson(&self) -> Option<&ActiveLesson> {
        self.lesson.as_ref()
    }

    /// A lesson's remembered progress.
    pub fn lesson_progress(&self, file: &str) -> Progress {
        self.prefs.lessons.get(file).cloned().unwrap_or_default()
    }

    /// Whether the Lessons list is showing.
    pub fn showing_lessons(&self) -> bool {
        self.show_lessons
    }

    /// The Compare designs window's sides, while it is open.
    pub fn comparing(&self) -> Option<(&super::comparison::Side, &super::comparison::Side)> {
        self.comparison
            .open
            .then_some((&self.comparison.a, &self.comparison.b))
    }

    /// Does what the learner asked for.
    pub fn lesson_action(&mut self, ctx: &egui::Context, action: LessonAction) {
        match action {
            LessonAction::Open(bundled) => {
                self.show_lessons = false;
                if self.lesson.as_ref().is_some_and(|l| l.file == bundled.file) {
                    return;
                }
                self.request(super::dialogs::Pending::Lesson(bundled));
            }
            LessonAction::List => self.show_lessons = true,
            LessonAction::Predict => {
                if let Some(p) = self.lesson.as_ref().and_then(|l| l.lesson.predict.as_ref()) {
                    self.predict.open_on(&p.metric);
                }
            }
            LessonAction::Leave => self.lesson = None,
            LessonAction::Check => {
                if let Some(why) = self.doc.run_refusal() {
                    self.canvas.notify(ctx, why);
                    return;
                }
                if let Some(active) = &mut self.lesson {
                    active.start_check(&self.doc.model, ctx);
                }
            }
            LessonAction::Hint => {
                if let Some(active) = &self.lesson {
                    let total = active.lesson.hints.len();
                    let entry = self
                        .prefs
                        .lessons
                        .entry(active.file.to_owned())
                        .or_default();
                    let unlocked = u32::try_from(entry.hints_unlocked(total)).unwrap_or(u32::MAX);
                    entry.hints_shown = entry.hints_shown.min(unlocked);
                    if entry.hints_shown < unlocked {
                        entry.hints_shown += 1;
                    }
                }
            }
            LessonAction::Solution => {
                if let Some(active) = &mut self.lesson {
                    active.start_solution(ctx);
                }
            }
            LessonAction::CompareDesigns => {
                if let Some(active) = &self.lesson
                    && let Ok(solution) = active.lesson.solution_model()
                {
                    let side = super::comparison::Side::Given(
                        "The lesson's solution".to_owned(),
                        std::sync::Arc::new(solution),
                    );
                    self.comparison.open_on(&self.doc.model, Some(side));
                }
            }
        }
    }

    /// Takes in the lesson's finished runs, counting checks in the
    /// learner's progress.
    pub(super) fn poll_lesson(&mut self) {
        if let Some(active) = &mut self.lesson {
            let entry = self
                .prefs
                .lessons
                .entry(active.file.to_owned())
                .or_default();
            active.poll(entry);
        }
    }

    /// The lesson panel along the right edge, when a lesson is open.
    pub(super) fn lesson_panel(&mut self, ui: &mut egui::Ui) -> Vec<LessonAction> {
        let Some(active) = &self.lesson else {
            return Vec::new();
        };
        let progress = self
            .prefs
            .lessons
            .get(active.file)
            .cloned()
            .unwrap_or_default();
        let refusal = self.doc.run_refusal();
        let mut actions = Vec::new();
        egui::Panel::right("lesson")
            .resizable(true)
            .default_size(340.0)
            .min_size(280.0)
            // NOTE: the canvas, the palette and the inspector share the
            // rest: at 1280 points the lesson takes at most about 370.
            .max_size((ui.available_width() * 0.34).max(280.0))
            .show(ui, |ui| {
                actions = panel_ui(ui, active, &progress, refusal.as_deref());
            });
        actions
    }

    /// The Lessons list, when asked for.
    pub(super) fn lessons_window(&mut self, ctx: &egui::Context) -> Option<LessonAction> {
        if !self.show_lessons {
            return None;
        }
        let active = self.lesson.as_ref().map(|l| l.file);
        list_window_ui(ctx, &mut self.show_lessons, &self.prefs.lessons, active)
    }
}
