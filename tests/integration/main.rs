//! Weir's workspace integration tests, compiled as one binary.

mod bad_input;
mod behaviour;
mod cli;
mod docs;
mod event_processing;
mod examples;
mod export;
mod extremes;
mod fuzz;
mod gui;
mod hardening_cli;
mod hardening_engine;
mod hardening_validation;
mod harness;
mod inspector;
mod legibility;
mod live;
mod picture;
mod properties;
mod recovery;
mod theory;
