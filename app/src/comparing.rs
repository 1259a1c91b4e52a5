//! Two designs run on the same seeds and compared
//! ([`sim_core::compare`]): shared by `weir compare` and the window's
//! Compare designs.

use sim_core::compare::{Comparison, RunValues};
use sim_core::series::Series;
use sim_core::time::Duration;
use sim_core::validate::{Diagnostic, validate};
use sim_core::{Model, Report};

/// A comparison, and the first replication's time series of each side
/// (for charts drawn one over the other).
#[derive(Debug)]
pub struct Compared {
    pub comparison: Comparison,
    pub series: [Option<Series>; 2],
}

/// How both sides run: the same seed and replications, and optionally
/// the same duration and warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pairing {
    pub seed: u64,
    pub replications: u32,
    pub duration: Option<Duration>,
    pub warmup: Option<Duration>,
}

impl Pairing {
    /// `model` set up to run as this pairing asks.
    pub fn apply(&self, model: &Model) -> Model {
        let mut m = model.clone();
        m.scenario.seed = self.seed;
        m.scenario.replications = self.replications;
        if let Some(d) = self.duration {
            m.scenario.duration = d;
        }
        if let Some(w) = self.warmup {
            m.scenario.warmup = Some(w);
        }
        m
    }
}

/// Why a comparison could not be made, in words naming the side.
pub fn errors_of(model: &Model, label: &str) -> Option<String> {
    let errors: Vec<String> = validate(model)
        .into_iter()
        .filter(Diagnostic::is_error)
        .map(|d| d.to_string())
        .collect();
    (!errors.is_empty()).then(|| format!("{label} has errors: {}", errors.join("; ")))
}

/// Runs `a` and `b` as `pairing` asks (on worker threads) and compares
/// them; an error names the side that failed. When the warm-ups are
/// found rather than set and they differ, both sides are measured after
/// the longer one.
pub fn compare(
    (a, a_label): (&Model, &str),
    (b, b_label): (&Model, &str),
    pairing: Pairing,
) -> Result<Compared, String> {
    let run =
        |m: &Model, label: &str| -> Result<(Report, Vec<RunValues>, Option<Series>), String> {
            let m = pairing.apply(m);
            if let Some(e) = errors_of(&m, label) {
                return Err(e);
            }
            let mut values = Vec::new();
            let mut first = None;
            let report = crate::runner::run_all_with(&m, |_, _| {}, &mut |r| {
                if first.is_none() {
                    first = Some(r.series.clone());
                }
                values.push(RunValues::of(r));
            })
            .map_err(|e| format!("{label}: {e}"))?;
            Ok((report.with_slos(&m.slos), values, first))
        };
    let (mut ar, mut av, mut aseries) = run(a, a_label)?;
    let (mut br, mut bv, mut bseries) = run(b, b_label)?;
    // Both measure the same span: when their warm-ups differ (found apart),
    // the side that cut less runs again with the longer cut.
    let cut = |r: &Report| r.warmup.as_ref().map_or(Duration::ZERO, |w| w.cut);
    let (cut_a, cut_b) = (cut(&ar), cut(&br));
    if cut_a < cut_b {
        let mut a = a.clone();
        a.scenario.warmup = Some(cut_b);
        (ar, av, aseries) = run(&a, a_label)?;
    } else if cut_b < cut_a {
        let mut b = b.clone();
        b.scenario.warmup = Some(cut_a);
        (br, bv, bseries) = run(&b, b_label)?;
    }
    Ok(Compared {
        comparison: Comparison::new((a_label.to_owned(), ar, &av), (b_label.to_owned(), br, &bv)),
        series: [aseries, bseries],
    })
}
