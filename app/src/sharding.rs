//! Weir beyond one machine: `weir run --shard I/N` and `weir sweep
//! --shard I/N` run their share of the replications on this machine's
//! threads and write it as JSON; `weir merge` reads every shard of a job
//! and writes what the command gives on one machine
//! (`sim_core::shard` splits, checks and folds; this module does the
//! files and the threads).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use web_time::Instant;

use anyhow::{Context as _, Result, bail};
use sim_core::Model;
use sim_core::shard::{Job, Shard, ShardSpec};

use crate::cli::{MergeArgs, MergeFormat, check_output, write_output};

/// Runs shard `spec` of `job` over `points` (each point's value indices
/// and model; a run's one point has none) and writes it to `output`
/// (checked beforehand by the caller). `model` is the model as run, which
/// the points are made from.
pub(crate) fn write_shard(
    file: &Path,
    job: Job,
    model: &Model,
    points: &[(Vec<usize>, Model)],
    spec: ShardSpec,
    output: &str,
) -> Result<ExitCode> {
    let started = Instant::now();
    let text = sim_core::shard::model_text(model)
        .map_err(|e| anyhow::anyhow!("{}: cannot shard: {e}", file.display()))?;
    let scenario = &model.scenario;
    let work = sim_core::shard::plan(points.len(), scenario.replications as usize, spec);
    if scenario.warmup.is_none() && !work.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "{}: no warm-up set: like every shard, this one first runs the pilot pass over {} replication(s) to find it; set one (--warmup) to spare that",
            file.display(),
            sim_core::warmup::pilot_replications(scenario.replications)
        );
    }
    let mut shard = sim_core::shard::run_shard(text, job, points, spec, crate::runner::run_range)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    shard.wall_s = started.elapsed().as_secs_f64();
    write_output(output, shard.to_json_string().as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `weir merge`.
pub(crate) fn merge(args: &MergeArgs) -> Result<ExitCode> {
    check_output(&args.output)?;
    let mut shards = Vec::with_capacity(args.shards.len());
    for path in &args.shards {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        let shard = Shard::from_json(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        shards.push((name, shard));
    }
    let merged = sim_core::shard::merge(&shards).map_err(|e| anyhow::anyhow!("{e}"))?;
    let first = &args.shards[0];
    match (&merged.job, &merged.sweep) {
        (Job::Run, _) => {
            let Some((_, report)) = merged.reports.first() else {
                bail!("the shards hold no report");
            };
            let bytes = match args.format.unwrap_or(MergeFormat::Json) {
                MergeFormat::Json => report.to_json_string().into_bytes(),
                MergeFormat::Table => crate::cli::run_summary(&merged.model, report).into_bytes(),
                MergeFormat::Csv => sim_core::export::csv::to_csv(report)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .into_bytes(),
                other @ (MergeFormat::Svg | MergeFormat::Png) => bail!(
                    "--format {}: the shards are of `weir run`, which writes json, table or csv",
                    name(other)
                ),
            };
            write_output(&args.output, &bytes)?;
            if args.check_slos {
                return Ok(crate::cli::check_slos(first, report));
            }
            Ok(ExitCode::SUCCESS)
        }
        (Job::Sweep { .. }, Some(sweep)) => {
            if args.check_slos {
                bail!("--check-slos applies to the shards of `weir run`, not of a sweep");
            }
            let model = &merged.model;
            let bytes = match args.format.unwrap_or(MergeFormat::Csv) {
                MergeFormat::Csv => {
                    let mut out = sweep.csv_header(model);
                    for (point, report) in &merged.reports {
                        out.push_str(&sweep.csv_row(point, report));
                    }
                    out.into_bytes()
                }
                MergeFormat::Json => merged
                    .reports
                    .iter()
                    .map(|(point, report)| sweep.json_line(point, report))
                    .collect::<String>()
                    .into_bytes(),
                format @ (MergeFormat::Svg | MergeFormat::Png) => {
                    if !(1..=2).contains(&sweep.axes.len()) {
                        bail!(
                            "a picture shows one knob (lines) or two (a heatmap), not {}: use --format csv or json",
                            sweep.axes.len()
                        );
                    }
                    if sweep.metrics.is_empty() {
                        bail!(
                            "a picture needs a metric to draw: the sweep was sharded without --metric"
                        );
                    }
                    let svg = crate::plots::sweep_svg(sweep, model, &merged.reports, args.look)
                        .map_err(|e| anyhow::anyhow!(e))?;
                    if format == MergeFormat::Svg {
                        svg.into_bytes()
                    } else {
                        crate::picture::svg_to_png(&svg, 2.0).context("cannot draw the sweep")?
                    }
                }
                MergeFormat::Table => bail!(
                    "--format table: the shards are of `weir sweep`, which writes csv, json, svg or png"
                ),
            };
            write_output(&args.output, &bytes)?;
            Ok(ExitCode::SUCCESS)
        }
        (Job::Sweep { .. }, None) => bail!("the shards' sweep has no knobs"),
    }
}

/// A format's name as typed.
fn name(format: MergeFormat) -> &'static str {
    match format {
        MergeFormat::Json => "json",
        MergeFormat::Table => "table",
        MergeFormat::Csv => "csv",
        MergeFormat::Svg => "svg",
        MergeFormat::Png => "png",
    }
}
