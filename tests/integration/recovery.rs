//! Saving and crash recovery through the real window: each window keeps
//! its unsaved work in a locked file of its own; work left by a window
//! that stopped is offered, one file at a time, and stays on disk until the
//! user restores or discards it.

use std::path::{Path, PathBuf};

use eframe::egui::{ViewportEvent, ViewportId};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::Model;
use sim_core::model::{ModelCommand, file};
use weir::gui::recovery::Recovery;
use weir::gui::{Prefs, WeirApp};

use crate::harness::{Window, harness};

/// A new, empty folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("weir-gui-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// The recovery files (`recovery-*.ron`) in `dir`.
fn recovery_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("listable")
        .map(|e| e.expect("an entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("recovery-") && n.ends_with(".ron"))
        })
        .collect();
    files.sort();
    files
}

/// A window as it starts, keeping its recovery in `dir`, on `path` if given.
fn start(dir: &Path, path: Option<&Path>) -> Harness<'static, WeirApp> {
    let recovery = Recovery::claim(dir).expect("a recovery file of its own");
    let app = WeirApp::starting(path, Prefs::default(), Some(recovery));
    // NOTE: the start screen shows the examples' own text, which a
    // desktop draws with its system fonts.
    let window = Window {
        any_text: true,
        ..Window::default()
    };
    let mut h = harness(app, window);
    h.run();
    h
}

/// A model file named `name` in `dir`.
fn model_file(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.ron"));
    std::fs::write(&path, file::to_string(&Model::new(name))).expect("written");
    path
}

/// Renames the model (an unsaved change) and autosaves it.
fn edit_and_autosave(h: &mut Harness<'_, WeirApp>, name: &str) {
    h.state_mut()
        .apply_edit(ModelCommand::SetInfo {
            name: name.to_owned(),
            description: String::new(),
        })
        .expect("renamed");
    h.state_mut().autosave_now().expect("autosaved");
    h.run();
}

/// A window that stopped without saving `name`, whose file was `origin`:
/// it is dropped with its work on disk, as a crash leaves it.
fn crashed_window(dir: &Path, origin: &Path, name: &str) -> PathBuf {
    let mut h = start(dir, Some(origin));
    edit_and_autosave(&mut h, name);
    let kept = h
        .state()
        .recovery_path()
        .expect("keeps a recovery")
        .to_path_buf();
    assert!(kept.exists(), "autosave wrote {}", kept.display());
    drop(h);
    kept
}

fn shows(h: &Harness<'_, WeirApp>, text: &str) -> bool {
    h.query_by_label(text).is_some()
}

#[test]
fn a_stopped_windows_work_is_offered_kept_until_answered_and_restored() {
    let dir = scratch("restore");
    let origin = model_file(&dir, "origin");
    let kept = crashed_window(&dir, &origin, "unsaved work");

    // The next window opens a file from its command line: the offer's
    // file stays while the question is up.
    let other = model_file(&dir, "other");
    let mut h = start(&dir, Some(&other));
    assert_eq!(h.state().recovery_offers(), 1);
    assert!(shows(&h, "Restore unsaved work?"));
    for _ in 0..5 {
        h.run();
    }
    assert!(kept.exists(), "not deleted before the user answers");
    assert_eq!(h.state().path(), Some(other.as_path()));

    h.get_by_label("Restore").click();
    h.run();
    assert_eq!(h.state().model().name, "unsaved work");
    assert_eq!(
        h.state().path(),
        Some(origin.as_path()),
        "its file came back"
    );
    assert!(h.state().is_dirty(), "restored work is unsaved");
    assert_eq!(h.state().recovery_offers(), 0);
    assert!(!shows(&h, "Restore unsaved work?"));
    // The work moved into this window's own recovery file, then the old
    // one went.
    let own = h.state().recovery_path().expect("its own").to_path_buf();
    assert!(!kept.exists());
    assert_eq!(recovery_files(&dir), std::slice::from_ref(&own));
    let text = std::fs::read_to_string(&own).expect("kept");
    assert!(text.contains("name: \"unsaved work\""), "{text}");
    // Saving makes it the file again and clears the recovery.
    h.state_mut().save_to(&origin).expect("saved");
    assert!(recovery_files(&dir).is_empty());
    let (saved, _) =
        file::from_str(&std::fs::read_to_string(&origin).expect("saved")).expect("a model file");
    assert_eq!(saved.name, "unsaved work");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn closing_the_window_while_the_offer_is_up_keeps_the_work() {
    let dir = scratch("close");
    let origin = model_file(&dir, "origin");
    let kept = crashed_window(&dir, &origin, "keep me");
    let before = std::fs::read(&kept).expect("kept");

    let mut h = start(&dir, None);
    assert!(shows(&h, "Restore unsaved work?"));
    h.input_mut()
        .viewports
        .entry(ViewportId::ROOT)
        .or_default()
        .events
        .push(ViewportEvent::Close);
    h.run();
    drop(h);
    assert_eq!(std::fs::read(&kept).expect("still there"), before);

    // The next window offers it again.
    let h = start(&dir, None);
    assert_eq!(h.state().recovery_offers(), 1);
    assert!(shows(&h, "Restore unsaved work?"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn discarding_deletes_the_work_only_when_asked() {
    let dir = scratch("discard");
    let origin = model_file(&dir, "origin");
    let kept = crashed_window(&dir, &origin, "not wanted");
    let mut h = start(&dir, None);
    assert!(kept.exists());
    h.get_by_label("Discard").click();
    h.run();
    assert!(!kept.exists(), "discarded on the user's word");
    assert_eq!(h.state().recovery_offers(), 0);
    assert!(shows(&h, "Welcome to Weir"), "then the start screen");
    assert_eq!(
        std::fs::read_to_string(&origin).expect("untouched"),
        file::to_string(&Model::new("origin"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_window_never_takes_or_overwrites_a_running_ones_work() {
    let dir = scratch("two-windows");
    let first_file = model_file(&dir, "first");
    let mut first = start(&dir, Some(&first_file));
    edit_and_autosave(&mut first, "first's work");
    let first_kept = first
        .state()
        .recovery_path()
        .expect("its own")
        .to_path_buf();
    let before = std::fs::read(&first_kept).expect("kept");

    let mut second = start(&dir, None);
    assert_eq!(
        second.state().recovery_offers(),
        0,
        "a running window's work is not a crash"
    );
    assert!(!shows(&second, "Restore unsaved work?"));
    edit_and_autosave(&mut second, "second's work");
    let second_kept = second
        .state()
        .recovery_path()
        .expect("its own")
        .to_path_buf();
    assert_ne!(first_kept, second_kept);
    assert_eq!(
        std::fs::read(&first_kept).expect("kept"),
        before,
        "not overwritten"
    );

    // The second window closes cleanly: only its own file goes.
    second
        .state_mut()
        .save_to(&dir.join("second.ron"))
        .expect("saved");
    drop(second);
    assert_eq!(recovery_files(&dir), std::slice::from_ref(&first_kept));
    assert_eq!(std::fs::read(&first_kept).expect("kept"), before);
    drop(first);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn restoring_over_unsaved_changes_asks_first() {
    let dir = scratch("two-offers");
    let origin = model_file(&dir, "origin");
    let one = crashed_window(&dir, &origin, "one");
    // File times order the offers, oldest first.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let two = crashed_window(&dir, &origin, "two");

    let mut h = start(&dir, None);
    assert_eq!(h.state().recovery_offers(), 2);
    h.get_by_label("Restore").click();
    h.run();
    assert_eq!(h.state().model().name, "one");
    assert!(!one.exists() && two.exists());
    // The second offer would replace the restored, unsaved work: asked.
    assert!(shows(&h, "Restore unsaved work?"));
    h.get_by_label("Restore").click();
    h.run();
    assert!(shows(&h, "Unsaved changes"));
    h.get_by_label("Cancel").click();
    h.run();
    assert_eq!(h.state().model().name, "one", "nothing replaced");
    assert!(two.exists(), "the offer stays");
    assert!(shows(&h, "Restore unsaved work?"), "and is asked again");
    h.get_by_label("Restore").click();
    h.run();
    h.get_by_label("Don't save").click();
    h.run();
    assert_eq!(h.state().model().name, "two");
    assert!(!two.exists());
    assert_eq!(h.state().recovery_offers(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unreadable_recovery_is_shown_and_set_aside_never_deleted() {
    let dir = scratch("unreadable");
    let broken = dir.join("recovery-1-1-0.ron");
    let text = "// Weir recovery: unsaved work, kept until it is saved, restored or discarded.\n// origin: none\n(version: 1, name: ";
    std::fs::write(&broken, text).expect("written");
    let mut h = start(&dir, None);
    assert_eq!(h.state().recovery_offers(), 1);
    assert!(shows(&h, "Unsaved work could not be read"));
    assert!(!shows(&h, "Welcome to Weir"));
    assert!(broken.exists(), "nothing moves before the user answers");
    h.get_by_label("Keep it aside").click();
    h.run();
    let aside = dir.join("unreadable-recovery-1-1-0.ron");
    assert_eq!(std::fs::read_to_string(&aside).expect("kept aside"), text);
    assert!(!broken.exists());
    assert_eq!(h.state().recovery_offers(), 0);
    drop(h);
    // Set aside: not offered again.
    let h = start(&dir, None);
    assert_eq!(h.state().recovery_offers(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_save_is_reported_and_leaves_the_file() {
    let dir = scratch("failed-save");
    let mut h = start(&dir, None);
    edit_and_autosave(&mut h, "work");
    let err = h
        .state_mut()
        .save_to(&dir)
        .expect_err("a folder cannot be saved over");
    assert!(format!("{err:#}").contains("it is a folder"), "{err:#}");
    assert!(h.state().is_dirty(), "still unsaved");
    assert_eq!(
        recovery_files(&dir).len(),
        1,
        "the unsaved work is still kept"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn saving_a_linked_model_keeps_the_link() {
    let dir = scratch("linked");
    let real = model_file(&dir, "real");
    let link = dir.join("link.ron");
    std::os::unix::fs::symlink(&real, &link).expect("a link");
    let mut h = start(&dir, Some(&link));
    edit_and_autosave(&mut h, "through the link");
    h.state_mut().save_to(&link).expect("saved");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("exists")
            .file_type()
            .is_symlink()
    );
    let (saved, _) =
        file::from_str(&std::fs::read_to_string(&real).expect("saved")).expect("a model");
    assert_eq!(saved.name, "through the link");
    let _ = std::fs::remove_dir_all(&dir);
}
