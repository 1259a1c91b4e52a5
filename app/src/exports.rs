//! Every export by name, for `weir export` and the window's File → Export:
//! the text formats of `sim_core::export` (some run the model first) and
//! the pictures of the canvas (SVG, PNG).

use std::fmt;
use std::str::FromStr;

use anyhow::{Context as _, Result};
use sim_core::Model;
use sim_core::export::Format;

use crate::picture::{self, Look};

/// One export: a format of `sim-core` or a picture of the canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Text(Format),
    Svg,
    Png,
}

impl Target {
    /// Every export, in menu order.
    pub fn all() -> Vec<Self> {
        Format::ALL
            .into_iter()
            .map(Self::Text)
            .chain([Self::Svg, Self::Png])
            .collect()
    }

    /// The name on the command line (`--format svg`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Text(format) => format.name(),
            Self::Svg => "svg",
            Self::Png => "png",
        }
    }

    /// The usual file name ending, without the dot.
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Text(format) => format.extension(),
            Self::Svg => "svg",
            Self::Png => "png",
        }
    }

    /// A menu entry.
    pub fn label(self) -> String {
        match self {
            Self::Text(format) => match format.name() {
                "asyncapi" => "AsyncAPI 3.0 (YAML)…".to_owned(),
                "asyncapi-json" => "AsyncAPI 3.0 (JSON)…".to_owned(),
                "dot" => "Graphviz DOT…".to_owned(),
                "mermaid" => "Mermaid flowchart…".to_owned(),
                "terraform" => "Terraform (AWS)…".to_owned(),
                "json" => "Run report (JSON)…".to_owned(),
                "csv" => "Run report (CSV)…".to_owned(),
                other => format!("{other}…"),
            },
            Self::Svg => "Canvas picture (SVG)…".to_owned(),
            Self::Png => "Canvas picture (PNG)…".to_owned(),
        }
    }

    /// Whether the model must run first (the export describes a run).
    pub const fn needs_run(self) -> bool {
        match self {
            Self::Text(format) => format.needs_report(),
            Self::Svg | Self::Png => false,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::all()
            .into_iter()
            .find(|t| t.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::all().into_iter().map(Target::name).collect();
                format!(
                    "unknown export format '{text}'; expected one of: {}",
                    names.join(", ")
                )
            })
    }
}

/// How pictures look.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PictureOptions {
    pub look: Look,
    /// PNG pixels per canvas point.
    pub scale: f32,
}

impl Default for PictureOptions {
    fn default() -> Self {
        Self {
            look: Look::Light,
            scale: 2.0,
        }
    }
}

/// The export's bytes. Formats that describe a run run the model's
/// scenario here, in the calling thread (replications on worker threads).
pub fn export_bytes(model: &Model, target: Target, options: PictureOptions) -> Result<Vec<u8>> {
    use sim_core::export::{export, export_report};
    Ok(match target {
        Target::Text(format) if format.needs_report() => {
            let report = crate::runner::run_all(model, |_, _| {})
                .map_err(|e| anyhow::anyhow!("the run failed: {e}"))?;
            export_report(&report, format)?.into_bytes()
        }
        Target::Text(format) => export(model, format)?.into_bytes(),
        Target::Svg => picture::canvas_svg(model, options.look).into_bytes(),
        Target::Png => picture::canvas_png(model, options.look, options.scale)
            .context("cannot draw the canvas")?,
    })
}
