//! The start page: the bundled examples grouped by theme, each with a
//! picture of its canvas, a search box, and the recently opened files.
//! It fills the window.
//!
//! The pictures come from the export pipeline ([`crate::picture`]),
//! drawn once on a thread of their own (`weir-thumbnails`) and kept for
//! as long as the window is open.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui::{self, RichText};
use sim_core::model::file;

use crate::examples::{EXAMPLES, Example, Theme};
use crate::picture::{Look, canvas_svg, svg_to_rgba};

/// What the user picked on the start page.
#[derive(Clone, Debug)]
#[must_use]
pub enum GalleryChoice {
    Example(Example),
    Recent(PathBuf),
    New,
    Open,
    /// Show the list of lessons.
    Lessons,
    /// Close the start page.
    Close,
}

/// A thumbnail's size in points (and pixels at its drawn size).
const THUMB: [u32; 2] = [264, 140];
/// A card's width, in points.
const CARD_WIDTH: f32 = 276.0;

/// One example's picture, as made on the thumbnail thread.
type Picture = (&'static str, Look, egui::ColorImage);

/// The start page's state: the search text and the pictures.
#[derive(Default)]
pub struct GalleryState {
    search: String,
    /// Pictures by example file and look, once they have arrived.
    thumbnails: BTreeMap<(&'static str, bool), egui::TextureHandle>,
    /// Pictures still being drawn for this look (`true`: dark).
    pending: Option<(bool, Receiver<Vec<Picture>>)>,
    /// The looks whose pictures were asked for.
    asked: Vec<bool>,
}

impl std::fmt::Debug for GalleryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GalleryState")
            .field("search", &self.search)
            .field("thumbnails", &self.thumbnails.len())
            .finish_non_exhaustive()
    }
}

impl GalleryState {
    /// How many examples have their picture in the current look.
    pub fn thumbnails(&self, dark: bool) -> usize {
        self.thumbnails.keys().filter(|(_, d)| *d == dark).count()
    }

    /// Starts drawing the pictures in `dark`'s look, once per look, and
    /// takes in those that are ready.
    fn poll(&mut self, ctx: &egui::Context, dark: bool) {
        if !self.asked.contains(&dark) && self.pending.is_none() {
            self.asked.push(dark);
            self.pending = spawn_thumbnails(ctx, dark).map(|rx| (dark, rx));
        }
        let Some((look_dark, rx)) = &self.pending else {
            return;
        };
        loop {
            match rx.try_recv() {
                Ok(pictures) => {
                    for (file, _, image) in pictures {
                        let texture = ctx.load_texture(
                            format!("thumbnail-{file}-{look_dark}"),
                            image,
                            egui::TextureOptions::LINEAR,
                        );
                        self.thumbnails.insert((file, *look_dark), texture);
                    }
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.pending = None;
                    return;
                }
            }
        }
    }
}

/// Draws every example's picture on a named thread, sending them when
/// done; `None` if the thread cannot start (the cards then go without).
fn spawn_thumbnails(ctx: &egui::Context, dark: bool) -> Option<Receiver<Vec<Picture>>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let ctx = ctx.clone();
    let look = if dark { Look::Dark } else { Look::Light };
    crate::background::spawn("weir-thumbnails", move || {
        // NOTE: the pictures go over together, in one frame: a frame
        // per picture would redraw the page sixteen times for them.
        let mut pictures = Vec::with_capacity(EXAMPLES.len());
        for example in EXAMPLES {
            let Ok((model, _)) = file::from_str(example.text) else {
                continue;
            };
            let svg = canvas_svg(&model, look);
            // An example whose picture cannot be drawn keeps a card
            // without one; the export reports such failures.
            let Ok((size, rgba)) = svg_to_rgba(&svg, THUMB) else {
                continue;
            };
            let image = egui::ColorImage::from_rgba_premultiplied(size, &rgba);
            pictures.push((example.file, look, image));
        }
        if tx.send(pictures).is_ok() {
            ctx.request_repaint();
        }
    })
    .ok()?;
    Some(rx)
}

/// An example's name and description as its file gives them.
fn title_of(example: &Example) -> (String, String) {
    match file::from_str(example.text) {
        Ok((model, _)) => (model.name, model.description),
        Err(err) => (example.file.to_owned(), err.to_string()),
    }
}

/// Whether an example matches the search words (all of them, anywhere in
/// its name, description, file name or theme).
fn matches(search: &str, example: &Example, name: &str, description: &str) -> bool {
    let haystack = format!(
        "{name} {description} {} {}",
        example.file,
        example.theme.title()
    )
    .to_lowercase();
    search
        .split_whitespace()
        .all(|word| haystack.contains(&word.to_lowercase()))
}

/// The start page, over the whole window; what the user picked.
pub fn start_page_ui(
    ctx: &egui::Context,
    state: &mut GalleryState,
    recent: &[PathBuf],
) -> Option<GalleryChoice> {
    let dark = ctx.global_style().visuals.dark_mode;
    state.poll(ctx, dark);
    let rect = ctx.content_rect();
    let mut choice = None;
    egui::Area::new(egui::Id::unique("start-page"))
        .order(egui::Order::Middle)
        .fixed_pos(rect.min)
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(ui.visuals().panel_fill)
                .inner_margin(egui::Margin::symmetric(32, 20))
                .show(ui, |ui| {
                    let inner = rect.size() - egui::vec2(64.0, 40.0);
                    ui.set_min_size(inner);
                    ui.set_max_size(inner);
                    choice = page_ui(ui, state, recent, dark);
                });
        });
    choice
}

fn page_ui(
    ui: &mut egui::Ui,
    state: &mut GalleryState,
    recent: &[PathBuf],
    dark: bool,
) -> Option<GalleryChoice> {
    let mut choice = None;
    ui.horizontal(|ui| {
        ui.heading(RichText::new("Welcome to Weir").size(26.0));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Close")
                .on_hover_text("Back to the current model (Esc)")
                .clicked()
            {
                choice = Some(GalleryChoice::Close);
            }
        });
    });
    ui.label(
        RichText::new("Open a pattern to watch it run, or start from an empty canvas.").weak(),
    );
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        if ui.button("New empty model").clicked() {
            choice = Some(GalleryChoice::New);
        }
        if ui.button("Open a file…").clicked() {
            choice = Some(GalleryChoice::Open);
        }
        if ui
            .button("Lessons…")
            .on_hover_text("A workshop in steps: fix a broken design until it meets its goals")
            .clicked()
        {
            choice = Some(GalleryChoice::Lessons);
        }
        ui.add_space(16.0);
        let label = ui.label("Search");
        ui.add(
            egui::TextEdit::singleline(&mut state.search)
                .hint_text("name, pattern, file…")
                .desired_width(260.0),
        )
        .labelled_by(label.id);
        if !state.search.is_empty() && ui.button("Clear").clicked() {
            state.search.clear();
        }
    });
    ui.add_space(8.0);
    let examples: Vec<(Example, String, String)> = EXAMPLES
        .iter()
        .map(|e| {
            let (name, description) = title_of(e);
            (*e, name, description)
        })
        .filter(|(e, name, description)| matches(&state.search, e, name, description))
        .collect();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if !recent.is_empty() && state.search.is_empty() {
                ui.label(RichText::new("Recent files").strong().size(18.0));
                for path in recent {
                    let link = egui::Link::new(path.display().to_string());
                    if ui.add(link).clicked() {
                        choice = Some(GalleryChoice::Recent(path.clone()));
                    }
                }
                ui.add_space(12.0);
            }
            if examples.is_empty() {
                ui.label(
                    RichText::new(format!("No example matches “{}”.", state.search.trim())).weak(),
                );
            }
            for theme in Theme::ALL {
                let group: Vec<_> = examples.iter().filter(|(e, ..)| e.theme == theme).collect();
                if group.is_empty() {
                    continue;
                }
                ui.label(RichText::new(theme.title()).strong().size(18.0));
                ui.label(RichText::new(theme.blurb()).weak());
                ui.add_space(4.0);
                // NOTE: egui learns a card's size only once it is drawn, so
                // cards cannot wrap by themselves: as many go in a row as
                // the page holds.
                let gap = 12.0;
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a small positive count"
                )]
                let per_row =
                    (((ui.available_width() + gap) / (CARD_WIDTH + gap)).floor() as usize).max(1);
                for row in group.chunks(per_row) {
                    ui.horizontal_top(|ui| {
                        ui.spacing_mut().item_spacing = egui::vec2(gap, gap);
                        for (example, name, description) in row {
                            let thumbnail = state.thumbnails.get(&(example.file, dark));
                            if card_ui(ui, example, name, description, thumbnail) {
                                choice = Some(GalleryChoice::Example(*example));
                            }
                        }
                    });
                    ui.add_space(gap);
                }
                ui.add_space(14.0);
            }
        });
    choice
}

/// One example's card: its picture, its name (the button that opens it),
/// its file name in full and its description. True when clicked.
fn card_ui(
    ui: &mut egui::Ui,
    example: &Example,
    name: &str,
    description: &str,
    thumbnail: Option<&egui::TextureHandle>,
) -> bool {
    let mut clicked = false;
    egui::Frame::group(ui.style())
        .inner_margin(6.0)
        .show(ui, |ui| {
            ui.set_width(CARD_WIDTH - 12.0);
            ui.vertical(|ui| {
                #[expect(clippy::cast_precision_loss, reason = "small pixel counts")]
                let box_size = egui::vec2(THUMB[0] as f32, THUMB[1] as f32);
                let (rect, response) = ui.allocate_exact_size(box_size, egui::Sense::click());
                ui.painter()
                    .rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
                match thumbnail {
                    Some(texture) => {
                        let fitted = egui::Rect::from_center_size(
                            rect.center(),
                            texture.size_vec2() * (box_size / texture.size_vec2()).min_elem(),
                        );
                        egui::Image::from_texture(texture).paint_at(ui, fitted);
                    }
                    // NOTE: a still placeholder, not a spinner: the page
                    // asks for no frames while it waits; the thumbnail
                    // thread asks for one as each picture is ready.
                    None => {
                        ui.painter().text(
                            rect.center(),
                            egui::Align2::CENTER_CENTER,
                            "drawing the picture…",
                            egui::TextStyle::Small.resolve(ui.style()),
                            ui.visuals().weak_text_color(),
                        );
                    }
                }
                clicked |= response.clicked();
                let title = egui::Button::new(RichText::new(name).strong().size(15.0))
                    .frame(false)
                    .wrap();
                clicked |= ui.add(title).clicked();
                ui.add(
                    egui::Label::new(RichText::new(example.file).monospace().weak())
                        .wrap_mode(egui::TextWrapMode::Wrap),
                );
                ui.add(
                    egui::Label::new(RichText::new(description).small())
                        .wrap_mode(egui::TextWrapMode::Wrap),
                );
            });
        });
    clicked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_must_all_match() {
        let example = EXAMPLES
            .iter()
            .find(|e| e.file == "kafka-consumer-lag.ron")
            .expect("bundled");
        let (name, description) = title_of(example);
        assert!(matches("", example, &name, &description), "no words");
        assert!(matches("KAFKA lag", example, &name, &description));
        assert!(matches("brokers", example, &name, &description), "theme");
        assert!(!matches("kafka zebra", example, &name, &description));
    }
}
