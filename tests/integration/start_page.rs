//! The start page through the real app: it fills the window, groups the
//! examples by theme, searches them, shows each one's picture once drawn,
//! never cuts a file name, lists recent files, and Escape closes it.

use std::path::PathBuf;

use eframe::egui::{self, Key, Vec2};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::model::file;
use weir::examples::{EXAMPLES, Theme};
use weir::gui::document::EMPTY_HINT;
use weir::gui::{Prefs, WeirApp};

use crate::harness::{Window, harness, until};

/// The app as it starts with no file: on the start page.
fn start_page(size: Vec2, prefs: Prefs) -> Harness<'static, WeirApp> {
    // NOTE: the examples' descriptions are files' text, which a desktop
    // draws with its system fonts.
    let window = Window {
        size,
        any_text: true,
        ..Window::default()
    };
    let mut h = harness(WeirApp::starting(None, prefs, None), window);
    h.run();
    assert!(h.state().showing_start_page(), "no file: the start page");
    h
}

/// Types `text` into the search box.
fn search(h: &mut Harness<'_, WeirApp>, text: &str) {
    h.get_by_role_and_label(Role::TextInput, "Search").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Search")
        .type_text(text);
}

/// Clicks an example's card on the start page (scrolled into view first,
/// as a person would scroll to it), without waiting for the frame after.
pub fn click_card(h: &mut Harness<'_, WeirApp>, title: &str) {
    h.get_by_role_and_label(Role::Button, title).scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::Button, title).click();
}

fn title(example: &weir::examples::Example) -> String {
    file::from_str(example.text).expect("bundled").0.name
}

#[test]
fn it_fills_the_window_and_groups_the_examples_by_theme() {
    let size = Vec2::new(1280.0, 800.0);
    let h = start_page(size, Prefs::default());
    let page = egui::Id::unique("start-page");
    for at in [
        egui::pos2(20.0, 80.0),
        egui::pos2(size.x - 20.0, 80.0),
        egui::pos2(size.x / 2.0, size.y / 2.0),
        egui::pos2(20.0, size.y - 20.0),
        egui::pos2(size.x - 20.0, size.y - 20.0),
    ] {
        assert!(
            h.ctx.layer_id_at(at).is_some_and(|layer| layer.id == page),
            "the start page covers {at:?}"
        );
    }
    // Every theme with examples has a heading, and its examples' cards
    // come after it and before the next.
    let heading = |theme: Theme| {
        h.get_by_role_and_label(Role::Label, theme.title())
            .rect()
            .top()
    };
    let mut tops: Vec<(Theme, f32)> = Theme::ALL.iter().map(|&t| (t, heading(t))).collect();
    tops.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(
        tops.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        Theme::ALL.to_vec(),
        "the groups in order"
    );
    for example in EXAMPLES {
        let card = h
            .get_by_role_and_label(Role::Button, &title(example))
            .rect()
            .top();
        let i = tops
            .iter()
            .position(|(t, _)| *t == example.theme)
            .expect("a group");
        let below = tops[i].1 < card;
        let above_next = tops.get(i + 1).is_none_or(|(_, next)| card < *next);
        assert!(
            below && above_next,
            "{} is in the {} group",
            example.file,
            example.theme.title()
        );
    }
    // The cards wrap into rows across the page, not one under another.
    let lefts: std::collections::BTreeSet<i32> = EXAMPLES
        .iter()
        .map(|e| {
            #[expect(clippy::cast_possible_truncation, reason = "screen points")]
            let left = h
                .get_by_role_and_label(Role::Button, &title(e))
                .rect()
                .left() as i32;
            left
        })
        .collect();
    assert!(lefts.len() >= 3, "cards side by side: {lefts:?}");
}

#[test]
fn buttons_do_not_repeat_the_title_and_file_names_are_never_cut() {
    let h = start_page(Vec2::new(1024.0, 700.0), Prefs::default());
    assert!(
        h.query_by_label_contains("Open Three-stage").is_none(),
        "a card's button is its title, not “Open <title>”"
    );
    let font = egui::FontId::monospace(egui::TextStyle::Body.resolve(&h.ctx.global_style()).size);
    for example in EXAMPLES {
        let label = h.get_by_label(example.file);
        let rect = label.rect();
        let whole = h.ctx.fonts_mut(|f| {
            f.layout_no_wrap(example.file.to_owned(), font.clone(), egui::Color32::WHITE)
                .size()
        });
        // Either on one line at full width, or wrapped onto more lines.
        assert!(
            rect.width() + 0.5 >= whole.x || rect.height() > whole.y * 1.5,
            "{} is cut: shown {rect:?}, whole {whole:?}",
            example.file
        );
    }
}

#[test]
fn search_filters_the_examples() {
    let mut h = start_page(Vec2::new(1280.0, 800.0), Prefs::default());
    search(&mut h, "kafka LAG");
    h.run();
    let shown: Vec<&str> = EXAMPLES
        .iter()
        .filter(|e| h.query_by_role_and_label(Role::Button, &title(e)).is_some())
        .map(|e| e.file)
        .collect();
    assert_eq!(shown, vec!["kafka-consumer-lag.ron"], "only the match");

    h.get_by_role_and_label(Role::Button, "Clear").click();
    h.run();
    search(&mut h, "resilience");
    h.run();
    for example in EXAMPLES {
        assert_eq!(
            h.query_by_role_and_label(Role::Button, &title(example))
                .is_some(),
            example.theme == Theme::Resilience,
            "{}: a theme's name finds its examples",
            example.file
        );
    }
}

#[test]
fn every_example_gets_its_picture() {
    let mut h = start_page(Vec2::new(1280.0, 800.0), Prefs::default());
    until(&mut h, "every example's picture", |h| {
        h.state().start_page_thumbnails(&h.ctx) == EXAMPLES.len()
    });
}

#[test]
fn recent_files_are_listed_and_escape_closes_help_then_the_page() {
    let recent = PathBuf::from("/nowhere/orders-with-a-long-name.ron");
    let prefs = Prefs {
        recent: vec![recent.clone()],
        ..Prefs::default()
    };
    let mut h = start_page(Vec2::new(1280.0, 800.0), prefs);
    assert!(
        h.query_by_label(&recent.display().to_string()).is_some(),
        "recent files are listed"
    );
    h.key_press(Key::F1);
    h.run();
    assert!(h.state().showing_help());
    h.key_press(Key::Escape);
    h.run();
    assert!(!h.state().showing_help(), "Escape closes the help first");
    assert!(h.state().showing_start_page(), "and leaves the page");
    h.key_press(Key::Escape);
    h.run();
    assert!(!h.state().showing_start_page(), "then closes the page");
}

#[test]
fn a_new_model_from_the_start_page_shows_a_hint_not_an_error() {
    let mut h = start_page(Vec2::new(1280.0, 800.0), Prefs::default());
    h.get_by_role_and_label(Role::Button, "New empty model")
        .click();
    h.run();
    assert!(!h.state().showing_start_page());
    assert_eq!(h.state().model().graph.node_count(), 0);
    assert!(h.state().diagnostics().iter().all(|d| !d.is_error()));
    assert!(h.query_by_label(EMPTY_HINT).is_some(), "the hint shows");
    assert!(h.query_by_label_contains("has no nodes").is_none());
}
