//! The message inspector over the real app: a live run of the retries
//! example lists its sampled messages; picking a retried one shows its
//! journey as a waterfall whose rows are that journey's hops, with its
//! attempts and backoff; a node name on a row frames that node.

use eframe::egui::Vec2;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use weir::gui::WeirApp;

use crate::harness::{Window, harness, until};
use weir::gui::journeys::{MessagesView, end_label, hop_label, row_title};
use weir::live::{Command, JourneyRef, JourneySummary, LiveFrame};

const RETRIES: &str = include_str!("../../examples/retries-dead-letter.ron");

/// The app on the retries example, after its first frame.
fn retries_app() -> Harness<'static, WeirApp> {
    // NOTE: frames of 1/60 s, as on screen, so a dot moves a few points
    // between two frames.
    let window = Window {
        size: Vec2::new(1500.0, 950.0),
        step_dt: Some(1.0 / 60.0),
        ..Window::default()
    };
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(RETRIES), None),
        window,
    );
    h.run();
    h
}

/// How many widgets carry exactly this label.
fn count(h: &Harness<'_, WeirApp>, label: &str) -> usize {
    h.query_all_by_label(label).count()
}

#[test]
fn the_messages_window_lists_sampled_messages_and_shows_a_retried_ones_waterfall() {
    let mut h = retries_app();
    h.get_by_role_and_label(Role::Button, "Step").click();
    until(&mut h, "the live run", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().snapshot.now.as_nanos() > 0)
    });
    // 40 payments a second for a minute: about 48 followed (one in 50).
    for _ in 0..600 {
        h.state().live().expect("live").send(Command::Step);
    }
    until(&mut h, "a minute of simulated time", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().snapshot.now.as_secs_f64() >= 60.0)
    });
    assert!(
        h.query_by_label("Messages").is_some(),
        "the toolbar offers the inspector"
    );
    h.get_by_role_and_label(Role::Button, "Messages").click();
    h.step();
    h.step();
    // It opens docked along the bottom, leaving the canvas's middle free.
    let centre = h.state().canvas_rect().center();
    assert!(
        h.ctx
            .layer_id_at(centre)
            .is_some_and(|layer| layer.order == egui::Order::Background),
        "the Messages window covers the middle of the canvas at {centre:?}"
    );
    // Nor does it cover the inspector beside the canvas, when the canvas
    // is wide enough for it.
    let canvas = h.state().canvas_rect();
    if canvas.width() > 700.0 {
        let beside = egui::pos2(canvas.right() + 24.0, canvas.bottom() - 24.0);
        assert!(
            h.ctx
                .layer_id_at(beside)
                .is_some_and(|layer| layer.order == egui::Order::Background),
            "the Messages window covers the inspector at {beside:?}"
        );
    }

    let journeys: Vec<JourneySummary> = h.state().live().expect("live").frame().journeys.clone();
    assert!(journeys.len() >= 20, "{} sampled messages", journeys.len());
    // Newest first, each listed by its event type and key.
    assert!(journeys.windows(2).all(|w| w[0].at.id > w[1].at.id));
    for s in &journeys {
        assert!(
            h.query_by_label_contains(&row_title(s)).is_some(),
            "{} is listed",
            row_title(s)
        );
    }

    // A payment that failed at least once and then completed.
    let retried = journeys
        .iter()
        .find(|s| s.attempts >= 2 && end_is(s, "completed"))
        .expect("a retried payment among the sampled ones")
        .clone();
    h.get_by_label_contains(&row_title(&retried)).click();
    until(&mut h, "the journey", |h| {
        h.state()
            .live()
            .and_then(|l| l.frame().inspected.as_ref())
            .is_some_and(|i| i.at == retried.at)
    });
    h.step();
    let live = h.state().live().expect("live");
    let journey = live
        .frame()
        .inspected
        .as_ref()
        .expect("inspected")
        .journey
        .clone();
    let name = |i: u32| -> String {
        let id = &live.frame().snapshot.nodes[i as usize].id;
        let model = h.state().model();
        model.graph[model.find(id).expect("node")]
            .label()
            .to_owned()
    };
    // One row per hop: each hop's description shows as often as the
    // journey has it.
    for hop in &journey.hops {
        let label = hop_label(hop.kind, &name);
        let times = journey
            .hops
            .iter()
            .filter(|h| hop_label(h.kind, &name) == label)
            .count();
        assert_eq!(count(&h, &label), times, "rows saying '{label}'");
    }
    // The attempts and the backoff between them are there.
    assert_eq!(count(&h, "attempt 1 failed"), 1);
    assert_eq!(count(&h, "backoff after attempt 1"), 1);
    let last = format!("attempt {}", retried.attempts);
    assert_eq!(count(&h, &last), 1, "the attempt that succeeded");
    assert!(
        h.query_by_label(&end_label(journey.end, &name)).is_some(),
        "how it ended"
    );
    // Each row names its node as a link; one frames that node.
    let payment_rows = journey
        .hops
        .iter()
        .filter(|h| name(h.node) == "Payment service")
        .count();
    let links = h
        .query_all_by_label("Payment service")
        .filter(|n| n.accesskit_node().role() == Role::Link)
        .count();
    assert_eq!(
        links, payment_rows,
        "one link per row at the payment service"
    );
    h.query_all_by_label("Ledger")
        .find(|n| n.accesskit_node().role() == Role::Link)
        .expect("a link to the ledger")
        .click();
    h.step();
    h.step();
    assert_eq!(h.state().selected_ids(), ["ledger"]);
}

fn end_is(s: &JourneySummary, key: &str) -> bool {
    s.end.key() == key
}

#[test]
fn clicking_the_dot_of_a_sampled_message_opens_its_journey() {
    let mut h = retries_app();
    h.get_by_role_and_label(Role::Button, "Play live").click();
    // Followed messages' dots wear a ring and can be clicked.
    until(&mut h, "the dot of a sampled message", |h| {
        h.state()
            .live()
            .is_some_and(|l| !l.sampled_dots().is_empty())
    });
    let (pos, msg_id) = h.state().live().expect("live").sampled_dots()[0];
    // Press and release on the dot as the last frame showed it.
    h.hover_at(pos);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::default(),
        });
    }
    until(&mut h, "the clicked message's journey", |h| {
        h.state()
            .live()
            .and_then(|l| l.frame().inspected.as_ref())
            .is_some_and(|i| i.journey.msg_id == msg_id)
    });
    assert!(
        h.query_all_by_label("Messages").count() >= 2,
        "the toolbar button and the window's title"
    );
}

/// A sampled message as the list shows it, number `id`, in flight.
fn summary(id: u32) -> JourneySummary {
    JourneySummary {
        at: JourneyRef { recording: 1, id },
        msg_id: u64::from(id),
        event_type: "order".to_owned(),
        key: id * 7,
        created: sim_core::time::SimTime(u64::from(id) * 1_000_000),
        node: 0,
        doing: "wait",
        end: sim_core::journey::JourneyEnd::InFlight,
        attempts: 1,
        visited: vec![0],
        abandoned: false,
    }
}

#[test]
fn the_message_list_holds_still_under_the_pointer() {
    let mut frame = LiveFrame::default();
    frame.journeys = (1..=6).rev().map(summary).collect();
    let mut h = Harness::builder()
        .with_size(Vec2::new(900.0, 500.0))
        .with_accessibility_check(false)
        .build_ui_state(
            |ui, (view, frame): &mut (MessagesView, LiveFrame)| {
                let _ = view.ui(ui, frame, &|_| "queue".to_owned());
            },
            (MessagesView::default(), frame),
        );
    h.run();
    let row = |h: &Harness<'_, (MessagesView, LiveFrame)>, id: u32| {
        h.query_all_by_label_contains(&row_title(&summary(id)))
            .find(|n| n.accesskit_node().role() == Role::Button)
            .map(|n| n.rect())
    };
    let before = row(&h, 3).expect("#3 is listed");
    h.get_by_label_contains(&row_title(&summary(3))).hover();
    h.run();

    // Two newer messages arrive while the pointer rests on #3.
    for id in [7, 8] {
        h.state_mut().1.journeys.insert(0, summary(id));
        let mut progressed = summary(3);
        progressed.doing = "process";
        h.state_mut().1.journeys[5] = progressed;
        h.run();
    }
    assert_eq!(row(&h, 3), Some(before), "#3 stayed under the pointer");
    assert!(row(&h, 8).is_none(), "the newer ones wait");
    assert!(
        h.query_by_label_contains("2 newer not shown").is_some(),
        "and the window says so"
    );
    assert!(
        h.query_by_label_contains("process at queue").is_some(),
        "a held row still shows where its message is now"
    );
    // A click picks the row under the pointer.
    h.get_by_label_contains(&row_title(&summary(3))).click();
    // NOTE: steps, not `run`: a spinner turns until the journey comes.
    h.run_steps(3);
    assert_eq!(
        h.state().0.selected,
        Some(JourneyRef {
            recording: 1,
            id: 3
        })
    );

    // The pointer leaves: the list shows the newest first again.
    h.hover_at(egui::pos2(890.0, 490.0));
    h.run_steps(3);
    let newest = row(&h, 8).expect("#8 is listed now");
    assert!(newest.top() < row(&h, 3).expect("#3").top(), "newest first");
}
