//! The window's dialogs and windows over the canvas: unsaved changes,
//! crash recovery, errors, keyboard shortcuts and the start screen; and what waits on the question about unsaved changes. They
//! return what the user picked as [`MenuAction`]s, applied after drawing:
//! no file dialog runs and no file is touched while they are drawn.

use std::path::PathBuf;

use eframe::egui::{self, RichText};
use sim_core::Model;

use super::document::Document;
use super::gallery::{GalleryChoice, start_page_ui};
use super::menus::MenuAction;
use super::recovery::Orphan;
use super::shortcuts::Action;
use super::{WeirApp, files, shortcuts};
use crate::examples::Example;

/// Something that would discard unsaved changes, waiting for an answer.
#[derive(Clone, Debug)]
pub(super) enum Pending {
    New,
    /// `None`: ask with the open dialog.
    Open(Option<PathBuf>),
    /// AsyncAPI documents or a Mermaid flowchart, imported as a new
    /// document (none: ask with the open dialog).
    Import(Vec<PathBuf>),
    Example(Example),
    /// A model read from a file the browser uploaded: its name and text.
    OpenText {
        name: String,
        text: String,
    },
    /// Documents the browser uploaded, imported as a new document.
    ImportTexts(Vec<(String, String)>),
    /// A lesson: its model opens as a new document.
    Lesson(crate::lessons::BundledLesson),
    /// Restore the first recovery offer.
    Restore,
    Quit,
}

impl WeirApp {
    /// Asks before discarding unsaved changes.
    pub(super) fn request(&mut self, action: Pending) {
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
            Pending::OpenText { name, text } => self.open_text(&name, &text),
            Pending::ImportTexts(files) => self.import_texts(&files),
            Pending::Lesson(lesson) => self.open_lesson(lesson),
            Pending::Import(paths) if paths.is_empty() => {
                if let Some(paths) = files::pick_import(self.doc.path.as_deref()) {
                    self.import_paths(&paths);
                }
            }
            Pending::Import(paths) => self.import_paths(&paths),
            Pending::Restore => self.restore_first_offer(),
            Pending::Quit => {
                self.allow_close = true;
                if let Some(r) = &self.recovery {
                    r.clear();
                }
            }
        }
    }

    /// Saves to the document's file, or asks where; true if saved.
    pub(super) fn save(&mut self, save_as: bool) -> bool {
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

    /// The answer to the question about unsaved changes: saves first if
    /// asked to (and stops if that is cancelled or fails), then does what
    /// was waiting.
    pub(super) fn answer_confirm(&mut self, ctx: &egui::Context, save_first: bool) {
        let Some(pending) = self.confirm.clone() else {
            return;
        };
        if save_first && !self.save(false) {
            return;
        }
        self.confirm = None;
        let quit = matches!(pending, Pending::Quit);
        self.perform(pending);
        if quit {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// The answer to the first recovery offer: restore its work (asking
    /// first about unsaved changes in the window) or discard it; an
    /// unreadable file is moved aside. Until answered, it stays on disk.
    pub(super) fn answer_recovery(&mut self, restore: bool) {
        let readable = match self.recovery_offers.front() {
            Some(offer) => offer.content.is_ok(),
            None => return,
        };
        if readable && restore {
            self.request(Pending::Restore);
            return;
        }
        let Some(offer) = self.recovery_offers.pop_front() else {
            return;
        };
        let outcome = if readable {
            offer.remove()
        } else {
            offer.set_aside().map(|_| ())
        };
        if let Err(err) = outcome {
            self.error = Some(format!("{err:#}"));
        }
        if self.recovery_offers.is_empty() && !self.doc.is_dirty() {
            self.show_gallery = self.doc.path.is_none();
        }
    }

    /// Makes the first recovery offer's work the document. The work moves
    /// into this window's own recovery file before the offer's file goes,
    /// so a crash now loses nothing; if it cannot move, the file stays
    /// and is offered again next time.
    fn restore_first_offer(&mut self) {
        let Some(offer) = self.recovery_offers.pop_front() else {
            return;
        };
        let Ok((model, origin)) = &offer.content else {
            self.recovery_offers.push_front(offer);
            return;
        };
        let mut doc = Document::new(model.clone(), None, "restored unsaved work".to_owned());
        doc.path.clone_from(origin);
        doc.mark_unsaved();
        self.set_document(doc);
        let kept = match &self.recovery {
            Some(own) => own.store(&self.doc.model, self.doc.path.as_deref()),
            None => Ok(()),
        };
        match kept {
            Ok(()) => {
                self.autosaved_revision = Some(self.doc.revision());
                if let Err(err) = offer.remove() {
                    self.error = Some(format!("{err:#}"));
                }
            }
            Err(err) => {
                self.error = Some(format!(
                    "{err:#}\n\nThe unsaved work is still kept in {} and will be offered again.",
                    offer.path().display()
                ));
            }
        }
    }

    /// Draws the dialogs and windows over the canvas; what the user picked
    /// in them.
    pub(super) fn dialogs_ui(&mut self, ctx: &egui::Context) -> Vec<MenuAction> {
        let mut actions = Vec::new();
        if self.confirm.is_some() {
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
            if let Some(save_first) = modal.inner {
                actions.push(MenuAction::Discard { save_first });
            }
        }
        if self.confirm.is_none()
            && let Some(offer) = self.recovery_offers.front()
        {
            let more = self.recovery_offers.len() - 1;
            let answer = recovery_ui(ctx, offer, more);
            actions.extend(answer.map(MenuAction::Recover));
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
            let room = ctx.content_rect().size() - egui::vec2(80.0, 80.0);
            egui::Window::new("Keyboard shortcuts")
                .open(&mut self.show_help)
                .collapsible(false)
                .resizable(false)
                .max_width(room.x.min(1240.0))
                .max_height(room.y)
                .vscroll(true)
                .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
                .show(ctx, shortcuts::help_ui);
        }
        if self.show_gallery {
            let choice = start_page_ui(ctx, &mut self.gallery, &self.prefs.recent);
            actions.extend(choice.and_then(|choice| match choice {
                GalleryChoice::Example(example) => Some(MenuAction::OpenExample(example)),
                GalleryChoice::Recent(path) => Some(MenuAction::OpenRecent(path)),
                GalleryChoice::New => Some(MenuAction::Do(Action::New)),
                GalleryChoice::Open => Some(MenuAction::Do(Action::Open)),
                GalleryChoice::Lessons => Some(MenuAction::Lessons),
                GalleryChoice::Close => {
                    self.show_gallery = false;
                    None
                }
            }));
        }
        self.messages_window(ctx);
        actions
    }
}

/// The recovery offer's dialog; the answer (`true`: restore), if given.
fn recovery_ui(ctx: &egui::Context, offer: &Orphan, more: usize) -> Option<bool> {
    let mut answer = None;
    egui::Modal::new(egui::Id::unique("recovery")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        match &offer.content {
            Ok((model, origin)) => {
                ui.heading("Restore unsaved work?");
                ui.label(format!(
                    "A Weir window closed without saving its changes to “{}”{}. They were kept.",
                    model.name,
                    origin
                        .as_ref()
                        .map(|p| format!(" ({})", p.display()))
                        .unwrap_or_default()
                ));
                ui.label(RichText::new(format!("Kept in {}", offer.path().display())).weak());
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Restore").clicked() {
                        answer = Some(true);
                    }
                    if ui.button("Discard").clicked() {
                        answer = Some(false);
                    }
                });
            }
            Err(why) => {
                ui.heading("Unsaved work could not be read");
                ui.label(format!(
                    "A Weir window closed without saving, and the file its changes were kept in cannot be read: {why}."
                ));
                ui.label(format!(
                    "It will be kept as {}, where Open… in the File menu can try it.",
                    offer.aside_path().display()
                ));
                ui.add_space(8.0);
                if ui.button("Keep it aside").clicked() {
                    answer = Some(false);
                }
            }
        }
        if more > 0 {
            ui.label(RichText::new(format!("{more} more to answer after this one")).weak());
        }
    });
    answer
}
