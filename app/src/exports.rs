//! Every export by name, for `weir export` and the window's File → Export:
//! the text formats of `sim_core::export` (some run the model first) and
//! the pictures of the canvas (SVG, PNG), the live view as an animated
//! GIF and the self-contained HTML report.

use std::fmt;
use std::str::FromStr;

use anyhow::{Context as _, Result};
use sim_core::Model;
use sim_core::export::Format;

use sim_core::time::Duration;

use crate::animation::GifOptions;
use crate::picture::{self, Look};

/// One export: a format of `sim-core` or a picture of the canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Text(Format),
    Svg,
    Png,
    /// The objectives' verdicts after the scenario's replications, as a
    /// table picture.
    VerdictsSvg,
    VerdictsPng,
    /// The live view of a run as an animated GIF ([`crate::animation`]).
    Gif,
    /// The run's report as one HTML page that needs nothing else
    /// ([`crate::html`]).
    Html,
}

impl Target {
    /// Every export, in menu order.
    pub fn all() -> Vec<Self> {
        Format::ALL
            .into_iter()
            .map(Self::Text)
            .chain([
                Self::Svg,
                Self::Png,
                Self::VerdictsSvg,
                Self::VerdictsPng,
                Self::Gif,
                Self::Html,
            ])
            .collect()
    }

    /// The name on the command line (`--format svg`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Text(format) => format.name(),
            Self::Svg => "svg",
            Self::Png => "png",
            Self::VerdictsSvg => "slos-svg",
            Self::VerdictsPng => "slos-png",
            Self::Gif => "gif",
            Self::Html => "html",
        }
    }

    /// The usual file name ending, without the dot.
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Text(format) => format.extension(),
            Self::Svg | Self::VerdictsSvg => "svg",
            Self::Png | Self::VerdictsPng => "png",
            Self::Gif => "gif",
            Self::Html => "html",
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
                "terraform-azure" => "Terraform (Azure: Service Bus, Event Hubs)…".to_owned(),
                "terraform-gcp" => "Terraform (Google Cloud: Pub/Sub)…".to_owned(),
                "kafka" => "Kafka topics (kafka-topics.sh)…".to_owned(),
                "prometheus-rules" => "Prometheus alerting rules (YAML)…".to_owned(),
                "series" => "Time series of a run (CSV)…".to_owned(),
                "json" => "Run report (JSON)…".to_owned(),
                "csv" => "Run report (CSV)…".to_owned(),
                "chrome-trace" => "Message traces (Chrome trace, Perfetto)…".to_owned(),
                "otlp" => "Message traces (OpenTelemetry OTLP/JSON)…".to_owned(),
                other => format!("{other}…"),
            },
            Self::Svg => "Canvas picture (SVG)…".to_owned(),
            Self::Png => "Canvas picture (PNG)…".to_owned(),
            Self::VerdictsSvg => "Objectives' verdicts (SVG)…".to_owned(),
            Self::VerdictsPng => "Objectives' verdicts (PNG)…".to_owned(),
            Self::Gif => "Live view of the run (animated GIF)…".to_owned(),
            Self::Html => "Run report (HTML page)…".to_owned(),
        }
    }

    /// Whether the export describes sampled message journeys.
    pub const fn needs_trace(self) -> bool {
        match self {
            Self::Text(format) => format.needs_trace(),
            Self::Svg
            | Self::Png
            | Self::VerdictsSvg
            | Self::VerdictsPng
            | Self::Gif
            | Self::Html => false,
        }
    }

    /// Whether the model must run first (the export describes a run).
    pub const fn needs_run(self) -> bool {
        match self {
            Self::Text(format) => {
                format.needs_report() || format.needs_trace() || format.needs_run()
            }
            Self::VerdictsSvg | Self::VerdictsPng | Self::Gif | Self::Html => true,
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

/// How exports are made: how pictures look, how traces sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PictureOptions {
    pub look: Look,
    /// PNG pixels per canvas point.
    pub scale: f32,
    /// Traces (chrome-trace, otlp): follow one event in this many.
    pub sample: u64,
    /// The animated live view (gif): its first instant, its end (by
    /// default [`DEFAULT_GIF_LENGTH`] later, or the run's end) and its
    /// frames a second.
    pub from: Duration,
    pub to: Option<Duration>,
    pub fps: u32,
}

/// How much of the run an animation shows unless told.
pub const DEFAULT_GIF_LENGTH: Duration = Duration::from_secs(10);

impl PictureOptions {
    /// The animation these options ask of `model`.
    pub fn gif(&self, model: &Model) -> GifOptions {
        let mut options = GifOptions::span(model, self.from, DEFAULT_GIF_LENGTH);
        if let Some(to) = self.to {
            options.to = to;
        }
        options.fps = self.fps;
        options.look = self.look;
        options
    }
}

impl Default for PictureOptions {
    fn default() -> Self {
        Self {
            look: Look::Light,
            scale: 2.0,
            sample: sim_core::journey::JourneyOptions::DEFAULT_EVERY,
            from: Duration::ZERO,
            to: None,
            fps: GifOptions::DEFAULT_FPS,
        }
    }
}

/// The export's bytes. Formats that describe a run run the model's
/// scenario here, in the calling thread (replications on worker threads).
pub fn export_bytes(model: &Model, target: Target, options: PictureOptions) -> Result<Vec<u8>> {
    use sim_core::export::{export, export_report, export_trace};
    use sim_core::journey::{JourneyOptions, record};
    Ok(match target {
        Target::Text(format) if format.needs_report() => {
            let report = crate::runner::run_all(model, |_, _| {})
                .map_err(|e| anyhow::anyhow!("the run failed: {e}"))?;
            export_report(&report, format)?.into_bytes()
        }
        Target::Text(format) if format.needs_trace() => {
            let journeys = JourneyOptions {
                every: options.sample,
                ..JourneyOptions::default()
            };
            let trace =
                record(model, journeys).map_err(|e| anyhow::anyhow!("the run failed: {e}"))?;
            export_trace(&trace, format)?.into_bytes()
        }
        Target::Text(format) if format.needs_run() => {
            // The run `weir run` reports as its first replication.
            let run = sim_core::run_once(model, model.scenario.seed)
                .map_err(|e| anyhow::anyhow!("the run failed: {e}"))?;
            sim_core::export::export_run(&run, format)?.into_bytes()
        }
        Target::Text(format) => export(model, format)?.into_bytes(),
        Target::Svg => picture::canvas_svg(model, options.look).into_bytes(),
        Target::Png => picture::canvas_png(model, options.look, options.scale)
            .context("cannot draw the canvas")?,
        Target::Gif => crate::animation::record(
            model,
            model.scenario.seed,
            options.gif(model),
            &mut |_, _| {},
        )?,
        Target::Html => crate::html::report_page(model, options.look)?.into_bytes(),
        Target::VerdictsSvg | Target::VerdictsPng => {
            if model.slos.is_empty() {
                anyhow::bail!(
                    "the model states no service level objectives (slos) to give verdicts on"
                );
            }
            let report = crate::runner::run_all(model, |_, _| {})
                .map_err(|e| anyhow::anyhow!("the run failed: {e}"))?;
            let svg = crate::tables::verdicts_svg(&report, options.look);
            if target == Target::VerdictsSvg {
                svg.into_bytes()
            } else {
                picture::svg_to_png(&svg, options.scale).context("cannot draw the verdicts")?
            }
        }
    })
}
