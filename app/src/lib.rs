//! Weir, the application: the desktop GUI (eframe/egui) and the headless
//! command line (`weir run`, `weir check`). The simulation itself lives in
//! `sim-core`.

pub mod animation;
pub mod assets;
pub mod cli;
pub mod comparing;
pub mod examples;
pub mod exports;
pub mod gui;
pub mod html;
pub mod importing;
pub mod lessons;
pub mod live;
pub mod picture;
pub mod plots;
pub mod runner;
pub mod serve;
pub mod sharding;
pub mod sweeping;
pub mod tables;
