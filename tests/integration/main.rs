//! Weir's workspace integration tests, compiled as one binary.

mod bad_input;
mod behaviour;
mod cli;
mod docs;
mod event_processing;
mod examples;
mod extremes;
mod export;
mod fuzz;
mod gui;
mod hardening_validation;
mod harness;
// Standard output on /dev/full and peak memory from /proc are Linux's.
#[cfg(target_os = "linux")]
mod hardening_cli;
mod inspector;
mod live;
mod picture;
mod properties;
mod recovery;
mod theory;
