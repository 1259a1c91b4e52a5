//! Importing in the window: File → Import… offers it, documents dropped on
//! the window are imported (a model dropped is opened), several AsyncAPI
//! documents become one new unsaved design whose problems list says what
//! the import inferred, and a Mermaid sketch becomes a design too.

use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use weir::gui::WeirApp;

use crate::harness::{Window, harness};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/asyncapi")
}

fn app() -> Harness<'static, WeirApp> {
    let mut h = harness(
        WeirApp::from_model(sim_core::Model::new("Untitled"), None),
        Window::default(),
    );
    h.run();
    h
}

fn node_names(h: &Harness<'_, WeirApp>) -> Vec<String> {
    let model = h.state().model();
    model
        .graph
        .node_indices()
        .map(|n| model.graph[n].label().to_owned())
        .collect()
}

/// A file dropped on the window, as the platform hands it over.
#[derive(Debug)]
struct OnDisk(PathBuf);

impl egui::DroppedFile for OnDisk {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn the_file_menu_offers_import() {
    let mut h = app();
    h.get_by_label("File").click();
    h.run();
    assert!(h.query_by_label("Import…").is_some());
}

#[test]
fn a_folder_of_services_becomes_one_design_with_what_was_inferred() {
    let mut h = app();
    h.state_mut().import_paths(&[fixtures().join("social")]);
    h.run();
    let names = node_names(&h);
    assert!(
        names.len() >= 8,
        "the services' nodes and their brokers: {names:?}"
    );
    let app = h.state();
    assert!(app.path().is_none(), "a new design, not yet saved");
    assert!(
        app.origin().contains("imported from social"),
        "{}",
        app.origin()
    );
    let notes: Vec<String> = app.diagnostics().iter().map(ToString::to_string).collect();
    assert!(
        notes.iter().any(|n| n.contains("from")),
        "the problems list says what was inferred and from what: {notes:?}"
    );
    let errors: Vec<String> = sim_core::validate::validate(h.state().model())
        .into_iter()
        .filter(sim_core::validate::Diagnostic::is_error)
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "the imported design runs: {errors:?}");
}

#[test]
fn a_dropped_sketch_is_imported_and_a_bad_one_says_why() {
    let dir = std::env::temp_dir().join(format!("weir-import-gui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let sketch = dir.join("flow.mmd");
    std::fs::write(
        &sketch,
        "flowchart LR\n  orders[Orders API] --> q[(order queue)] --> worker[Order worker] --> done[Done]\n",
    )
    .expect("written");
    let mut h = app();
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(OnDisk(sketch.clone())));
    h.run();
    h.run();
    let names = node_names(&h);
    assert!(
        ["Orders API", "order queue", "Order worker", "Done"]
            .iter()
            .all(|n| names.iter().any(|m| m == n)),
        "{names:?}"
    );

    let broken = dir.join("broken.yaml");
    std::fs::write(&broken, "asyncapi: [unclosed\n").expect("written");
    h.state_mut().import_paths(&[broken]);
    h.run();
    assert!(
        h.query_by_label_contains("broken.yaml").is_some(),
        "the error names the file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
