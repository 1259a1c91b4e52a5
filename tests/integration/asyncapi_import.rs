//! AsyncAPI import that runs (issue 24): the fixtures in
//! `tests/fixtures/asyncapi/` (one application's view with a kafka-secure
//! server; services sharing channels through `$ref` files; 2.x and 3.x;
//! Kafka, AMQP and MQTT servers) each import into a model that validates
//! and runs; documents join into one system; `$ref`s are followed within
//! their limits and never over the network; importing again keeps the
//! user's work and says what changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sim_core::Model;
use sim_core::export::asyncapi::{
    self, Change, Document, EXTERNAL_PREFIX, Files, ImportError, MAX_REF_DEPTH, MAX_REF_FILES,
    import_documents, merge,
};
use sim_core::model::file;
use sim_core::nodes::{Kind, NodeKind};
use sim_core::time::Duration;
use sim_core::validate::{Diagnostic, validate};
use weir_tests::replicate;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/asyncapi")
}

/// Files from disk, as the app reads them.
struct Disk;

impl Files for Disk {
    fn read(&mut self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

/// Files from a map, counting the reads.
#[derive(Default)]
struct Memory {
    files: BTreeMap<String, String>,
    reads: usize,
}

impl Files for Memory {
    fn read(&mut self, path: &str) -> Result<String, String> {
        self.reads += 1;
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_owned())
    }
}

fn document(relative: &str) -> Document {
    let path = fixtures().join(relative);
    Document {
        name: path.to_string_lossy().into_owned(),
        text: std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    }
}

const SOCIAL: [&str; 4] = [
    "social/audit.yaml",
    "social/likes.yaml",
    "social/notifier.yaml",
    "social/web.yaml",
];

fn import(documents: &[Document]) -> (Model, Vec<Diagnostic>) {
    import_documents(documents, &mut Disk).unwrap_or_else(|e| {
        panic!(
            "{:?} do not import: {e}",
            documents.iter().map(|d| &d.name).collect::<Vec<_>>()
        )
    })
}

fn kind(model: &Model, id: &str) -> Option<Kind> {
    model.find(id).map(|n| model.graph[n].kind.kind())
}

fn params(model: &Model, id: &str) -> NodeKind {
    let n = model
        .find(id)
        .unwrap_or_else(|| panic!("no node '{id}' in\n{}", file::to_string(model)));
    model.graph[n].kind.clone()
}

fn linked(model: &Model, from: &str, to: &str) -> bool {
    let (Some(a), Some(b)) = (model.find(from), model.find(to)) else {
        return false;
    };
    model.graph.find_edge(a, b).is_some()
}

fn stand_ins(model: &Model) -> Vec<String> {
    model
        .graph
        .node_weights()
        .filter(|n| {
            n.name
                .as_deref()
                .is_some_and(|s| s.starts_with(EXTERNAL_PREFIX))
        })
        .map(|n| n.id.clone())
        .collect()
}

fn said(diagnostics: &[Diagnostic], words: &str) -> bool {
    diagnostics.iter().any(|d| d.to_string().contains(words))
}

/// Validates with no error, runs two replications of 30 s, and checks
/// that messages go end to end: every producer emits, every consumer
/// finishes messages, and the run completes some.
fn runs(name: &str, model: &Model) {
    let errors: Vec<String> = validate(model)
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: the import does not validate: {errors:#?}\n{}",
        file::to_string(model)
    );
    let mut model = model.clone();
    model.scenario.duration = Duration::from_secs(30);
    model.scenario.warmup = Some(Duration::ZERO);
    model.scenario.replications = 2;
    let report = replicate(&model);
    assert!(
        report.conservation.completed > 100,
        "{name}: messages complete end to end: {:?}",
        report.conservation
    );
    for node in model.graph.node_weights() {
        let Some(r) = report.node(&node.id) else {
            panic!("{name}: no report for '{}'", node.id);
        };
        let needed = match node.kind.kind() {
            Kind::Consumer => "departed",
            Kind::Producer | Kind::Queue | Kind::Topic | Kind::Log => "arrived",
            _ => continue,
        };
        let value = r
            .value(needed)
            .or_else(|| r.value("departed"))
            .unwrap_or_default();
        assert!(
            value > 0.0,
            "{name}: '{}' ({}) has {needed} = {value}: {r:?}",
            node.id,
            node.kind.kind()
        );
    }
}

#[test]
fn every_fixture_imports_into_a_model_that_validates_and_runs() {
    let mut sets: Vec<Vec<&str>> = vec![
        vec!["lamps/lamps.yaml"],
        vec!["garden/sensors.yaml"],
        vec!["billing/billing.json"],
        SOCIAL.to_vec(),
    ];
    sets.extend(SOCIAL.iter().map(|s| vec![*s]));
    for set in sets {
        let documents: Vec<Document> = set.iter().map(|s| document(s)).collect();
        let (model, _) = import(&documents);
        runs(&format!("{set:?}"), &model);
        // What the model file keeps reads back the same.
        let (back, problems) = file::from_str(&file::to_string(&model)).expect("reads back");
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            model.same_as(&back),
            "{set:?}: the import record survives saving"
        );
    }
}

#[test]
fn a_kafka_secure_server_makes_logs_and_each_inference_is_a_warning() {
    let (model, diagnostics) = import(&[document("lamps/lamps.yaml")]);
    for channel in ["lightReading", "switchOn", "dim"] {
        assert_eq!(kind(&model, channel), Some(Kind::Log), "{channel}");
    }
    assert!(
        said(
            &diagnostics,
            "channel 'switchOn': a log, from server 'city''s protocol kafka-secure"
        ),
        "{diagnostics:#?}"
    );
    assert!(said(
        &diagnostics,
        "channel 'dim': a log, from its kafka binding"
    ));
    let NodeKind::Log(dim) = params(&model, "dim") else {
        panic!("dim is a log");
    };
    assert_eq!(dim.partitions, 6);
    assert_eq!(dim.retention, Duration::from_secs(86_400));
    // The readings' senders and the commands' receivers are outside the
    // document: stand-ins, named as such, each named in a warning.
    let mut found = stand_ins(&model);
    found.sort();
    assert_eq!(
        found,
        [
            "ext-receiver-dim",
            "ext-receiver-switchOn",
            "ext-sender-lightReading"
        ]
    );
    for id in &found {
        assert!(
            said(&diagnostics, &format!("(id '{id}') stands in")),
            "{id}: {diagnostics:#?}"
        );
    }
    assert_eq!(
        kind(&model, "ext-sender-lightReading"),
        Some(Kind::Producer)
    );
    let NodeKind::Producer(lamps) = params(&model, "ext-sender-lightReading") else {
        panic!("a producer");
    };
    assert_eq!(lamps.event_names(), ["LightLevel"]);
    assert!(linked(&model, "ext-sender-lightReading", "lightReading"));
    assert!(linked(&model, "lightReading", "readLight"));
    assert!(linked(&model, "switchOn", "ext-receiver-switchOn"));
    // Rates and service times the document does not give are defaults,
    // said so.
    assert!(said(
        &diagnostics,
        "operation 'dimLamp': a sending application; its rate is not in the document"
    ));
    assert!(said(
        &diagnostics,
        "operation 'readLight': a receiving service; its service time is not in the document"
    ));
}

#[test]
fn amqp_exchange_types_and_mqtt_servers_choose_the_broker() {
    let (billing, diagnostics) = import(&[document("billing/billing.json")]);
    assert_eq!(kind(&billing, "shop.orders.placed"), Some(Kind::Topic));
    assert_eq!(kind(&billing, "billing.invoices"), Some(Kind::Queue));
    assert!(said(
        &diagnostics,
        "a topic, from its amqp binding (a topic exchange"
    ));
    let (social, diagnostics) = import(&SOCIAL.map(document));
    assert_eq!(
        kind(&social, "photo.liked"),
        Some(Kind::Topic),
        "a fanout exchange"
    );
    assert_eq!(
        kind(&social, "notify"),
        Some(Kind::Queue),
        "a direct exchange"
    );
    assert!(said(
        &diagnostics,
        "a queue, from its amqp binding (a direct exchange"
    ));
    let (garden, diagnostics) = import(&[document("garden/sensors.yaml")]);
    assert_eq!(kind(&garden, "garden-bed-moisture"), Some(Kind::Topic));
    assert!(said(
        &diagnostics,
        "a topic, from server 'greenhouse''s protocol mqtt"
    ));
}

#[test]
fn in_asyncapi_2_publish_is_receiving_and_subscribe_is_sending() {
    let (garden, diagnostics) = import(&[document("garden/sensors.yaml")]);
    // `subscribe`: others subscribe, so this application sends.
    let NodeKind::Producer(report) = params(&garden, "reportMoisture") else {
        panic!("reportMoisture sends, so it is a producer");
    };
    assert_eq!(report.event_names(), ["Moisture", "SensorFault"]);
    assert!(linked(&garden, "reportMoisture", "garden-bed-moisture"));
    // `publish`: others publish, so this application receives.
    assert_eq!(kind(&garden, "setValve"), Some(Kind::Consumer));
    assert!(linked(&garden, "garden-bed-valve", "setValve"));
    assert!(said(
        &diagnostics,
        "`publish` on channel 'garden/{bed}/valve' in AsyncAPI 2.0.0: this application receives from it"
    ));
    let (billing, _) = import(&[document("billing/billing.json")]);
    assert_eq!(kind(&billing, "billOrder"), Some(Kind::Consumer));
    assert_eq!(kind(&billing, "sendInvoice"), Some(Kind::Producer));
    // Versions outside 2.0–2.6 and 3.x are refused.
    for version in ["1.2.0", "2.7.0", "4.0.0"] {
        let text = format!("asyncapi: {version}\ninfo: {{title: x, version: '1'}}\n");
        let err = asyncapi::import(&text).expect_err(version).to_string();
        assert!(err.contains("Weir reads 2.0–2.6 and 3.x"), "{err}");
    }
}

#[test]
fn services_sharing_channels_join_into_one_connected_system() {
    let (model, diagnostics) = import(&SOCIAL.map(document));
    // One broker per channel; the senders and receivers of each connected
    // through it, across documents, 2.x and 3.x, by address and pattern.
    assert!(linked(&model, "likePhoto", "photo.liked"));
    assert!(linked(&model, "photo.liked", "countLike"));
    assert!(linked(&model, "photo.liked", "recordLike"));
    assert!(linked(&model, "publishCount", "counts"));
    assert!(linked(&model, "counts", "showLikeCount"));
    // notify.user.{userId} (3.0) and notify.user.{id} (2.6) are one channel.
    assert!(linked(&model, "notifyOwner", "notify"));
    assert!(linked(&model, "notify", "deliverNotification"));
    assert_eq!(model.graph.node_count(), 10, "3 brokers and 7 operations");
    assert_eq!(model.graph.edge_count(), 7);
    // Every channel has both sides in some document: no stand-ins.
    assert!(stand_ins(&model).is_empty(), "{:?}", stand_ins(&model));
    // Each service's nodes say which service they are.
    let name = |id: &str| model.graph[model.find(id).expect(id)].name.clone();
    assert_eq!(
        name("countLike").as_deref(),
        Some("Likes service: countLike")
    );
    // Warnings say which document they are about.
    assert!(said(
        &diagnostics,
        "notifier.yaml: operation 'deliverNotification'"
    ));
    // Alone, the web front end needs stand-ins for both channels' other sides.
    let (web, _) = import(&[document("social/web.yaml")]);
    let mut alone = stand_ins(&web);
    alone.sort();
    assert_eq!(alone, ["ext-receiver-photo.liked", "ext-sender-likeCount"]);
    // A literal address joins the pattern it fits.
    let a = Document {
        name: "a.yaml".into(),
        text: "asyncapi: 3.0.0\ninfo: {title: A, version: '1'}\nchannels:\n  c: {address: 'orders.{region}.placed'}\noperations:\n  put: {action: send, channel: {$ref: '#/channels/c'}}\n".into(),
    };
    let b = Document {
        name: "b.yaml".into(),
        text: "asyncapi: 3.0.0\ninfo: {title: B, version: '1'}\nchannels:\n  c: {address: orders.eu.placed}\noperations:\n  take: {action: receive, channel: {$ref: '#/channels/c'}}\n".into(),
    };
    let (joined, _) = import(&[a, b]);
    assert_eq!(joined.graph.node_count(), 3, "{}", file::to_string(&joined));
    assert!(stand_ins(&joined).is_empty());
}

fn with_files(
    main: &str,
    files: &[(&str, String)],
) -> Result<(Model, Vec<Diagnostic>), ImportError> {
    let mut memory = Memory {
        files: files
            .iter()
            .map(|(n, t)| ((*n).to_owned(), t.clone()))
            .collect(),
        reads: 0,
    };
    let documents = [Document {
        name: "specs/main.yaml".into(),
        text: main.to_owned(),
    }];
    import_documents(&documents, &mut memory)
}

const MAIN: &str = "asyncapi: 3.0.0\ninfo: {title: Main, version: '1'}\nchannels:\n  c:\n    $ref: 'REF'\noperations:\n  put: {action: send, channel: {$ref: '#/channels/c'}}\n";

#[test]
fn references_to_other_files_are_followed_within_limits() {
    // Relative to the document's folder, through chains of files.
    let (model, _) = with_files(
        &MAIN.replace("REF", "common/a.yaml#/channels/c"),
        &[
            (
                "specs/common/a.yaml",
                "channels:\n  c: {$ref: '../../shared/b.yaml#/channels/c'}\n".into(),
            ),
            (
                "shared/b.yaml",
                "channels:\n  c: {address: orders, bindings: {sns: {}}}\n".into(),
            ),
        ],
    )
    .expect("imports");
    assert_eq!(kind(&model, "orders"), Some(Kind::Topic));
    // A chain longer than the limit.
    let mut chain: Vec<(String, String)> = (0..=MAX_REF_DEPTH + 1)
        .map(|i| {
            (
                format!("specs/f{i}.yaml"),
                format!("c: {{$ref: 'f{}.yaml#/c'}}\n", i + 1),
            )
        })
        .collect();
    chain.push((
        format!("specs/f{}.yaml", MAX_REF_DEPTH + 2),
        "c: {address: x}\n".into(),
    ));
    let files: Vec<(&str, String)> = chain.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let err = with_files(&MAIN.replace("REF", "f0.yaml#/c"), &files)
        .expect_err("too long a chain")
        .to_string();
    assert!(
        err.contains(&format!("more than {MAX_REF_DEPTH} references in a row")),
        "{err}"
    );
    // More files than the limit (a chain of distinct files, each followed
    // from a new channel).
    let mut main = String::from("asyncapi: 3.0.0\ninfo: {title: Main, version: '1'}\nchannels:\n");
    let mut many = Vec::new();
    for i in 0..=MAX_REF_FILES {
        main.push_str(&format!("  c{i}: {{$ref: 'm{i}.yaml#/c'}}\n"));
        many.push((
            format!("specs/m{i}.yaml"),
            format!("c: {{address: a{i}}}\n"),
        ));
    }
    let files: Vec<(&str, String)> = many.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let err = with_files(&main, &files)
        .expect_err("too many files")
        .to_string();
    assert!(
        err.contains(&format!("more than {MAX_REF_FILES} files")),
        "{err}"
    );
    // More bytes than the limit.
    let big = format!("c: {{address: big}}\n#{}\n", "x".repeat(9 << 20));
    let mut main = String::from("asyncapi: 3.0.0\ninfo: {title: Main, version: '1'}\nchannels:\n");
    main.push_str("  a: {$ref: 'big1.yaml#/c'}\n  b: {$ref: 'big2.yaml#/c'}\n");
    let err = with_files(
        &main,
        &[("specs/big1.yaml", big.clone()), ("specs/big2.yaml", big)],
    )
    .expect_err("too many bytes")
    .to_string();
    assert!(err.contains("MiB together"), "{err}");
    // A file that is not there is named.
    let err = with_files(&MAIN.replace("REF", "gone.yaml#/c"), &[])
        .expect_err("missing")
        .to_string();
    assert!(err.contains("'specs/gone.yaml': no such file"), "{err}");
    // A pointer to nothing is named.
    let err = with_files(
        &MAIN.replace("REF", "a.yaml#/channels/nope"),
        &[("specs/a.yaml", "channels: {}\n".into())],
    )
    .expect_err("no such pointer")
    .to_string();
    assert!(err.contains("has nothing at '#/channels/nope'"), "{err}");
}

#[test]
fn references_over_the_network_or_by_absolute_path_are_refused_unread() {
    for reference in [
        "https://schemas.example/c.yaml#/c",
        "http://schemas.example/c.yaml#/c",
        "//schemas.example/c.yaml#/c",
    ] {
        let mut memory = Memory::default();
        let documents = [Document {
            name: "main.yaml".into(),
            text: MAIN.replace("REF", reference),
        }];
        let err = import_documents(&documents, &mut memory)
            .expect_err(reference)
            .to_string();
        assert!(
            err.contains("never reads references over the network"),
            "{err}"
        );
        assert!(err.contains(reference), "the reference is named: {err}");
        assert_eq!(memory.reads, 0, "nothing was asked for");
    }
    for reference in ["/etc/c.yaml#/c", "file:///etc/c.yaml#/c", "C:\\c.yaml#/c"] {
        let err = with_files(&MAIN.replace("REF", reference), &[])
            .expect_err(reference)
            .to_string();
        assert!(
            err.contains("never reads references over the network")
                || err.contains("only relative references"),
            "{err}"
        );
    }
    // The single-document import follows no file at all.
    let err = asyncapi::import(&MAIN.replace("REF", "common.yaml#/c"))
        .expect_err("no files")
        .to_string();
    assert!(err.contains("not followed here"), "{err}");
}

/// The social documents with some text replaced in one of them.
fn edited(changes: &[(&str, &str, &str)], without: &[&str]) -> Vec<Document> {
    SOCIAL
        .iter()
        .filter(|s| !without.contains(s))
        .map(|s| {
            let mut d = document(s);
            for (which, from, to) in changes {
                if s == which {
                    assert!(d.text.contains(from), "{s} has '{from}'");
                    d.text = d.text.replace(from, to);
                }
            }
            d
        })
        .collect()
}

#[test]
fn importing_again_keeps_the_users_work_and_says_what_changed() {
    let (first, _) = import(&SOCIAL.map(document));
    // The user's work: a position, parameters, a node and a link of their own.
    let mut model = first.clone();
    let count_like = model.find("countLike").expect("countLike");
    model.graph[count_like].pos = Some([120.0, 40.0]);
    let NodeKind::Consumer(mut consumer) = model.graph[count_like].kind.clone() else {
        panic!("countLike is a consumer");
    };
    consumer.instances = 3;
    model.graph[count_like].kind = NodeKind::Consumer(consumer.clone());
    let counts = model.find("counts").expect("counts");
    model.graph[counts].name = Some("Like counts".into());
    let warehouse = model.add_node(sim_core::model::Node::new(
        "warehouse",
        NodeKind::Sink(sim_core::nodes::SinkParams::default()),
    ));
    model.add_edge(count_like, warehouse, sim_core::model::Edge::default());
    // The same documents again: nothing changes.
    let (again, _) = import(&SOCIAL.map(document));
    let (same, changes) = merge(&model, &again);
    assert!(changes.is_empty(), "{changes:#?}");
    assert!(same.same_as(&model), "{}", file::to_string(&same));

    // The documents change: an operation renamed, a channel's key renamed
    // (same address), a service gone, an operation and channel new.
    let documents = edited(
        &[
            ("social/likes.yaml", "notifyOwner", "tellOwner"),
            ("social/likes.yaml", "  counts:", "  likeCounts:"),
            (
                "social/likes.yaml",
                "'#/channels/counts'",
                "'#/channels/likeCounts'",
            ),
            (
                "social/web.yaml",
                "operations:\n",
                "  unliked:\n    address: photo.unliked\noperations:\n  unlikePhoto:\n    action: send\n    channel:\n      $ref: '#/channels/unliked'\n",
            ),
        ],
        &["social/audit.yaml"],
    );
    let (fresh, _) = import(&documents);
    let (merged, changes) = merge(&model, &fresh);
    let text: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert!(
        changes.contains(&Change::Renamed {
            from: "notifyOwner".into(),
            to: "tellOwner".into(),
            why: "operation 'notifyOwner' of Likes service is now 'tellOwner', with the same action on the same channel".into(),
        }),
        "{text:#?}"
    );
    assert!(
        changes.iter().any(|c| matches!(c, Change::Renamed { from, to, .. } if from == "counts" && to == "likeCounts")),
        "{text:#?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::Removed { id, .. } if id == "recordLike")),
        "{text:#?}"
    );
    for id in ["unlikePhoto", "photo.unliked", "ext-receiver-photo.unliked"] {
        assert!(
            changes
                .iter()
                .any(|c| matches!(c, Change::Added { id: added, .. } if added == id)),
            "{id}: {text:#?}"
        );
    }
    assert_eq!(changes.len(), 6, "{text:#?}");
    // The work is kept.
    let count_like = merged.find("countLike").expect("countLike stays");
    assert_eq!(merged.graph[count_like].pos, Some([120.0, 40.0]));
    assert_eq!(merged.graph[count_like].kind, NodeKind::Consumer(consumer));
    let counts = merged.find("likeCounts").expect("the renamed channel");
    assert_eq!(merged.graph[counts].name.as_deref(), Some("Like counts"));
    assert!(linked(&merged, "countLike", "warehouse"), "the user's link");
    assert!(linked(&merged, "tellOwner", "notify"));
    assert!(linked(&merged, "publishCount", "likeCounts"));
    assert!(linked(&merged, "likeCounts", "showLikeCount"));
    assert!(merged.find("recordLike").is_none());
    runs("merged", &merged);
    // Importing the same documents once more changes nothing.
    let (settled, changes) = merge(&merged, &fresh);
    assert!(changes.is_empty(), "{changes:#?}");
    assert!(settled.same_as(&merged));
    // A node the user deleted stays out.
    let mut pruned = merged.clone();
    let ix = pruned.find("unlikePhoto").expect("unlikePhoto");
    pruned.graph.remove_node(ix);
    let (kept_out, changes) = merge(&pruned, &fresh);
    assert!(kept_out.find("unlikePhoto").is_none());
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::KeptOut { id, .. } if id == "unlikePhoto")),
        "{changes:#?}"
    );
}

#[test]
fn importing_a_weir_export_again_matches_nodes_by_id() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pipeline.ron");
    let text = std::fs::read_to_string(&path).expect("the example");
    let (original, _) = file::from_str(&text).expect("loads");
    let exported = asyncapi::to_yaml(&original).expect("exports");
    // The user moved a node and changed it since.
    let mut edited = original.clone();
    let first = edited.graph.node_indices().next().expect("a node");
    edited.graph[first].pos = Some([7.0, 9.0]);
    edited.graph[first].name = Some("Renamed by hand".into());
    let (again, _) = asyncapi::import(&exported).expect("imports");
    let (merged, changes) = merge(&edited, &again);
    assert!(changes.is_empty(), "{changes:#?}");
    assert!(merged.same_as(&edited), "{}", file::to_string(&merged));
}

#[test]
fn the_same_documents_give_the_same_model_byte_for_byte() {
    let once = file::to_string(&import(&SOCIAL.map(document)).0);
    let twice = file::to_string(&import(&SOCIAL.map(document)).0);
    assert_eq!(once, twice);
    // Two documents with the same operation key: the second is named by
    // its service.
    let (twin, _) = import(&[document("social/web.yaml"), {
        let mut d = document("social/web.yaml");
        d.text = d.text.replace("title: Photo web", "title: Photo app");
        d.name = d.name.replace("web.yaml", "app.yaml");
        d
    }]);
    assert!(twin.find("likePhoto").is_some());
    assert!(
        twin.find("Photo-app.likePhoto").is_some(),
        "{}",
        file::to_string(&twin)
    );
}

#[test]
fn importing_again_keeps_a_kind_the_user_changed_unless_the_documents_change_theirs() {
    let doc = |binding: &str| {
        let text = format!(
            "asyncapi: 3.0.0\ninfo: {{title: Jobs, version: '1'}}\nchannels:\n  jobs: {{address: jobs, bindings: {binding}}}\noperations:\n  put: {{action: send, channel: {{$ref: '#/channels/jobs'}}}}\n  take: {{action: receive, channel: {{$ref: '#/channels/jobs'}}}}\n"
        );
        asyncapi::import(&text).expect("imports").0
    };
    let first = doc("{amqp: {is: queue}}");
    assert_eq!(kind(&first, "jobs"), Some(Kind::Queue));
    let mut model = first.clone();
    let jobs = model.find("jobs").expect("jobs");
    let log = sim_core::nodes::LogParams {
        partitions: 4,
        ..sim_core::nodes::LogParams::default()
    };
    model.graph[jobs].kind = NodeKind::Log(log.clone());
    // The documents did not change: the user's log stays.
    let (same, changes) = merge(&model, &doc("{amqp: {is: queue}}"));
    assert!(changes.is_empty(), "{changes:#?}");
    assert_eq!(params(&same, "jobs"), NodeKind::Log(log));
    // The documents make it a topic now: it becomes one, said so.
    let (topic, changes) = merge(&same, &doc("{sns: {}}"));
    assert_eq!(kind(&topic, "jobs"), Some(Kind::Topic));
    assert_eq!(
        changes,
        [Change::KindChanged {
            id: "jobs".into(),
            from: "log",
            to: "topic"
        }]
    );
    runs("topic", &topic);
}

#[test]
fn importing_again_stays_quick_for_many_channels() {
    use std::fmt::Write as _;
    let n = 5_000;
    let mut text = String::from("asyncapi: 3.0.0\ninfo: {title: many, version: '1'}\nchannels:\n");
    for i in 0..n {
        writeln!(text, "  c{i}: {{address: c{i}}}").expect("writes");
    }
    text.push_str("operations:\n");
    for i in 0..n {
        writeln!(
            text,
            "  put{i}: {{action: send, channel: {{$ref: '#/channels/c{i}'}}}}"
        )
        .expect("writes");
    }
    let start = std::time::Instant::now();
    let (model, _) = asyncapi::import(&text).expect("imports");
    assert_eq!(
        model.graph.node_count(),
        3 * n,
        "a broker, a sender and a stand-in each"
    );
    let (again, changes) = merge(&model, &model);
    assert!(changes.is_empty());
    assert!(again.same_as(&model));
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_secs(60), "took {took:?}");
}
