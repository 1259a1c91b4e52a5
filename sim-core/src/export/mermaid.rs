//! Mermaid: the model as `flowchart LR` text, for Markdown pages that
//! render Mermaid. Nodes are named `n0`, `n1`, … in model order (Mermaid
//! ids cannot hold every character a Weir id can, and `end` is a keyword);
//! the label carries the name, kind and main parameters. Dead-letter edges
//! are dotted.
//!
//! [`from_mermaid`] reads a flowchart back as a model with default
//! parameters: Weir's own export, or a sketch written by hand.
//!
//! - The text starts with `flowchart` or `graph` (any direction), after
//!   an optional front matter block whose `title:` names the model.
//!   `%%` comments, `subgraph … end` (the nodes inside count, the
//!   subgraph is no node), `direction`, `classDef`, `class`, `style`,
//!   `linkStyle` and `click` lines are passed over; `;` separates
//!   statements.
//! - A node is `id`, `id[label]`, `id["label"]` or `id` with any of
//!   Mermaid's shapes; `A --> B --> C` chains and `A & B --> C` fan in
//!   and out. Every arrow is a link, as written: `-->`, `---`, `-.->`,
//!   `==>`, longer ones, with a label as `-->|text|` or `-- text -->`.
//! - A node's kind is, in this order: a `«kind»` line in its label (as
//!   Weir writes it: the kind's name, like `«dead-letter queue»`, or its
//!   key, like `«dead_letter»`); a word in its name or id (see
//!   [`kind_from_words`]: a cylinder labelled `Orders DB` is a sink); its
//!   shape, when it is one Weir draws a kind with other than the plain
//!   rectangle (`([ ])` producer, `[( )]` queue, `{{ }}` topic, `{ }`
//!   router, `[[ ]]` service, `[/ /]` sink, `[\ /]` dead-letter queue,
//!   `> ]` log, `((( )))` CEP, `(( ))` event store, `[/ \]`
//!   projection); else a producer when nothing links to it and a
//!   consumer otherwise.
//! - A node's name is its label's first line (without markup); its id is
//!   the Mermaid id, but for Weir's own `n0`, `n1`, … which give way to
//!   the name made into an id (`Click stream` → `click-stream`).
//! - A link's label `+2ms` (or a label that is a duration) is its
//!   latency; in Weir's own export, the words before it on a link from a
//!   topic or router are its filter of event types. A link that Weir
//!   cannot make (a queue into a queue) is left out with a warning, and
//!   so is a second link between the same two nodes.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{edge_role, edge_text};
use crate::model::{Edge, Model, Node};
use crate::nodes::{EdgeRole, Kind, NodeKind};
use crate::time::Duration;

/// The model as a Mermaid flowchart.
pub fn to_mermaid(model: &Model) -> String {
    let graph = &model.graph;
    let mut out = String::new();
    let _ = writeln!(out, "---\ntitle: {}\n---", escape(&model.name));
    out.push_str("flowchart LR\n");
    let ids: Vec<_> = graph.node_indices().collect();
    let short = |n| ids.iter().position(|&m| m == n).unwrap_or(0);
    for (i, &n) in ids.iter().enumerate() {
        let node = &graph[n];
        let mut label = vec![
            format!("<b>{}</b>", escape(node.label())),
            format!("«{}»", node.kind.kind()),
        ];
        label.extend(node.kind.summary().iter().map(|l| escape(l)));
        let label = label.join("<br/>");
        let (open, close) = node.kind.kind().mermaid_shape();
        let _ = writeln!(out, "    n{i}{open}\"{label}\"{close}");
    }
    for e in graph.edge_indices() {
        let Some((a, b)) = graph.edge_endpoints(e) else {
            continue;
        };
        let arrow = if edge_role(model, e) == Some(EdgeRole::DeadLetter) {
            "-.->"
        } else {
            "-->"
        };
        let label = edge_text(model, e)
            .map(|t| format!("|\"{}\"|", escape(&t)))
            .unwrap_or_default();
        let _ = writeln!(out, "    n{} {arrow}{label} n{}", short(a), short(b));
    }
    // Classes by kind, so a stylesheet (or the defaults below) can colour them.
    for (class, fill) in [
        ("producer", "#d6eaf8"),
        ("queue", "#fdebd0"),
        ("topic", "#e8daef"),
        ("consumer", "#d5f5e3"),
        ("sink", "#eaeded"),
        ("dead_letter", "#f5b7b1"),
        ("log", "#d0ece7"),
        ("cep", "#fadbd8"),
        ("event_store", "#d1f2eb"),
        ("projection", "#fef5e7"),
    ] {
        let members: Vec<String> = ids
            .iter()
            .enumerate()
            .filter(|&(_, &n)| graph[n].kind.kind().key() == class)
            .map(|(i, _)| format!("n{i}"))
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "    classDef {class} fill:{fill},stroke:#555");
            let _ = writeln!(out, "    class {} {class}", members.join(","));
        }
    }
    out
}

/// Escapes text for a quoted Mermaid label: Mermaid's entity codes for
/// the characters that would end the label or start markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The most nodes a flowchart may declare.
pub const MAX_NODES: usize = 10_000;
/// The most links a flowchart may draw (`A & B & … --> C & D & …` draws
/// one per pair).
pub const MAX_LINKS: usize = 100_000;

/// Why a flowchart could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct MermaidError {
    pub line: usize,
    pub message: String,
}

fn error(line: usize, message: impl Into<String>) -> MermaidError {
    MermaidError {
        line,
        message: message.into(),
    }
}

/// The lines after an optional front matter block, numbered from 1, and
/// the block's `title`.
fn body(text: &str) -> (Vec<(usize, &str)>, Option<String>) {
    let lines: Vec<(usize, &str)> = text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    let first = lines.iter().position(|(_, l)| !l.trim().is_empty());
    if let Some(first) = first
        && lines[first].1.trim() == "---"
        && let Some(close) = lines[first + 1..]
            .iter()
            .position(|(_, l)| l.trim() == "---")
    {
        let front = &lines[first + 1..first + 1 + close];
        let title = front.iter().find_map(|(_, l)| {
            l.trim()
                .strip_prefix("title:")
                .map(|t| unescape(t.trim().trim_matches('"')))
        });
        return (lines[first + close + 2..].to_vec(), title);
    }
    (lines, None)
}

/// A line without its `%%` comment.
fn uncommented(line: &str) -> &str {
    line.find("%%").map_or(line, |i| &line[..i]).trim()
}

/// Whether `text` reads as a Mermaid flowchart: its first line (after any
/// front matter and comments) starts with `flowchart` or `graph`.
pub fn is_flowchart(text: &str) -> bool {
    let (lines, _) = body(text);
    lines
        .iter()
        .map(|(_, l)| uncommented(l))
        .find(|l| !l.is_empty())
        .is_some_and(|l| header_word(l).is_some())
}

fn header_word(line: &str) -> Option<&str> {
    let word = line.split_whitespace().next()?;
    let word = word.trim_end_matches(';');
    matches!(word, "flowchart" | "graph" | "flowchart-elk").then_some(word)
}

/// A node as the flowchart declares it.
#[derive(Debug, Default)]
struct Decl {
    mermaid_id: String,
    label: Option<String>,
    shape: Option<Shape>,
}

/// A shape's opening and closing brackets.
type Shape = (&'static str, &'static str);

/// A link as the flowchart draws it.
#[derive(Debug)]
struct Link {
    from: usize,
    to: usize,
    label: String,
    line: usize,
}

/// Mermaid's node shapes, openers longest first, each with its closers.
const SHAPES: [(&str, &[&str]); 12] = [
    ("(((", &[")))"]),
    ("((", &["))"]),
    ("([", &["])"]),
    ("[(", &[")]"]),
    ("[[", &["]]"]),
    ("{{", &["}}"]),
    ("[/", &["/]", "\\]"]),
    ("[\\", &["/]", "\\]"]),
    ("[", &["]"]),
    ("(", &[")"]),
    ("{", &["}"]),
    (">", &["]"]),
];

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }

    fn at_end(&self) -> bool {
        self.rest().trim().is_empty()
    }

    /// A node id: letters, digits, `_`, and `-` or `.` between them.
    fn id(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        let mut end = 0;
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next_is_word = chars
                .peek()
                .is_some_and(|&(_, n)| n.is_alphanumeric() || n == '_');
            if c.is_alphanumeric() || c == '_' || ((c == '-' || c == '.') && next_is_word && i > 0)
            {
                end = i + c.len_utf8();
            } else {
                break;
            }
        }
        (end > 0).then(|| {
            self.pos += end;
            &rest[..end]
        })
    }

    /// A shape and label right after an id, if there is one.
    fn shape(&mut self) -> Result<Option<(Shape, String)>, MermaidError> {
        for (open, closers) in SHAPES {
            if !self.rest().starts_with(open) {
                continue;
            }
            self.pos += open.len();
            let label;
            if self.rest().trim_start().starts_with('"') {
                self.skip_ws();
                self.pos += 1;
                let Some(end) = self.rest().find('"') else {
                    return Err(error(self.line, "a quoted label has no closing quote"));
                };
                label = self.rest()[..end].to_owned();
                self.pos += end + 1;
                self.skip_ws();
                let Some(close) = closers.iter().find(|c| self.rest().starts_with(**c)) else {
                    return Err(error(
                        self.line,
                        format!(
                            "the shape opened with `{open}` is not closed with `{}`",
                            closers.join("` or `")
                        ),
                    ));
                };
                self.pos += close.len();
                return Ok(Some(((open, *close), label)));
            }
            let found = closers
                .iter()
                .filter_map(|c| self.rest().find(c).map(|i| (i, *c)))
                .min();
            let Some((end, close)) = found else {
                return Err(error(
                    self.line,
                    format!(
                        "the shape opened with `{open}` is not closed with `{}`",
                        closers.join("` or `")
                    ),
                ));
            };
            label = self.rest()[..end].to_owned();
            self.pos += end + close.len();
            return Ok(Some(((open, close), label)));
        }
        Ok(None)
    }

    /// A link: its label, if it has one. `None` when there is no link here.
    fn link(&mut self) -> Option<String> {
        let start = self.pos;
        let _ = self.eat("<");
        let rest = self.rest();
        let run = rest.len() - rest.trim_start_matches(['-', '.', '=']).len();
        let body = &rest[..run];
        if run < 2 || !(body.starts_with('-') || body.starts_with('=')) {
            self.pos = start;
            return None;
        }
        self.pos += run;
        let head = self.eat(">") || {
            // `--o` and `--x` heads, when a space follows.
            let r = self.rest();
            if (r.starts_with('o') || r.starts_with('x')) && r[1..].starts_with(char::is_whitespace)
            {
                self.pos += 1;
                true
            } else {
                false
            }
        };
        let mut label = String::new();
        if !head && matches!(body, "--" | "==" | "-.") {
            // `-- text -->`: the text up to the link's other half.
            let ends: &[&str] = match body {
                "--" => &["-->", "---"],
                "==" => &["==>", "==="],
                _ => &[".->", ".-"],
            };
            let found = ends
                .iter()
                .filter_map(|e| self.rest().find(e).map(|i| (i, *e)))
                .min();
            let Some((i, end)) = found else {
                self.pos = start;
                return None;
            };
            label = self.rest()[..i].trim().to_owned();
            self.pos += i + end.len();
            let r = self.rest();
            let more = r.len() - r.trim_start_matches(['-', '.', '=']).len();
            self.pos += more;
            let _ = self.eat(">");
        }
        self.skip_ws();
        if self.eat("|")
            && let Some(end) = self.rest().find('|')
        {
            label = self.rest()[..end].trim().trim_matches('"').to_owned();
            self.pos += end + 1;
        }
        Some(label)
    }
}

/// Mermaid's entity codes and the HTML ones, as characters.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['#', '&']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let decoded = tail[1..].find(';').and_then(|end| {
            let code = &tail[1..=end];
            let c = match code.trim_end_matches(';') {
                "quot" => Some('"'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                n => n
                    .strip_prefix('#')
                    .unwrap_or(n)
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32),
            }?;
            Some((c, end + 2))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push(tail.chars().next().unwrap_or('#'));
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A label's lines without markup: `<br/>` splits lines, other tags go,
/// entity codes become characters.
fn label_lines(label: &str) -> Vec<String> {
    let label = label
        .replace("<br/>", "\n")
        .replace("<br>", "\n")
        .replace("<br />", "\n");
    label
        .split(['\n'])
        .map(|line| {
            let mut plain = String::new();
            let mut rest = line;
            while let Some(i) = rest.find('<') {
                plain.push_str(&rest[..i]);
                match rest[i..].find('>') {
                    Some(j) => rest = &rest[i + j + 1..],
                    None => {
                        plain.push_str(&rest[i..]);
                        rest = "";
                    }
                }
            }
            plain.push_str(rest);
            unescape(plain.trim()).trim().to_owned()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// A kind named by a `«kind»` line: its name or its key.
fn kind_named(text: &str) -> Option<Kind> {
    let text = text.trim().to_lowercase();
    Kind::ALL
        .into_iter()
        .find(|k| k.label().to_lowercase() == text || k.key() == text)
}

/// The kind a sketch's words suggest, by whole words of a node's name or
/// id, in this order: dead letter (`dlq`, `dead letter`, `deadletter`),
/// log (`log`, `kafka`, `kinesis`), topic (`topic`, `sns`,
/// `exchange`, `pubsub`, `fanout`, `bus`), queue (`queue`, `sqs`, `mq`,
/// `inbox`, `buffer`), event store (`event store`, `eventstore`),
/// projection (`projection`, `view`, `read model`), CEP (`cep`,
/// `detector`, `correlator`), router (`router`, `filter`, `splitter`,
/// `switch`), producer (`producer`, `source`, `publisher`, `sensor`,
/// `client`, `emitter`, `generator`, `user(s)`, `customer(s)`), sink (`sink`, `db`, `database`,
/// `warehouse`, `storage`, `archive`, `lake`).
pub fn kind_from_words(text: &str) -> Option<Kind> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |w: &str| words.contains(&w);
    let pair = |a: &str, b: &str| words.windows(2).any(|p| p[0] == a && p[1] == b);
    let any = |ws: &[&str]| ws.iter().any(|w| has(w));
    if any(&["dlq", "deadletter"]) || pair("dead", "letter") {
        Some(Kind::DeadLetter)
    } else if any(&["log", "kafka", "kinesis"]) {
        Some(Kind::Log)
    } else if any(&["topic", "sns", "exchange", "pubsub", "fanout", "bus"]) {
        Some(Kind::Topic)
    } else if any(&["queue", "sqs", "mq", "inbox", "buffer"]) {
        Some(Kind::Queue)
    } else if has("eventstore") || pair("event", "store") {
        Some(Kind::EventStore)
    } else if any(&["projection", "view"]) || pair("read", "model") {
        Some(Kind::Projection)
    } else if any(&["cep", "detector", "correlator"]) {
        Some(Kind::Cep)
    } else if any(&["router", "filter", "splitter", "switch"]) {
        Some(Kind::Router)
    } else if any(&[
        "producer",
        "source",
        "publisher",
        "sensor",
        "client",
        "emitter",
        "generator",
        "user",
        "users",
        "customer",
        "customers",
    ]) {
        Some(Kind::Producer)
    } else if any(&[
        "sink",
        "db",
        "database",
        "warehouse",
        "storage",
        "archive",
        "lake",
    ]) {
        Some(Kind::Sink)
    } else {
        None
    }
}

/// A name made into an id: lower case, words joined by `-`.
fn id_from_name(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' {
            id.extend(c.to_lowercase());
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_owned()
}

/// Reads a Mermaid flowchart as a model with each kind's default
/// parameters (see the module's documentation for the rules), with
/// warnings about what was left out.
pub fn from_mermaid(text: &str) -> Result<(Model, Vec<String>), MermaidError> {
    let (lines, title) = body(text);
    let mut statements = lines
        .iter()
        .map(|&(n, l)| (n, uncommented(l)))
        .filter(|(_, l)| !l.is_empty());
    let Some((first_line, header)) = statements.next() else {
        return Err(error(
            1,
            "the file is empty: a Mermaid flowchart starts with `flowchart LR` or `graph TD`",
        ));
    };
    if header_word(header).is_none() {
        return Err(error(
            first_line,
            format!(
                "a Mermaid flowchart starts with `flowchart` or `graph` (and a direction, like `flowchart LR`), not `{}`",
                header.chars().take(40).collect::<String>()
            ),
        ));
    }
    let mut decls: Vec<Decl> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut links: Vec<Link> = Vec::new();
    let mut warnings = Vec::new();
    let mut depth = 0usize;
    // The rest of the header line may hold statements after a `;`.
    let header_rest = header.split_once(';').map(|(_, rest)| rest.trim());
    let all = header_rest
        .filter(|r| !r.is_empty())
        .map(|r| (first_line, r))
        .into_iter()
        .chain(statements);
    for (line, text) in all {
        for stmt in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let word = stmt.split_whitespace().next().unwrap_or("");
            match word {
                "subgraph" => {
                    depth += 1;
                    continue;
                }
                "end" => {
                    if depth == 0 {
                        return Err(error(line, "`end` closes no `subgraph`"));
                    }
                    depth -= 1;
                    continue;
                }
                "direction" | "classDef" | "class" | "style" | "linkStyle" | "click"
                | "accTitle:" | "accDescr:" => continue,
                _ => {}
            }
            statement(stmt, line, &mut decls, &mut index, &mut links)?;
            if decls.len() > MAX_NODES {
                return Err(error(line, format!("more than {MAX_NODES} nodes")));
            }
        }
    }
    if depth > 0 {
        warnings.push(format!("{depth} subgraph(s) are not closed with `end`"));
    }
    if decls.is_empty() {
        return Err(error(first_line, "the flowchart has no nodes"));
    }

    // Kinds.
    let mut has_input = vec![false; decls.len()];
    for link in &links {
        has_input[link.to] = true;
    }
    let mut model = Model::new(title.unwrap_or_else(|| "Imported flowchart".to_owned()));
    let mut marked = Vec::with_capacity(decls.len());
    let mut nodes = Vec::with_capacity(decls.len());
    for (i, decl) in decls.iter().enumerate() {
        let lines = decl.label.as_deref().map(label_lines).unwrap_or_default();
        let named_kind = lines.iter().find_map(|l| {
            l.strip_prefix('«')
                .and_then(|l| l.strip_suffix('»'))
                .and_then(kind_named)
        });
        let name = lines
            .iter()
            .find(|l| !l.starts_with('«'))
            .cloned()
            .unwrap_or_else(|| decl.mermaid_id.clone());
        let shape_kind = decl.shape.and_then(|shape| {
            Kind::ALL
                .into_iter()
                .find(|k| k.mermaid_shape() == shape && *k != Kind::Consumer)
        });
        let kind = named_kind
            .or_else(|| kind_from_words(&name))
            .or_else(|| kind_from_words(&decl.mermaid_id))
            .or(shape_kind)
            .unwrap_or(if has_input[i] {
                Kind::Consumer
            } else {
                Kind::Producer
            });
        marked.push(named_kind.is_some());
        let weir_short = decl
            .mermaid_id
            .strip_prefix('n')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        let base = if weir_short || decl.mermaid_id.is_empty() {
            id_from_name(&name)
        } else {
            decl.mermaid_id.clone()
        };
        let id = model.unique_id(&base);
        let mut node = Node::new(id.clone(), NodeKind::default_for(kind));
        if name != id {
            node.name = Some(name);
        }
        nodes.push(model.add_node(node));
    }

    // Links.
    for link in &links {
        let (a, b) = (nodes[link.from], nodes[link.to]);
        let (from, to) = (&model.graph[a], &model.graph[b]);
        let (from_kind, to_kind) = (from.kind.kind(), to.kind.kind());
        if let Err(why) = from_kind.connect(to_kind) {
            warnings.push(format!(
                "line {}: the link from '{}' ({}) to '{}' ({}) is left out: {why}",
                link.line,
                from.label(),
                from_kind,
                to.label(),
                to_kind
            ));
            continue;
        }
        if model.graph.find_edge(a, b).is_some() {
            warnings.push(format!(
                "line {}: a second link from '{}' to '{}' is left out",
                link.line,
                from.label(),
                to.label()
            ));
            continue;
        }
        let mut edge = Edge::default();
        let label = unescape(&link.label);
        let mut words: Vec<&str> = label.split_whitespace().collect();
        let latency = |w: &str| w.strip_prefix('+').unwrap_or(w).parse::<Duration>().ok();
        if let Some(last) = words.last()
            && let Some(d) = latency(last)
            && (last.starts_with('+') || words.len() == 1)
        {
            edge.latency = Some(d);
            words.pop();
        }
        let rest = words.join(" ");
        if !rest.is_empty() && marked[link.from] && matches!(from_kind, Kind::Topic | Kind::Router)
        {
            edge.filter = Some(
                rest.split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect(),
            );
        }
        model.add_edge(a, b, edge);
    }
    Ok((model, warnings))
}

/// One statement: nodes, joined by links.
fn statement(
    text: &str,
    line: usize,
    decls: &mut Vec<Decl>,
    index: &mut HashMap<String, usize>,
    links: &mut Vec<Link>,
) -> Result<(), MermaidError> {
    let mut cursor = Cursor { text, pos: 0, line };
    let mut previous = group(&mut cursor, decls, index)?;
    loop {
        cursor.skip_ws();
        if cursor.at_end() {
            return Ok(());
        }
        let Some(label) = cursor.link() else {
            return Err(error(
                line,
                format!(
                    "expected a link (`-->`, `-.->`, `==>`) or the end of the statement at `{}`",
                    cursor.rest().chars().take(30).collect::<String>()
                ),
            ));
        };
        cursor.skip_ws();
        let next = group(&mut cursor, decls, index)?;
        if links.len() + previous.len() * next.len() > MAX_LINKS {
            return Err(error(line, format!("more than {MAX_LINKS} links")));
        }
        for &from in &previous {
            for &to in &next {
                links.push(Link {
                    from,
                    to,
                    label: label.clone(),
                    line,
                });
            }
        }
        previous = next;
    }
}

/// Nodes joined by `&`.
fn group(
    cursor: &mut Cursor<'_>,
    decls: &mut Vec<Decl>,
    index: &mut HashMap<String, usize>,
) -> Result<Vec<usize>, MermaidError> {
    let mut out = vec![node(cursor, decls, index)?];
    loop {
        let save = cursor.pos;
        cursor.skip_ws();
        if cursor.eat("&") {
            cursor.skip_ws();
            out.push(node(cursor, decls, index)?);
        } else {
            cursor.pos = save;
            return Ok(out);
        }
    }
}

/// A node reference, declaring it (or its label and shape) on first sight.
fn node(
    cursor: &mut Cursor<'_>,
    decls: &mut Vec<Decl>,
    index: &mut HashMap<String, usize>,
) -> Result<usize, MermaidError> {
    let line = cursor.line;
    let Some(id) = cursor.id() else {
        return Err(error(
            line,
            format!(
                "expected a node id at `{}`",
                cursor.rest().chars().take(30).collect::<String>()
            ),
        ));
    };
    let shape = cursor.shape()?;
    // `:::class` and `@{ … }` decorate a node; neither changes it here.
    if cursor.eat(":::") {
        let _ = cursor.id();
    }
    if cursor.rest().starts_with("@{") {
        match cursor.rest().find('}') {
            Some(end) => cursor.pos += end + 1,
            None => return Err(error(line, "`@{` is not closed with `}`")),
        }
    }
    let i = match index.get(id) {
        Some(&i) => i,
        None => {
            decls.push(Decl {
                mermaid_id: id.to_owned(),
                ..Decl::default()
            });
            index.insert(id.to_owned(), decls.len() - 1);
            decls.len() - 1
        }
    };
    if let Some((shape, label)) = shape {
        decls[i].shape = Some(shape);
        decls[i].label = Some(label);
    }
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_out_of_their_quotes() {
        assert_eq!(
            escape(r#"say "hi" <b>#1"#),
            "say #quot;hi#quot; #lt;b#gt;#35;1"
        );
    }
}

#[cfg(test)]
mod import_tests {
    use super::*;

    fn kinds(model: &Model) -> Vec<(String, Option<String>, Kind)> {
        model
            .graph
            .node_indices()
            .map(|n| {
                let node = &model.graph[n];
                (node.id.clone(), node.name.clone(), node.kind.kind())
            })
            .collect()
    }

    fn links(model: &Model) -> Vec<String> {
        model
            .graph
            .edge_indices()
            .map(|e| model.edge_id(e))
            .collect()
    }

    #[test]
    fn a_sketch_reads_as_nodes_and_links() {
        let text = "%% a sketch\ngraph TD\n  api([Order API]) -->|+2ms| q[(orders)]\n  q --> w[Worker] & audit[Audit]\n  subgraph back [Back office]\n    direction LR\n    w -.-> dlq[Failed orders DLQ]\n    w == done ==> db[(Warehouse DB)]:::store\n  end\n  classDef store fill:#eee\n";
        let (model, warnings) = from_mermaid(text).expect("reads");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            kinds(&model),
            [
                (
                    "api".to_owned(),
                    Some("Order API".to_owned()),
                    Kind::Producer
                ),
                ("q".to_owned(), Some("orders".to_owned()), Kind::Queue),
                ("w".to_owned(), Some("Worker".to_owned()), Kind::Consumer),
                ("audit".to_owned(), Some("Audit".to_owned()), Kind::Consumer),
                (
                    "dlq".to_owned(),
                    Some("Failed orders DLQ".to_owned()),
                    Kind::DeadLetter
                ),
                ("db".to_owned(), Some("Warehouse DB".to_owned()), Kind::Sink),
            ]
        );
        assert_eq!(
            links(&model),
            ["api->q", "q->w", "q->audit", "w->dlq", "w->db"]
        );
        let e = model.graph.edge_indices().next().expect("an edge");
        assert_eq!(model.graph[e].latency, Some(Duration::from_millis(2)));
    }

    #[test]
    fn unknown_shapes_take_their_kind_from_words_or_place() {
        let (model, warnings) =
            from_mermaid("flowchart LR\nA(Clicks) --> B(Enrichment) --> C(Click log) --> D(Reader)\nD --> E(Archive)").expect("reads");
        assert!(warnings.is_empty(), "{warnings:?}");
        let k: Vec<Kind> = kinds(&model).into_iter().map(|(_, _, k)| k).collect();
        assert_eq!(
            k,
            [
                Kind::Producer,
                Kind::Consumer,
                Kind::Log,
                Kind::Consumer,
                Kind::Sink
            ]
        );
    }

    #[test]
    fn links_weir_cannot_make_are_left_out_with_a_warning() {
        let (model, warnings) =
            from_mermaid("graph LR\n  p[Source] --> a[(A queue)] --> b[(B queue)]\n  p --> a")
                .expect("reads");
        assert_eq!(links(&model), ["p->a"]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].contains("line 2") && warnings[0].contains("a queue is read by consumers")
        );
        assert!(warnings[1].contains("second link"));
    }

    #[test]
    fn bad_flowcharts_are_refused_with_the_line() {
        // 400 nodes fanned out to the same 400: 160 000 links.
        let many = format!(
            "graph LR\n{0} --> {0}",
            (0..400)
                .map(|i| format!("n{i}"))
                .collect::<Vec<_>>()
                .join(" & ")
        );
        for (text, expected) in [
            ("", "line 1: the file is empty"),
            (
                "sequenceDiagram\nA->>B: hi",
                "line 1: a Mermaid flowchart starts with",
            ),
            (
                "graph LR\n  A[open --> B",
                "line 2: the shape opened with `[` is not closed",
            ),
            ("graph LR\n  A --> ", "line 2: expected a node id"),
            ("graph LR\n  A B", "line 2: expected a link"),
            ("graph LR\n  end", "line 2: `end` closes no `subgraph`"),
            ("graph LR\n", "the flowchart has no nodes"),
            ("graph LR\n  A[\"quoted] --> B", "no closing quote"),
            (many.as_str(), "line 2: more than 100000 links"),
        ] {
            let err = from_mermaid(text).expect_err(text).to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        assert!(is_flowchart("---\ntitle: x\n---\n%% c\nflowchart LR\n"));
        assert!(!is_flowchart("asyncapi: 3.0.0\n"));
    }

    #[test]
    fn labels_lose_markup_and_entities() {
        assert_eq!(
            label_lines(
                "<b>say #quot;hi#quot; #lt;b#gt;#35;1</b><br/>«dead-letter queue»<br/>cap 10"
            ),
            ["say \"hi\" <b>#1", "«dead-letter queue»", "cap 10"]
        );
        assert_eq!(kind_named("dead-letter queue"), Some(Kind::DeadLetter));
        assert_eq!(kind_named("CEP node"), Some(Kind::Cep));
        assert_eq!(kind_named("event_store"), Some(Kind::EventStore));
        assert_eq!(id_from_name("Click stream (EU)"), "click-stream-eu");
    }
}
