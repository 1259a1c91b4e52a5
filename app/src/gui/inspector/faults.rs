//! A node's or a link's faults: the scenario timeline's entries on it (at
//! a time, for a while) and its random faults (again and again, with a
//! time between and a duration drawn each time: MTBF and MTTR), each
//! editable in place. The model's scenario keeps them; every change is one
//! `SetScenario`.

use eframe::egui::{self, DragValue, RichText, Ui};
use sim_core::Model;
use sim_core::dist::Dist;
use sim_core::faults::{Effect, Fault, RandomFault};
use sim_core::model::ModelCommand;
use sim_core::nodes::NodeKind;
use sim_core::time::Duration;

use super::fields::{dist_row_ui, duration_ui};

/// The effects a node with these parameters can suffer, each with its
/// default factor (a broker's slow-down only with replicas to slow).
fn effects(kind: &NodeKind) -> Vec<Effect> {
    [
        Effect::Crash,
        Effect::Slow { factor: 2.0 },
        Effect::Burst { factor: 2.0 },
    ]
    .into_iter()
    .filter(|&e| sim_core::validate::unfit(e, kind).is_none())
    .collect()
}

/// The effects a link's fault can have, each with its default parameter.
fn link_effects() -> Vec<Effect> {
    vec![
        Effect::Delay {
            extra: Duration::from_millis(200),
        },
        Effect::Loss { probability: 0.05 },
        Effect::Duplicate { probability: 0.05 },
    ]
}

/// What a fault hits: a node or a link, by id.
#[derive(Clone, Copy, Debug)]
pub enum Hit<'a> {
    Node(&'a str),
    Link(&'a str),
}

impl Hit<'_> {
    fn node(self) -> String {
        match self {
            Hit::Node(id) => id.to_owned(),
            Hit::Link(_) => String::new(),
        }
    }

    fn link(self) -> Option<String> {
        match self {
            Hit::Node(_) => None,
            Hit::Link(id) => Some(id.to_owned()),
        }
    }

    /// Whether a fault naming this node and link hits it.
    fn is(self, node: &str, link: Option<&str>) -> bool {
        match self {
            Hit::Node(id) => link.is_none() && node == id,
            Hit::Link(id) => link == Some(id),
        }
    }
}

/// "crash", "slow-down ×2", "burst ×3", "delay +200ms", "loss 5 %",
/// "duplication 5 %".
fn describe(effect: Effect) -> String {
    match effect {
        Effect::Crash => "crash".to_owned(),
        Effect::Slow { factor } => format!("slow-down ×{factor}"),
        Effect::Burst { factor } => format!("burst ×{factor}"),
        Effect::Delay { extra } => format!("delay +{extra}"),
        Effect::Loss { probability } => format!("loss {} %", percent(probability)),
        Effect::Duplicate { probability } => format!("duplication {} %", percent(probability)),
    }
}

/// A probability as a percentage without the float's noise (0.07 is 7,
/// not 7.000000000000001).
fn percent(probability: f64) -> f64 {
    (probability * 1e8).round() / 1e6
}

/// A fault's title in its list: what, when and for how long.
pub fn timeline_title(fault: &Fault) -> String {
    let what = describe(fault.effect);
    let mut title = format!("{what} at {} for {}", fault.at, fault.duration);
    if let Some(first) = title.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    title
}

/// A random fault's title: what, how often and for how long on average,
/// and (a crash) the availability it leaves.
pub fn random_title(fault: &RandomFault) -> String {
    let what = describe(fault.effect);
    let mut title = format!(
        "Random {what}: every ~{}, for ~{}",
        fault.between.mean(),
        fault.duration.mean()
    );
    if fault.effect == Effect::Crash {
        title.push_str(&format!(" (up {:.2} %)", 100.0 * fault.availability()));
    }
    title
}

/// The effect (of `choices`) and its parameter, as grid rows.
fn effect_rows_ui(ui: &mut Ui, salt: &str, choices: &[Effect], effect: &mut Effect) {
    let label = ui.label("Effect");
    let current = describe(*effect);
    egui::ComboBox::from_id_salt(("fault-effect", salt))
        .selected_text(current.split(' ').next().unwrap_or_default())
        .show_ui(ui, |ui| {
            for &choice in choices {
                let same = std::mem::discriminant(&choice) == std::mem::discriminant(effect);
                let name = describe(choice);
                let name = name.split(' ').next().unwrap_or_default();
                if ui.selectable_label(same, name).clicked() && !same {
                    *effect = choice;
                }
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    if let Effect::Slow { factor } | Effect::Burst { factor } = effect {
        let label = ui.label("Factor");
        ui.add(
            DragValue::new(factor)
                .range(0.01..=sim_core::nodes::limits::MAX_FACTOR)
                .speed(0.05)
                .prefix("×"),
        )
        .labelled_by(label.id)
        .on_hover_text(match effect {
            Effect::Slow { .. } => "Service times (or latencies) are multiplied by this",
            _ => "The producer's rate is multiplied by this",
        });
        ui.end_row();
    }
    if let Effect::Delay { extra } = effect {
        let label = ui.label("Extra latency");
        duration_ui(ui, extra)
            .labelled_by(label.id)
            .on_hover_text("Added to the link's latency while the fault lasts");
        ui.end_row();
    }
    let loses = matches!(effect, Effect::Loss { .. });
    if let Effect::Loss { probability } | Effect::Duplicate { probability } = effect {
        let label = ui.label("Probability");
        let mut percent = *probability * 100.0;
        let response = ui
            .add(
                DragValue::new(&mut percent)
                    .range(0.0..=100.0)
                    .speed(0.1)
                    .suffix(" %"),
            )
            .labelled_by(label.id)
            .on_hover_text(if loses {
                "The share of the messages sent along the link it loses"
            } else {
                "The share of the messages sent along the link that arrive twice"
            });
        if response.changed() {
            *probability = percent / 100.0;
        }
        ui.end_row();
    }
}

/// A new fault on the timeline of a run of `run`: a quarter of the way in,
/// for a tenth of it.
fn fresh_fault(hit: Hit<'_>, choices: &[Effect], run: Duration) -> Option<Fault> {
    let effect = *choices.first()?;
    Some(Fault {
        at: Duration(run.0 / 4),
        duration: Duration((run.0 / 10).max(1_000_000_000)),
        node: hit.node(),
        link: hit.link(),
        effect,
    })
}

/// A new random fault for a run of `run`: about four strikes a run, each
/// about a fortieth of it, exponential both.
fn fresh_random(hit: Hit<'_>, choices: &[Effect], run: Duration) -> Option<RandomFault> {
    let effect = *choices.first()?;
    Some(RandomFault {
        node: hit.node(),
        link: hit.link(),
        effect,
        between: Dist::Exponential {
            mean: Duration((run.0 / 4).max(1_000_000_000)),
        },
        duration: Dist::Exponential {
            mean: Duration((run.0 / 40).max(100_000_000)),
        },
    })
}

/// The faults on node `id` (a `kind`), each editable, with buttons to add
/// one at a time or at random. Nothing for a kind no fault fits.
pub fn node_faults_ui(
    ui: &mut Ui,
    model: &Model,
    id: &str,
    kind: &NodeKind,
    out: &mut Vec<ModelCommand>,
) {
    faults_ui(ui, model, Hit::Node(id), &effects(kind), out);
}

/// The faults on link `id` (latency spikes, loss, duplication), as
/// [`node_faults_ui`].
pub fn link_faults_ui(ui: &mut Ui, model: &Model, id: &str, out: &mut Vec<ModelCommand>) {
    faults_ui(ui, model, Hit::Link(id), &link_effects(), out);
}

fn faults_ui(
    ui: &mut Ui,
    model: &Model,
    hit: Hit<'_>,
    choices: &[Effect],
    out: &mut Vec<ModelCommand>,
) {
    let run = model.scenario.duration;
    let (Some(fresh), Some(fresh_random)) = (
        fresh_fault(hit, choices, run),
        fresh_random(hit, choices, run),
    ) else {
        return;
    };
    ui.separator();
    ui.label(RichText::new("Faults").strong().size(15.0));
    let mut scenario = model.scenario.clone();
    let mut remove = None;
    for (i, fault) in scenario.faults.iter_mut().enumerate() {
        if !hit.is(&fault.node, fault.link.as_deref()) {
            continue;
        }
        egui::CollapsingHeader::new(timeline_title(fault))
            .id_salt(("timeline-fault", i))
            .show(ui, |ui| {
                egui::Grid::new(("timeline-fault-grid", i))
                    .num_columns(2)
                    .spacing([12.0, 6.0])
                    .show(ui, |ui| {
                        effect_rows_ui(ui, &format!("t{i}"), choices, &mut fault.effect);
                        let label = ui.label("At");
                        duration_ui(ui, &mut fault.at)
                            .labelled_by(label.id)
                            .on_hover_text("From the start of the run, the warm-up included");
                        ui.end_row();
                        let label = ui.label("Lasts");
                        duration_ui(ui, &mut fault.duration).labelled_by(label.id);
                        ui.end_row();
                    });
                if ui.button("Remove").clicked() {
                    remove = Some(i);
                }
            });
    }
    if let Some(i) = remove {
        scenario.faults.remove(i);
    }
    let mut remove = None;
    for (i, fault) in scenario.random_faults.iter_mut().enumerate() {
        if !hit.is(&fault.node, fault.link.as_deref()) {
            continue;
        }
        egui::CollapsingHeader::new(random_title(fault))
            .id_salt(("random-fault", i))
            .show(ui, |ui| {
                egui::Grid::new(("random-fault-grid", i))
                    .num_columns(2)
                    .spacing([12.0, 6.0])
                    .show(ui, |ui| {
                        effect_rows_ui(ui, &format!("r{i}"), choices, &mut fault.effect);
                        dist_row_ui(
                            ui,
                            "Time between",
                            &format!("random-between-{i}"),
                            &mut fault.between,
                        );
                        dist_row_ui(
                            ui,
                            "Lasts",
                            &format!("random-lasts-{i}"),
                            &mut fault.duration,
                        );
                    });
                if ui.button("Remove").clicked() {
                    remove = Some(i);
                }
            });
    }
    if let Some(i) = remove {
        scenario.random_faults.remove(i);
    }
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Add fault at a time")
            .on_hover_text(match hit {
                Hit::Node(_) => "A crash, slow-down or burst at a given time in every run",
                Hit::Link(_) => "A latency spike, loss or duplication at a given time in every run",
            })
            .clicked()
        {
            scenario.faults.push(fresh);
        }
        if ui
            .button("Add random fault")
            .on_hover_text(
                "Strikes again and again at random: a time between faults (its mean is the \
                 MTBF) and a duration (the MTTR), drawn each time",
            )
            .clicked()
        {
            scenario.random_faults.push(fresh_random);
        }
    });
    if scenario != model.scenario {
        out.push(ModelCommand::SetScenario(scenario));
    }
}

/// Every fault of the scenario, one line each with its node (each node's
/// inspector edits its own).
pub fn scenario_faults_ui(ui: &mut Ui, scenario: &sim_core::model::Scenario) {
    if scenario.faults.is_empty()
        && scenario.random_faults.is_empty()
        && scenario.region_outages.is_empty()
    {
        return;
    }
    ui.add_space(4.0);
    ui.label(RichText::new("Faults").strong());
    for fault in &scenario.faults {
        let on = fault.link.as_deref().unwrap_or(&fault.node);
        ui.label(format!("{on}: {}", timeline_title(fault)));
    }
    for fault in &scenario.random_faults {
        let on = fault.link.as_deref().unwrap_or(&fault.node);
        ui.label(format!("{on}: {}", random_title(fault)));
    }
    super::regions::scenario_outages_ui(ui, scenario);
    ui.label(
        RichText::new("Select a node or link to edit its faults (a region's, any node in it)")
            .weak(),
    );
}

#[cfg(test)]
mod tests {
    use sim_core::nodes::Kind;

    use super::*;

    #[test]
    fn titles_say_what_when_and_how_long() {
        let fault = Fault {
            at: Duration::from_secs(120),
            duration: Duration::from_secs(30),
            node: "w".into(),
            link: None,
            effect: Effect::Slow { factor: 4.0 },
        };
        assert_eq!(timeline_title(&fault), "Slow-down ×4 at 2m for 30s");
        let random = RandomFault::crash(
            "w".into(),
            Duration::from_secs(570),
            Duration::from_secs(30),
        );
        assert_eq!(
            random_title(&random),
            "Random crash: every ~9m30s, for ~30s (up 95.00 %)"
        );
    }

    #[test]
    fn new_faults_fit_the_kind() {
        let run = Duration::from_secs(600);
        let producer: Vec<&str> = effects(&NodeKind::default_for(Kind::Producer))
            .into_iter()
            .map(Effect::key)
            .collect();
        assert_eq!(producer, ["crash", "burst"]);
        let consumer = NodeKind::default_for(Kind::Consumer);
        let crash =
            fresh_random(Hit::Node("c"), &effects(&consumer), run).expect("a consumer crashes");
        assert_eq!(crash.effect, Effect::Crash);
        assert!(crash.problems(run).is_empty(), "{:?}", crash.problems(run));
        let fault = fresh_fault(Hit::Node("c"), &effects(&consumer), run).expect("at a time too");
        assert!(fault.at < run && !fault.duration.is_zero());
        let dlq = effects(&NodeKind::default_for(Kind::DeadLetter));
        assert!(fresh_fault(Hit::Node("dlq"), &dlq, run).is_none());
        // A link's faults are its own, each valid as it comes.
        let spike =
            fresh_fault(Hit::Link("p->q"), &link_effects(), run).expect("a link has faults");
        assert_eq!(
            (spike.node.as_str(), spike.link.as_deref()),
            ("", Some("p->q"))
        );
        for effect in link_effects() {
            assert!(
                effect.on_link() && effect.problems().is_empty(),
                "{effect:?}"
            );
        }
        assert_eq!(describe(link_effects()[1]), "loss 5 %");
        // A queue slows down only with replicas to slow.
        let keys =
            |kind: &NodeKind| -> Vec<&str> { effects(kind).into_iter().map(Effect::key).collect() };
        let plain = NodeKind::default_for(Kind::Queue);
        assert_eq!(keys(&plain), ["crash"]);
        let replicated = NodeKind::Queue(sim_core::nodes::QueueParams {
            durability: Some(sim_core::nodes::durability::Durability::default()),
            ..sim_core::nodes::QueueParams::default()
        });
        assert_eq!(keys(&replicated), ["crash", "slow"]);
    }
}
