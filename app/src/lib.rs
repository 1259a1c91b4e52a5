//! Weir, the application: the desktop GUI (eframe/egui) and the headless
//! command line (`weir run`, `weir check`). The simulation itself lives in
//! `sim-core`. Built for wasm32 (the web build, `web/`), it is the window
//! without the command line.

pub mod animation;
pub mod assets;
pub mod background;
#[cfg(not(target_arch = "wasm32"))]
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
#[cfg(not(target_arch = "wasm32"))]
pub mod serve;
#[cfg(not(target_arch = "wasm32"))]
pub mod sharding;
pub mod sweeping;
pub mod tables;
