//! A frame of the window with a big drawing running flat out: the
//! canvas, the live marks and the charts built, then tessellated, as the
//! window does sixty times a second.
//!
//! `cargo bench -p weir-tests --bench frame` — criterion reports the time
//! of one frame for:
//! - `frame200`, `frame1000`: 200 and 1,000 nodes in chains of five
//!   (producer, queue, consumer, topic, sink), framed whole, run to the
//!   end in the background while the frames are drawn, a consumer's
//!   charts open. The target for 1,000 nodes is 8 ms at the 95th
//!   percentile (`live_speed_with_200_nodes` in the integration tests
//!   gives the percentiles).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use eframe::egui::Vec2;
use egui_kittest::Harness;
use weir::gui::{LiveAction, WeirApp};

fn frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame");
    group.sample_size(20);
    for nodes in [200, 1_000] {
        let model = weir_tests::big_model(nodes / 5);
        let mut h = Harness::builder()
            .with_size(Vec2::new(1280.0, 800.0))
            .with_accessibility_check(false)
            .build_eframe(|_| WeirApp::from_model(model, None));
        h.run();
        h.state_mut().select_ids(&["c7"]);
        let ctx = h.ctx.clone();
        h.state_mut().live_action(&ctx, LiveAction::RunToEnd);
        h.step();
        group.bench_function(format!("frame{nodes}"), |b| {
            b.iter(|| {
                h.step();
                let output = h.output().clone();
                black_box(h.ctx.tessellate(output.shapes, output.pixels_per_point))
            });
        });
    }
    group.finish();
}

criterion_group!(frame, frames);
criterion_main!(frame);
