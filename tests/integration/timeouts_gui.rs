//! Time limits in the inspector: a producer becomes a client with a retry
//! budget, a consumer's call gets a timeout, a service cancels abandoned
//! calls and a queue sheds load, each an undoable edit; the live legend
//! explains the mark of a message nobody waits for.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::nodes::{Cancel, NodeKind, RetryBudget, Shedding};
use sim_core::time::Duration;
use weir::gui::WeirApp;

use crate::harness::{Window, harness};

const MODEL: &str = r#"(
    version: 1,
    name: "time limits",
    scenario: (duration: "60s", seed: 8),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
        (id: "q", kind: Queue()),
        (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
        (id: "db", kind: Service(latency: Exponential(mean: "20ms"), concurrency: 4)),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "db")],
)"#;

fn app() -> Harness<'static, WeirApp> {
    let window = Window {
        size: egui::Vec2::new(1400.0, 1300.0),
        ..Window::default()
    };
    let mut h = harness(WeirApp::from_model(weir_tests::model(MODEL), None), window);
    h.run();
    h
}

fn kind(h: &Harness<'_, WeirApp>, id: &str) -> NodeKind {
    let model = h.state().model();
    model.graph[model.find(id).expect("the node")].kind.clone()
}

fn settle(h: &mut Harness<'_, WeirApp>) {
    h.run();
    h.run();
}

#[test]
fn a_producer_becomes_a_client_with_a_retry_budget_and_back() {
    let mut h = app();
    h.state_mut().select_ids(&["src"]);
    h.run();
    h.get_by_role_and_label(Role::CheckBox, "Waits for answers")
        .click();
    settle(&mut h);
    let NodeKind::Producer(p) = kind(&h, "src") else {
        panic!("a producer")
    };
    let client = p.client.expect("a client now");
    assert_eq!(client.timeout, Duration::from_secs(1));
    assert_eq!(client.budget, None);
    h.get_by_role_and_label(Role::CheckBox, "Retry budget")
        .click();
    settle(&mut h);
    let NodeKind::Producer(p) = kind(&h, "src") else {
        panic!("a producer")
    };
    assert_eq!(
        p.client.expect("still a client").budget,
        Some(RetryBudget::default()),
        "the AWS SDKs' quota to start from"
    );
    assert!(h.query_by_label("Client timeout").is_some());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    let NodeKind::Producer(p) = kind(&h, "src") else {
        panic!("a producer")
    };
    assert_eq!(p.client, None, "two undos take both edits away");
}

#[test]
fn a_call_timeout_and_cancellation_are_set_where_they_belong() {
    let mut h = app();
    h.state_mut().select_ids(&["srv"]);
    h.run();
    assert!(
        h.query_by_label("waits for the service without limit")
            .is_some()
    );
    h.get_by_role_and_label(Role::CheckBox, "Call timeout")
        .click();
    settle(&mut h);
    let NodeKind::Consumer(c) = kind(&h, "srv") else {
        panic!("a consumer")
    };
    assert_eq!(c.call_timeout, Some(Duration::from_secs(1)));

    h.state_mut().select_ids(&["db"]);
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Abandoned calls")
        .click();
    h.run();
    h.get_by_label(Cancel::AtOnce.label()).click();
    settle(&mut h);
    let NodeKind::Service(s) = kind(&h, "db") else {
        panic!("a service")
    };
    assert_eq!(s.cancel, Cancel::AtOnce);
}

#[test]
fn a_queue_is_told_to_shed_with_codel() {
    let mut h = app();
    h.state_mut().select_ids(&["q"]);
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Shedding").click();
    h.run();
    h.get_by_label(
        Shedding::CoDel {
            target: Duration::ZERO,
            interval: Duration::ZERO,
        }
        .label(),
    )
    .click();
    settle(&mut h);
    let NodeKind::Queue(q) = kind(&h, "q") else {
        panic!("a queue")
    };
    assert_eq!(
        q.shed,
        Shedding::CoDel {
            target: Duration::from_millis(5),
            interval: Duration::from_millis(100),
        },
        "CoDel's own defaults"
    );
}
