//! What the window does for a browser page, tested on the desktop build
//! (the same code): the page's address opens a lesson or an example and
//! may start the run; files the browser uploads open or are imported,
//! after asking about unsaved changes; an address Weir cannot read says so.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::model::ModelCommand;
use weir::gui::WeirApp;
use weir::gui::web::Upload;

use crate::harness::{Window, harness, until};

fn app() -> Harness<'static, WeirApp> {
    let mut h = harness(
        WeirApp::from_model(sim_core::Model::new("Untitled"), None),
        Window::default(),
    );
    h.run();
    h
}

#[test]
fn an_address_opens_a_lesson_and_plays_it() {
    let mut h = app();
    h.state_mut().open_address("#lesson=01-hockey-stick&play");
    h.step();
    let lesson = h.state().lesson().expect("the lesson is open");
    assert_eq!(lesson.file, "01-hockey-stick.ron");
    until(&mut h, "the live run plays", |h| {
        h.state()
            .live()
            .is_some_and(weir::gui::session::LiveSession::playing)
    });
    assert!(
        h.state().title().contains("hockey stick"),
        "{}",
        h.state().title()
    );

    let mut h = app();
    h.state_mut().open_address("example=backpressure");
    h.run();
    assert_eq!(h.state().origin(), "example: backpressure.ron");
    assert!(h.state().live().is_none(), "without &play nothing runs");
}

#[test]
fn an_address_weir_cannot_read_is_said_over_the_page() {
    let mut h = app();
    h.state_mut().open_address("#lesson=nope");
    h.run();
    assert!(
        h.query_by_label_contains("“nope”, which Weir does not have")
            .is_some(),
        "the error dialog says what the address asked and what there is"
    );
}

#[test]
fn an_uploaded_model_opens_under_its_file_name() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/pipeline.ron"
    ))
    .expect("an example");
    let mut h = app();
    h.state_mut().take_upload(Upload::Open {
        name: "my-design.ron".to_owned(),
        text,
    });
    h.run();
    let app = h.state();
    assert_eq!(
        app.path().map(|p| p.display().to_string()).as_deref(),
        Some("my-design.ron"),
        "Save downloads it under the name it came with"
    );
    assert!(app.title().starts_with("my-design.ron"), "{}", app.title());
    assert!(!app.is_dirty());
    assert!(app.model().graph.node_count() > 3);

    let mut h = app_with_an_edit();
    h.state_mut().take_upload(Upload::Open {
        name: "broken.ron".to_owned(),
        text: "(version: 1, nodes: [".to_owned(),
    });
    h.run();
    assert!(
        h.query_by_label("Unsaved changes").is_some(),
        "unsaved work is asked about first"
    );
    h.get_by_label("Don't save").click();
    h.run();
    h.run();
    assert!(
        h.query_by_label_contains("cannot open broken.ron")
            .is_some(),
        "a file that does not read says which and why"
    );
}

/// The app with an edit not yet saved.
fn app_with_an_edit() -> Harness<'static, WeirApp> {
    let mut h = app();
    let mut scenario = h.state().model().scenario.clone();
    scenario.seed += 1;
    h.state_mut()
        .apply_edit(ModelCommand::SetScenario(scenario))
        .expect("an edit");
    h.run();
    assert!(h.state().is_dirty());
    h
}

#[test]
fn uploaded_documents_are_imported() {
    let mut h = app();
    h.state_mut().take_upload(Upload::Import(vec![(
        "flow.mmd".to_owned(),
        "flowchart LR\n  api[Orders API] --> q[(order queue)] --> w[Order worker]\n".to_owned(),
    )]));
    h.run();
    let model = h.state().model();
    assert_eq!(model.graph.node_count(), 3);
    assert!(h.state().origin().contains("imported from flow.mmd"));
    assert!(h.state().path().is_none(), "a new design, not yet saved");
}

#[test]
fn every_address_the_readme_hands_out_opens_something() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README");
    let addresses: Vec<&str> = readme
        .match_indices('#')
        .map(|(i, _)| &readme[i..])
        .filter(|rest| rest.starts_with("#lesson=") || rest.starts_with("#example="))
        .map(|rest| rest.split(['`', ' ', ')', '\n']).next().unwrap_or(rest))
        // `#lesson=…` is the pattern, not an address.
        .filter(|address| !address.contains('…'))
        .collect();
    assert!(
        addresses.len() >= 3,
        "the README shows addresses: {addresses:?}"
    );
    for address in addresses {
        let read = weir::gui::web::read_address(address)
            .unwrap_or_else(|e| panic!("README's {address}: {e}"));
        assert!(read.open.is_some(), "{address} opens a document");
    }
}
