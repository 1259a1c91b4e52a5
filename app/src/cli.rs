//! The command line: `weir [FILE]` opens the GUI; `weir run` and
//! `weir check` work without a display.
//!
//! Nothing here prints with `println!`, which panics when standard output
//! fails: output goes through [`write_stdout`], whose errors end the
//! command. A reader that has gone (a closed pipe, as in `weir run X |
//! head -1`) ends it quietly with status 0, as Unix tools do; any other
//! failure (a full disk) with a message on standard error and status 2.
//! Every output path is checked before a run starts. Messages to standard
//! error go through [`say!`], which has nowhere to report its own failure
//! and drops it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration as WallDuration;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use sim_core::Model;
use sim_core::model::file;
use sim_core::report::MAX_REPLICATIONS;
use sim_core::shard::ShardSpec;
use sim_core::time::Duration;
use sim_core::validate::{Diagnostic, validate};

use crate::gui::files::write_atomic;

#[derive(Debug, Parser)]
#[command(
    name = "weir",
    version,
    about = "Design event-driven architectures and watch them run",
    long_about = "Design event-driven architectures and watch them run.\n\n\
                  With no subcommand, opens the designer (on FILE, or on a bundled example)."
)]
pub struct Cli {
    /// A model file to open in the designer.
    pub file: Option<PathBuf>,
    /// Open with the live simulation already running (kiosks, workshops).
    #[arg(long)]
    pub play: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a model headless and print a summary table (and the JSON report).
    Run(RunArgs),
    /// Check a model and print its diagnostics; exit status 1 on errors.
    Check {
        /// The model file.
        file: PathBuf,
    },
    /// Export a model (asyncapi, dot, …), its run's report (json, csv) or
    /// its sampled message journeys (chrome-trace, otlp).
    Export(ExportArgs),
    /// Import AsyncAPI documents (2.0–2.6, 3.x), one service each, as one
    /// model; prints what it inferred, defaulted or could not map, and with
    /// --into what changed. A Mermaid flowchart (`.mmd`, `.mermaid`, or
    /// text starting with `flowchart` or `graph`) becomes a model with
    /// default parameters.
    Import(ImportArgs),
    /// Fit a model's rates and service times to measurements: OTLP/JSON
    /// traces or a CSV of per-message timings. Writes the model with the
    /// fitted parameters and reports each fit and what matched nothing.
    Calibrate(CalibrateArgs),
    /// Compare two designs on the same seeds: paired differences with
    /// confidence intervals, and the objectives' verdicts side by side.
    Compare(CompareArgs),
    /// Find the cheapest setting of chosen knobs (instances, capacity, …)
    /// that meets every objective, every bound given and a utilisation
    /// headroom; prints the search path and what it ruled out.
    Plan(PlanArgs),
    /// Run a model over a range of parameter values: each point with its
    /// replications and confidence intervals, streamed as CSV or JSON
    /// lines, or drawn as a plot (one knob) or a heatmap (two).
    Sweep(SweepArgs),
    /// Merge the shards of a `weir run --shard` or `weir sweep --shard`
    /// job, given in any order, into the report one machine gives.
    Merge(MergeArgs),
    /// Serve the web build (its lessons and examples included) to a room
    /// over the local network, read-only, until stopped.
    Serve(crate::serve::ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Every shard of one job (`weir run … --shard I/N -o FILE`), once
    /// each, in any order.
    #[arg(required = true, value_name = "SHARD.json")]
    pub shards: Vec<PathBuf>,
    /// What to write: for a run, json (the default, as `weir run --json`),
    /// table (as `weir run` prints) or csv (as `weir export --format
    /// csv`); for a sweep, csv (the default), json, svg or png, as `weir
    /// sweep` writes them.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<MergeFormat>,
    /// Pictures (svg, png): light or dark background.
    #[arg(long, value_name = "light|dark", default_value = "light")]
    pub look: crate::picture::Look,
    /// A run's shards: exit with status 3 when an objective is violated,
    /// as `weir run --check-slos`.
    #[arg(long)]
    pub check_slos: bool,
    /// Where to write: a file, or `-` (the default) for standard output.
    #[arg(short, long, value_name = "PATH|-", default_value = "-")]
    pub output: String,
}

/// What `weir merge` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MergeFormat {
    Json,
    Table,
    Csv,
    Svg,
    Png,
}

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The model file.
    pub file: PathBuf,
    /// A knob and its values: NODE.PARAM=RANGE (worker.instances=1..8,
    /// orders.rate=50..150:10, worker.service.mean=5ms..20msx4,
    /// q.capacity=10,100,1000), or load=RANGE to scale every producer's
    /// rate (load=0.5..1.5x11). Twice for a grid.
    #[arg(long, value_name = "KNOB=RANGE", required = true)]
    pub vary: Vec<String>,
    /// A number to report at each point: NODE.METRIC as the JSON report
    /// names it (`worker.utilization`, `q.wait_s.p99`) or slo:NAME (an
    /// objective's value). The objectives' verdicts are always reported.
    #[arg(long, value_name = "NODE.METRIC|slo:NAME")]
    pub metric: Vec<String>,
    /// Replications at each point, 1 to 100000 (default: the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REPLICATIONS)))]
    pub replications: Option<u32>,
    #[command(flatten)]
    pub scenario: ScenarioFlags,
    /// Sweep this variant of the model.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// csv (the default) or json (one line per point, as each finishes),
    /// or a picture: svg, png.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<SweepFormat>,
    /// Run only shard I of N (I from 0) of the points × replications and
    /// write it as JSON, for `weir merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<ShardSpec>,
    /// Pictures (svg, png): light or dark background.
    #[arg(long, value_name = "light|dark", default_value = "light")]
    pub look: crate::picture::Look,
    /// Where to write: a file, or `-` (the default) for standard output.
    #[arg(short, long, value_name = "PATH|-", default_value = "-")]
    pub output: String,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The model file.
    pub file: PathBuf,
    /// A knob, its values and the cost of one unit of it:
    /// NODE.PARAM=RANGE@COST (worker.instances=1..16@12; the cost is 1
    /// when left out). Give one for each knob the planner may turn.
    #[arg(long, value_name = "KNOB=RANGE@COST", required = true)]
    pub knob: Vec<String>,
    /// A bound besides the model's objectives: NODE.METRIC<=X or >=X
    /// (`q.wait_s.mean<=0.05`).
    #[arg(long, value_name = "METRIC<=X")]
    pub require: Vec<String>,
    /// Every stage's utilisation at most this, like 0.8 (default: none).
    #[arg(long, value_name = "RHO")]
    pub headroom: Option<f64>,
    /// Replications of each setting tried (default: the scenario's, at
    /// least 2 so that objectives can be judged).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=i64::from(MAX_REPLICATIONS)))]
    pub replications: Option<u32>,
    #[command(flatten)]
    pub scenario: ScenarioFlags,
    /// Write the model with the plan's setting to PATH.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<String>,
}

/// `weir plan`'s status when no setting within the knobs' ranges works.
pub const EXIT_NO_PLAN: u8 = 4;

/// How `weir sweep` writes its points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SweepFormat {
    Csv,
    /// One JSON object per line, per point.
    Json,
    Svg,
    Png,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The first design (A).
    pub a: PathBuf,
    /// The second design (B). Without it, compare A with its variant
    /// (one --variant) or two of its variants (two).
    pub b: Option<PathBuf>,
    /// A variant of the one model given: once to compare the design with
    /// it, twice to compare the two.
    #[arg(long, value_name = "NAME")]
    pub variant: Vec<String>,
    /// Seed of the first replication, for both (default: A's scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replications of each design, 2 to 100000 (default: A's scenario's,
    /// at least 2).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=i64::from(MAX_REPLICATIONS)))]
    pub replications: Option<u32>,
    /// Simulated time per run, for both (default: each scenario's own).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Warm-up, for both (default: each scenario's own).
    #[arg(long, value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// table, markdown, csv, json, or the table as a picture: svg, png.
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub format: CompareFormat,
    /// Pictures (svg, png): light or dark background.
    #[arg(long, value_name = "light|dark", default_value = "light")]
    pub look: crate::picture::Look,
    /// Where to write: a file, or `-` (the default) for standard output.
    #[arg(short, long, value_name = "PATH|-", default_value = "-")]
    pub output: String,
}

/// How `weir compare` writes its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    Table,
    Markdown,
    Csv,
    Json,
    /// The table as a picture.
    Svg,
    Png,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The model file.
    pub file: PathBuf,
    /// asyncapi, asyncapi-json, dot, mermaid, terraform, kafka; json and csv
    /// run the model's scenario and export the report; chrome-trace (for
    /// Perfetto and Chrome tracing) and otlp (OpenTelemetry JSON) run the
    /// scenario once, with its seed, and export the journeys of sampled
    /// messages; series runs it once and writes its time series as CSV;
    /// svg and png draw the canvas as the designer shows it; gif records
    /// the live view of a run (--from, --to, --fps); html runs the
    /// scenario and writes its report as one self-contained page.
    #[arg(long, value_parser = parse_format)]
    pub format: crate::exports::Target,
    /// chrome-trace and otlp: follow one event in N that producers create
    /// (and every copy made of it); at most 1000 journeys of 256 hops.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub sample: Option<u64>,
    /// Where to write: a file, or `-` (the default) for standard output.
    #[arg(short, long, value_name = "PATH|-", default_value = "-")]
    pub output: String,
    /// Pictures (svg, png): light or dark background.
    #[arg(long, value_name = "light|dark", default_value = "light")]
    pub look: crate::picture::Look,
    /// PNG pixels per canvas point (2 suits documents and high-density screens).
    #[arg(long, value_name = "N", default_value_t = 2.0)]
    pub scale: f32,
    /// Formats that run the model (json, csv, gif, html, …): the seed of
    /// the first replication (default: the scenario's), as `weir run --seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// gif: the simulated instant of the first frame, like 30s (default 0s).
    #[arg(long, value_parser = parse_duration)]
    pub from: Option<Duration>,
    /// gif: where the animation ends, like 60s (default: 10 s after
    /// --from, or the end of the run).
    #[arg(long, value_parser = parse_duration)]
    pub to: Option<Duration>,
    /// gif: frames per simulated second (1, 2, 4, 5, 10, 20 or 25;
    /// default 10); the GIF plays at the run's own pace.
    #[arg(long, value_name = "N")]
    pub fps: Option<u32>,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// AsyncAPI documents (2.0–2.6 or 3.x, YAML or JSON), or folders of
    /// them: each is one service, and they are joined into one model.
    #[arg(required = true, value_name = "DOC|FOLDER")]
    pub files: Vec<PathBuf>,
    /// Import into this model, made by an earlier import: its parameters,
    /// names, positions and added nodes are kept, and what the documents
    /// changed is printed. Written back to it unless `-o` says otherwise.
    #[arg(long, value_name = "MODEL.ron")]
    pub into: Option<PathBuf>,
    /// Where to write the model: a `.ron` file, or `-` for standard output
    /// (the default, or the `--into` model when that is given).
    #[arg(short, long, value_name = "PATH|-")]
    pub output: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// The model file.
    pub file: PathBuf,
    /// OTLP/JSON traces: an `ExportTraceServiceRequest` object, or several
    /// one per line. Spans match nodes by service name (the node's id or
    /// name) or by operation name.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "csv",
        conflicts_with = "csv"
    )]
    pub traces: Option<PathBuf>,
    /// A CSV of per-message timings with a header: node,start,end or
    /// node,start,duration (seconds).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// One event in N was traced, to scale rates by (default: the traces'
    /// `weir.sample.every` attribute, else 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub sampled_every: Option<u64>,
    /// Where to write the calibrated model: a `.ron` file, or `-` (the
    /// default) for standard output (the report then goes to standard
    /// error).
    #[arg(short, long, value_name = "PATH|-", default_value = "-")]
    pub output: String,
}

/// Writes a line to standard error; if that fails there is nowhere left
/// to say so, and the exit status still tells.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn parse_shard(text: &str) -> Result<ShardSpec, String> {
    text.parse()
}

fn parse_format(text: &str) -> Result<crate::exports::Target, String> {
    text.parse()
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The model file.
    pub file: PathBuf,
    #[command(flatten)]
    pub scenario: ScenarioFlags,
    /// Independent replications, 1 to 100000 (default: the scenario's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REPLICATIONS)))]
    pub replications: Option<u32>,
    /// Write the JSON report to PATH, or to standard output with `-`.
    #[arg(long, value_name = "PATH|-", conflicts_with = "shard")]
    pub json: Option<String>,
    /// Run only shard I of N (I from 0) of the replications and write it
    /// as JSON, for `weir merge` (see docs/cluster.md).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<ShardSpec>,
    /// With --shard: where to write the shard, a file or `-` (the
    /// default) for standard output.
    #[arg(short, long, value_name = "PATH|-", requires = "shard")]
    pub output: Option<String>,
    /// Run this variant of the model (see the model's `variants`).
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Exit with status 3 when any of the model's service level
    /// objectives is violated (undecided ones are named on standard error
    /// and do not fail).
    #[arg(long, conflicts_with = "shard")]
    pub check_slos: bool,
}

/// The scenario's seed, duration and warm-up, overridden from the command
/// line (`run`, `sweep`, `plan`: for every run they make).
#[derive(Debug, clap::Args)]
pub struct ScenarioFlags {
    /// Seed of the first replication (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated time per run, like 10m or 90s (default: the scenario's).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Simulated time discarded at the start, like 1m, or `auto` to find
    /// it from the replications (default: the scenario's).
    #[arg(long, value_name = "DURATION|auto", value_parser = parse_warmup)]
    pub warmup: Option<WarmupFlag>,
}

impl ScenarioFlags {
    /// The scenario with the flags given, and `replications` if given.
    fn apply(&self, scenario: &mut sim_core::Scenario, replications: Option<u32>) {
        if let Some(seed) = self.seed {
            scenario.seed = seed;
        }
        if let Some(d) = self.duration {
            scenario.duration = d;
        }
        if let Some(WarmupFlag(w)) = self.warmup {
            scenario.warmup = w;
        }
        if let Some(r) = replications {
            scenario.replications = r;
        }
    }
}

/// `--warmup`: a duration, or `auto` (found by MSER-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WarmupFlag(pub Option<Duration>);

fn parse_warmup(text: &str) -> Result<WarmupFlag, String> {
    if text.trim() == "auto" {
        return Ok(WarmupFlag(None));
    }
    parse_duration(text)
        .map(|d| WarmupFlag(Some(d)))
        .map_err(|e| format!("{e}; or `auto` to find the warm-up from the replications"))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    text.parse()
        .map_err(|e: sim_core::time::DurationError| e.to_string())
}

/// Standard output could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output: {0}")]
struct StdoutError(std::io::Error);

/// Writes `bytes` to standard output and flushes them.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| StdoutError(e).into())
}

/// The exit status for a command's failure, after saying why: a reader
/// that has gone is no failure of ours.
fn failure(err: &anyhow::Error) -> ExitCode {
    if let Some(StdoutError(e)) = err.downcast_ref::<StdoutError>()
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        return ExitCode::SUCCESS;
    }
    say!("weir: {err:#}");
    ExitCode::from(2)
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to standard output, mistakes to standard
        // error, each with clap's status (2 for a mistake).
        Err(e) => {
            let code = ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
            let printed = e.print().and_then(|()| std::io::stdout().flush());
            return match printed {
                Ok(()) => code,
                Err(io) => failure(&StdoutError(io).into()),
            };
        }
    };
    let outcome = match cli.command {
        Some(Command::Run(args)) => run(&args),
        Some(Command::Check { file }) => check(&file),
        Some(Command::Export(args)) => export(&args),
        Some(Command::Import(args)) => import(&args),
        Some(Command::Calibrate(args)) => calibrate(&args),
        Some(Command::Compare(args)) => compare(&args),
        Some(Command::Sweep(args)) => sweep(&args),
        Some(Command::Plan(args)) => plan(&args),
        Some(Command::Merge(args)) => crate::sharding::merge(&args),
        Some(Command::Serve(args)) => crate::serve::serve(&args).map(|()| ExitCode::SUCCESS),
        None => crate::gui::open(cli.file.as_deref(), cli.play).map(|()| ExitCode::SUCCESS),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => failure(&err),
    }
}

/// Refuses, before any work, an output path that cannot be written: its
/// folder must exist and the file must be creatable, or writable if it is
/// there. `-` (standard output) passes. A new file made to find out is
/// removed again; an existing one is opened without being truncated.
pub(crate) fn check_output(path: &str) -> Result<()> {
    if path == "-" {
        return Ok(());
    }
    let file = Path::new(path);
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if folder.exists() && !folder.is_dir() {
        bail!(
            "cannot write {path}: {} is a file, not a folder",
            folder.display()
        );
    }
    if !folder.is_dir() {
        bail!(
            "cannot write {path}: the folder {} does not exist",
            folder.display()
        );
    }
    match std::fs::metadata(file) {
        Ok(meta) if meta.is_dir() => bail!("cannot write {path}: it is a folder"),
        // Opening a pipe or a device to find out could block or act:
        // they are written when the time comes.
        Ok(meta) if !meta.is_file() => Ok(()),
        Ok(_) => match std::fs::OpenOptions::new().write(true).open(file) {
            Ok(_) => Ok(()),
            Err(e) => bail!("cannot write {path}: {e}"),
        },
        Err(_) => match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(file)
        {
            Ok(created) => {
                drop(created);
                std::fs::remove_file(file)
                    .with_context(|| format!("cannot remove {path} after a test write"))
            }
            Err(e) => bail!("cannot write {path}: {e}"),
        },
    }
}

/// Reads and parses a model file; syntax errors name the file, line and column.
pub fn load(path: &Path) -> Result<(Model, Vec<Diagnostic>, String)> {
    let text = file::read(path)?;
    match file::from_str(&text) {
        Ok((model, diagnostics)) => Ok((model, diagnostics, text)),
        Err(err) => bail!("{}: {err}", path.display()),
    }
}

/// Diagnostics with `file:line:col:` where the node or edge can be found.
fn print_diagnostics(path: &Path, text: &str, diagnostics: &[Diagnostic]) {
    let locator = file::Locator::new(text);
    for d in diagnostics {
        let place = locator.target(&d.target);
        match place {
            Some((line, col)) => say!("{}:{line}:{col}: {d}", path.display()),
            None => say!("{}: {d}", path.display()),
        }
    }
}

fn all_diagnostics(model: &Model, load_diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut all = load_diagnostics;
    all.extend(validate(model));
    all.sort_by_key(|d| d.severity);
    all
}

fn check(path: &Path) -> Result<ExitCode> {
    let (model, load_diagnostics, text) = load(path)?;
    let diagnostics = all_diagnostics(&model, load_diagnostics);
    print_diagnostics(path, &text, &diagnostics);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if errors > 0 {
        say!(
            "{}: {errors} error(s), {warnings} warning(s)",
            path.display()
        );
        Ok(ExitCode::from(1))
    } else {
        write_stdout(
            format!(
                "{}: ok ({} nodes, {} edges, {warnings} warning(s))\n",
                path.display(),
                model.graph.node_count(),
                model.graph.edge_count()
            )
            .as_bytes(),
        )?;
        Ok(ExitCode::SUCCESS)
    }
}

fn run(args: &RunArgs) -> Result<ExitCode> {
    if let Some(path) = args.json.as_ref().or(args.output.as_ref()) {
        check_output(path)?;
    }
    let (mut model, load_diagnostics, text) = load(&args.file)?;
    if let Some(name) = &args.variant {
        if let Err(errors) = refuse_errors(&args.file, &text, &model, load_diagnostics.clone()) {
            return Ok(errors);
        }
        model = model
            .with_variant(name)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    }
    args.scenario.apply(&mut model.scenario, args.replications);
    let diagnostics = all_diagnostics(&model, load_diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        print_diagnostics(&args.file, &text, &diagnostics);
        say!(
            "{}: the model has errors and was not run",
            args.file.display()
        );
        return Ok(ExitCode::from(1));
    }
    print_diagnostics(&args.file, &text, &diagnostics);
    if let Some(spec) = args.shard {
        let points = [(Vec::new(), model.clone())];
        let output = args.output.as_deref().unwrap_or("-");
        return crate::sharding::write_shard(
            &args.file,
            sim_core::shard::Job::Run,
            &model,
            &points,
            spec,
            output,
        );
    }

    let mut bar: Option<indicatif::ProgressBar> = None;
    let report = crate::runner::run_all(&model, |fraction, elapsed| {
        if elapsed < WallDuration::from_secs(1) {
            return;
        }
        let bar = bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new(1000);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {percent:>3}%  {elapsed} elapsed, about {eta} left",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        bar.set_position((fraction * 1000.0).clamp(0.0, 1000.0) as u64);
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report.map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;

    let to_stdout = args.json.as_deref() == Some("-");
    if !to_stdout {
        write_stdout(run_summary(&model, &report).as_bytes())?;
    } else if let Some(warning) = report.warmup.as_ref().and_then(|w| w.warning.as_deref()) {
        say!("{}: warm-up: {warning}", args.file.display());
    }
    match args.json.as_deref() {
        None => {}
        Some("-") => write_stdout(report.to_json_string().as_bytes())?,
        Some(path) => {
            write_atomic(Path::new(path), report.to_json_string())?;
            write_stdout(format!("report written to {path}\n").as_bytes())?;
        }
    }
    if args.check_slos {
        return Ok(check_slos(&args.file, &report));
    }
    Ok(ExitCode::SUCCESS)
}

/// What `weir run` prints without `--json -`: the scenario, the warm-up,
/// the table, the theory block and the events with the wall time.
pub(crate) fn run_summary(model: &Model, report: &sim_core::Report) -> String {
    let scenario = &model.scenario;
    format!(
        "{} — {} replication(s) of {}, seed {}\nwarm-up: {}\n\n{}\n{}{} events in {:.2} s wall time ({:.1} M events/s)\n",
        model.name,
        report.replications(),
        scenario.duration,
        scenario.seed,
        report
            .warmup
            .as_ref()
            .map_or_else(|| "none".to_owned(), sim_core::warmup::Warmup::describe),
        report.to_table(),
        theory_block(report),
        report.events,
        report.wall_s,
        report.events as f64 / report.wall_s.max(1e-9) / 1e6
    )
}

/// The table's Theory block (each station's formula, analytic against
/// simulated values, or why no formula applies), followed by a blank
/// line; empty when the model has no consumer.
fn theory_block(report: &sim_core::Report) -> String {
    let table = sim_core::theory::Compared::table(&report.theory);
    if table.is_empty() {
        table
    } else {
        format!("{table}\n")
    }
}

/// The exit status of `weir run --check-slos`: 3 when an objective is
/// violated, after naming on standard error every objective that is not
/// met.
pub(crate) fn check_slos(file: &Path, report: &sim_core::Report) -> ExitCode {
    use sim_core::slo::Verdict;
    if report.slos.is_empty() {
        say!(
            "{}: --check-slos: the model has no service level objectives",
            file.display()
        );
        return ExitCode::SUCCESS;
    }
    for r in &report.slos {
        if r.verdict != Verdict::Met {
            say!(
                "{}: {}: {}",
                file.display(),
                r.slo.label(),
                r.verdict.text()
            );
        }
    }
    if report.slo_violated() {
        ExitCode::from(EXIT_SLO_VIOLATED)
    } else {
        ExitCode::SUCCESS
    }
}

/// `weir run --check-slos`'s status when an objective is violated.
pub const EXIT_SLO_VIOLATED: u8 = 3;

/// `Err` with exit status 1, after printing them, when the model has
/// errors.
fn refuse_errors(
    path: &Path,
    text: &str,
    model: &Model,
    load_diagnostics: Vec<Diagnostic>,
) -> std::result::Result<(), ExitCode> {
    let diagnostics = all_diagnostics(model, load_diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        print_diagnostics(path, text, &diagnostics);
        say!("{}: the model has errors and was not run", path.display());
        return Err(ExitCode::from(1));
    }
    Ok(())
}

fn compare(args: &CompareArgs) -> Result<ExitCode> {
    check_output(&args.output)?;
    let (a_model, a_diag, a_text) = load(&args.a)?;
    if let Err(code) = refuse_errors(&args.a, &a_text, &a_model, a_diag) {
        return Ok(code);
    }
    let name = |p: &Path| {
        p.file_stem().map_or_else(
            || p.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
    };
    let variant = |name: &str| {
        a_model
            .with_variant(name)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.a.display()))
    };
    let (a, a_label, b, b_label) = match (&args.b, args.variant.as_slice()) {
        (Some(b_path), []) => {
            let (b_model, b_diag, b_text) = load(b_path)?;
            if let Err(code) = refuse_errors(b_path, &b_text, &b_model, b_diag) {
                return Ok(code);
            }
            (a_model.clone(), name(&args.a), b_model, name(b_path))
        }
        (Some(_), _) => bail!(
            "--variant compares variants of one model; give one file, or two files without --variant"
        ),
        (None, [one]) => (
            a_model.clone(),
            format!("{} (as drawn)", name(&args.a)),
            variant(one)?,
            one.clone(),
        ),
        (None, [x, y]) => (variant(x)?, x.clone(), variant(y)?, y.clone()),
        (None, []) => bail!(
            "give a second model file, or --variant NAME to compare {} with one of its variants",
            args.a.display()
        ),
        (None, _) => bail!("--variant may be given at most twice"),
    };
    // Both sides run on the same seeds, as many times.
    let pairing = crate::comparing::Pairing {
        seed: args.seed.unwrap_or(a.scenario.seed),
        replications: args.replications.unwrap_or(a.scenario.replications.max(2)),
        duration: args.duration,
        warmup: args.warmup,
    };
    for (m, path) in [(&a, &args.a), (&b, args.b.as_ref().unwrap_or(&args.a))] {
        if let Some(e) = crate::comparing::errors_of(&pairing.apply(m), &path.display().to_string())
        {
            say!("{e}");
            return Ok(ExitCode::from(1));
        }
    }
    let comparison = crate::comparing::compare((&a, &a_label), (&b, &b_label), pairing)
        .map_err(|e| anyhow::anyhow!(e))?
        .comparison;
    let text = match args.format {
        CompareFormat::Svg => crate::tables::comparison_svg(&comparison, args.look),
        CompareFormat::Png => {
            let svg = crate::tables::comparison_svg(&comparison, args.look);
            let png =
                crate::picture::svg_to_png(&svg, 2.0).context("cannot draw the comparison")?;
            write_output(&args.output, &png)?;
            return Ok(ExitCode::SUCCESS);
        }
        CompareFormat::Table => comparison.to_table(),
        CompareFormat::Markdown => comparison.to_markdown(),
        CompareFormat::Csv => comparison.to_csv(),
        CompareFormat::Json => {
            let mut t = serde_json::to_string_pretty(&comparison.to_json()).unwrap_or_default();
            t.push('\n');
            t
        }
    };
    write_output(&args.output, text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn plan(args: &PlanArgs) -> Result<ExitCode> {
    use sim_core::plan::{Knob, Plan, Requirement};
    use sim_core::sweep::Sweep;
    if let Some(path) = &args.output {
        check_output(path)?;
    }
    let (mut model, load_diagnostics, text) = load(&args.file)?;
    let replications = args
        .replications
        .unwrap_or(model.scenario.replications)
        .max(2);
    args.scenario.apply(&mut model.scenario, Some(replications));
    if let Err(code) = refuse_errors(&args.file, &text, &model, load_diagnostics) {
        return Ok(code);
    }
    let file = args.file.display();
    let knobs = args
        .knob
        .iter()
        .map(|k| Knob::parse(k, &model))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{file}: --knob {e}"))?;
    let requirements = args
        .require
        .iter()
        .map(|r| Requirement::parse(r, &model))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{file}: --require {e}"))?;
    if let Some(h) = args.headroom
        && !(h.is_finite() && h > 0.0)
    {
        bail!("--headroom is a utilisation above 0, like 0.8, not {h}");
    }
    if model.slos.is_empty() && requirements.is_empty() && args.headroom.is_none() {
        bail!(
            "{file}: nothing to plan for: the model has no objectives; give --require or --headroom"
        );
    }
    let plan = Plan {
        knobs,
        requirements,
        headroom: args.headroom,
    };
    // The knobs as a sweep's axes, so that a setting is a sweep's point.
    let sweep = Sweep {
        axes: plan.knobs.iter().map(|k| k.axis.clone()).collect(),
        metrics: Vec::new(),
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let outcome = plan
        .search(|settings| crate::sweeping::reports_at(&model, &sweep, settings, &stop))
        .map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let mut out = format!(
        "{} — planning {} knob(s), {} replication(s) per setting\n\n",
        model.name,
        plan.knobs.len(),
        model.scenario.replications
    );
    for (i, t) in outcome.trials.iter().enumerate() {
        let verdict = if t.passes() {
            "passes".to_owned()
        } else {
            format!("fails: {}", t.failures.join("; "))
        };
        out.push_str(&format!(
            "{:>3}  {}  (cost {})  {verdict}\n",
            i + 1,
            plan.describe(&t.setting),
            t.cost
        ));
    }
    let Some(best) = outcome.best.map(|b| &outcome.trials[b]) else {
        out.push_str(&format!(
            "\nNo setting within the knobs' ranges works: at the top of every range it still fails ({}). \
             Widen a range, add a knob, or relax a requirement.\n",
            outcome
                .trials
                .last()
                .map_or_else(String::new, |t| t.failures.join("; "))
        ));
        write_stdout(out.as_bytes())?;
        return Ok(ExitCode::from(EXIT_NO_PLAN));
    };
    let ruled_out = outcome
        .trials
        .iter()
        .filter(|t| !t.passes() && t.cost < best.cost)
        .count();
    out.push_str(&format!(
        "\nPlan: {} (cost {}). It meets {} objective(s){}{}; {ruled_out} cheaper setting(s) tried fail.\n",
        plan.describe(&best.setting),
        best.cost,
        model.slos.len(),
        if plan.requirements.is_empty() {
            String::new()
        } else {
            format!(" and {} bound(s)", plan.requirements.len())
        },
        args.headroom
            .map_or_else(String::new, |h| format!(", with ρ ≤ {h} on every stage"))
    ));
    if let Some(path) = &args.output {
        let planned = sweep
            .model_at(&model, &best.setting)
            .map_err(|e| anyhow::anyhow!(e))?;
        write_atomic(Path::new(path), file::to_string(&planned))?;
        out.push_str(&format!("The planned model is written to {path}.\n"));
    }
    write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn sweep(args: &SweepArgs) -> Result<ExitCode> {
    use sim_core::sweep::{Axis, MetricRef, Sweep};
    check_output(&args.output)?;
    let (mut model, load_diagnostics, text) = load(&args.file)?;
    if let Err(code) = refuse_errors(&args.file, &text, &model, load_diagnostics) {
        return Ok(code);
    }
    if let Some(name) = &args.variant {
        model = model
            .with_variant(name)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    }
    args.scenario.apply(&mut model.scenario, args.replications);
    // The model as every point shares it: its own errors are not a point's.
    if let Err(code) = refuse_errors(&args.file, &text, &model, Vec::new()) {
        return Ok(code);
    }
    let file = args.file.display();
    let axes = args
        .vary
        .iter()
        .map(|v| Axis::parse(v, &model))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{file}: --vary {e}"))?;
    let metrics = args
        .metric
        .iter()
        .map(|m| MetricRef::parse(m, &model))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{file}: --metric {e}"))?;
    let sweep = Sweep { axes, metrics };
    let points = match crate::sweeping::models(&model, &sweep) {
        Ok(points) => points,
        Err(e) => {
            say!("{file}: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(spec) = args.shard {
        if args.format.is_some() {
            bail!(
                "--format applies to a whole sweep; a shard is always JSON: give the format to `weir merge`"
            );
        }
        let job = sim_core::shard::Job::Sweep {
            vary: args.vary.clone(),
            metrics: args.metric.clone(),
        };
        return crate::sharding::write_shard(&args.file, job, &model, &points, spec, &args.output);
    }
    let format = args.format.unwrap_or(SweepFormat::Csv);
    let picture = matches!(format, SweepFormat::Svg | SweepFormat::Png);
    if picture && !(1..=2).contains(&sweep.axes.len()) {
        bail!(
            "a picture shows one knob (lines) or two (a heatmap), not {}: use --format csv or json",
            sweep.axes.len()
        );
    }
    if picture && sweep.metrics.is_empty() {
        bail!("a picture needs a metric to draw: give --metric");
    }
    let bar = (points.len() > 1).then(|| {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(points.len() as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} points  {elapsed} elapsed, about {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    // Streamed formats go out line by line: to standard output at once, to
    // a file at the end (written whole, as the app saves).
    let to_stdout = args.output == "-";
    let mut kept = Vec::new();
    let mut body = String::new();
    // Standard output's failure, kept whole (a closed pipe ends quietly).
    let failed_write = std::cell::RefCell::new(None);
    let emit = |line: &str, body: &mut String| -> Result<(), String> {
        if to_stdout {
            write_stdout(line.as_bytes()).map_err(|e| {
                let text = format!("{e:#}");
                *failed_write.borrow_mut() = Some(e);
                text
            })
        } else {
            body.push_str(line);
            Ok(())
        }
    };
    if format == SweepFormat::Csv {
        emit(&sweep.csv_header(&model), &mut body).map_err(|e| anyhow::anyhow!(e))?;
    }
    let mut measured = vec![false; sweep.metrics.len()];
    let mut last_metrics: Vec<(String, String)> = Vec::new();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let outcome = crate::sweeping::run(
        &sweep,
        &points,
        crate::sweeping::threads(),
        &stop,
        |_, point, report| {
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            for (metric, seen) in sweep.metrics.iter().zip(measured.iter_mut()) {
                *seen |= metric.read(report).is_some();
            }
            last_metrics = report
                .nodes
                .iter()
                .flat_map(|n| n.metrics.iter().map(|m| (n.id.clone(), m.path.clone())))
                .collect();
            match format {
                SweepFormat::Csv => emit(&sweep.csv_row(point, report), &mut body),
                SweepFormat::Json => emit(&sweep.json_line(point, report), &mut body),
                SweepFormat::Svg | SweepFormat::Png => {
                    kept.push((point.to_vec(), report.clone()));
                    Ok(())
                }
            }
        },
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(e) = failed_write.into_inner() {
        return Err(e);
    }
    // A metric no point measured is most likely misnamed: say what the
    // node measures.
    for (metric, seen) in sweep.metrics.iter().zip(&measured) {
        if !seen && let MetricRef::Node { node, .. } = metric {
            let names = last_metrics
                .iter()
                .filter(|(id, _)| id == node)
                .map(|(_, p)| p.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            say!(
                "{file}: warning: no point measured {}; '{node}' measures {names}",
                metric.label()
            );
        }
    }
    if let Err(e) = outcome {
        bail!("{file}: {e}");
    }
    match format {
        SweepFormat::Csv | SweepFormat::Json => {
            if !to_stdout {
                write_output(&args.output, body.as_bytes())?;
            }
        }
        SweepFormat::Svg | SweepFormat::Png => {
            let svg = crate::plots::sweep_svg(&sweep, &model, &kept, args.look)
                .map_err(|e| anyhow::anyhow!(e))?;
            if format == SweepFormat::Svg {
                write_output(&args.output, svg.as_bytes())?;
            } else {
                let png = crate::picture::svg_to_png(&svg, 2.0).context("cannot draw the sweep")?;
                write_output(&args.output, &png)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes bytes to a file (atomically, as the app saves), or to standard
/// output for `-`.
pub(crate) fn write_output(output: &str, bytes: &[u8]) -> Result<()> {
    if output == "-" {
        write_stdout(bytes)
    } else {
        write_atomic(Path::new(output), bytes)
    }
}

fn export(args: &ExportArgs) -> Result<ExitCode> {
    use crate::exports::{PictureOptions, export_bytes};
    if args.sample.is_some() && !args.format.needs_trace() {
        bail!(
            "--sample applies to the trace formats (chrome-trace, otlp), not to {}",
            args.format
        );
    }
    let animated = args.from.is_some() || args.to.is_some() || args.fps.is_some();
    if animated && args.format != crate::exports::Target::Gif {
        bail!(
            "--from, --to and --fps apply to the animated live view (gif), not to {}",
            args.format
        );
    }
    if args.seed.is_some() && !args.format.needs_run() {
        bail!(
            "--seed applies to the formats that run the model (json, csv, series, traces, slos-svg, slos-png, gif, html), not to {}",
            args.format
        );
    }
    check_output(&args.output)?;
    let (mut model, load_diagnostics, text) = load(&args.file)?;
    if let Some(seed) = args.seed {
        model.scenario.seed = seed;
    }
    let diagnostics = all_diagnostics(&model, load_diagnostics);
    if args.format.needs_run() && diagnostics.iter().any(Diagnostic::is_error) {
        print_diagnostics(&args.file, &text, &diagnostics);
        say!(
            "{}: the model has errors and was not run",
            args.file.display()
        );
        return Ok(ExitCode::from(1));
    }
    if !(args.scale.is_finite() && args.scale > 0.0 && args.scale <= 8.0) {
        bail!("--scale must be a number above 0 and at most 8");
    }
    let options = PictureOptions {
        look: args.look,
        scale: args.scale,
        sample: args
            .sample
            .unwrap_or(sim_core::journey::JourneyOptions::DEFAULT_EVERY),
        from: args.from.unwrap_or(Duration::ZERO),
        to: args.to,
        fps: args
            .fps
            .unwrap_or(crate::animation::GifOptions::DEFAULT_FPS),
    };
    if args.format == crate::exports::Target::Gif {
        // Refused before the long work, with the flags' names.
        options.gif(&model).frames(&model)?;
    }
    let bytes = export_bytes(&model, args.format, options)
        .with_context(|| format!("{}", args.file.display()))?;
    write_output(&args.output, &bytes)?;
    Ok(ExitCode::SUCCESS)
}

fn import(args: &ImportArgs) -> Result<ExitCode> {
    let output = match (&args.output, &args.into) {
        (Some(output), _) => output.clone(),
        (None, Some(into)) => into.to_string_lossy().into_owned(),
        (None, None) => "-".to_owned(),
    };
    check_output(&output)?;
    let old = match &args.into {
        Some(into) => Some(load(into)?.0),
        None => None,
    };
    let imported = crate::importing::import(&args.files)?;
    for note in &imported.notes {
        say!("{note}");
    }
    let model = match (&old, &args.into) {
        (Some(old), Some(into)) => {
            let (merged, changes) = sim_core::export::asyncapi::merge(old, &imported.model);
            if changes.is_empty() {
                say!("{}: the documents changed nothing", into.display());
            }
            for change in &changes {
                say!("{}: {change}", into.display());
            }
            merged
        }
        _ => imported.model,
    };
    let text = file::try_to_string(&model).map_err(|e| anyhow::anyhow!("{output}: {e}"))?;
    write_output(&output, text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn calibrate(args: &CalibrateArgs) -> Result<ExitCode> {
    use sim_core::calibrate::{observe_spans, parse_csv, parse_otlp};
    check_output(&args.output)?;
    let (mut model, _, text) = load(&args.file)?;
    let mut observations = match (&args.traces, &args.csv) {
        (Some(path), None) => {
            let traces = file::read(path)?;
            let spans =
                parse_otlp(&traces).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            observe_spans(&model, &spans)
        }
        (None, Some(path)) => {
            let rows = file::read(path)?;
            parse_csv(&model, &rows).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        _ => bail!("give the measurements: --traces FILE or --csv FILE"),
    };
    if let Some(every) = args.sampled_every {
        observations.sampled_every = every;
    }
    let calibration = sim_core::calibrate::calibrate(&model, &observations);
    let report = calibration.to_text();
    if calibration.fitted() == 0 {
        say!("{}", report.trim_end());
        bail!(
            "{}: no node of the model could be fitted from these measurements (see above)",
            args.file.display()
        );
    }
    calibration.apply(&mut model);
    // The fitted values in place of the old ones in the file's own text,
    // when that reads back as the calibrated model; else the whole model
    // as Weir writes it.
    let spliced = calibration
        .splice(&text)
        .filter(|t| file::from_str(t).is_ok_and(|(back, _)| back.same_as(&model)));
    let out = match spliced {
        Some(t) => t,
        None => file::try_to_string(&model)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?,
    };
    if args.output == "-" {
        say!("{}", report.trim_end());
        write_stdout(out.as_bytes())?;
    } else {
        write_atomic(Path::new(&args.output), out)?;
        write_stdout(
            format!(
                "{report}\nThe calibrated model is written to {}.\n",
                args.output
            )
            .as_bytes(),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
