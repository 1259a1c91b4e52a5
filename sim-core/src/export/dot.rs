//! Graphviz DOT: the model as a left-to-right diagram. Each kind has its
//! own shape and colour; labels carry the name, the kind and the main
//! parameters. Pull edges (a consumer reading a queue) are drawn plain,
//! dead-letter edges dashed red, and edges show their filter and latency.
//!
//! Render it with `dot -Tsvg model.dot -o model.svg`.

use std::fmt::Write as _;

use super::{edge_role, edge_text};
use crate::model::Model;
use crate::nodes::EdgeRole;

/// The model as a DOT `digraph`.
pub fn to_dot(model: &Model) -> String {
    let graph = &model.graph;
    let mut out = String::new();
    let _ = writeln!(out, "// {} — exported by Weir", one_line(&model.name));
    out.push_str("digraph weir {\n");
    let _ = writeln!(out, "    label={};", quote(&model.name));
    out.push_str("    labelloc=t;\n    rankdir=LR;\n    fontname=\"Helvetica\";\n");
    out.push_str("    node [fontname=\"Helvetica\", fontsize=11, style=filled];\n");
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=9];\n\n");
    for n in graph.node_indices() {
        let node = &graph[n];
        let (shape, fill) = node.kind.kind().dot_style();
        let mut label = vec![node.label().to_owned(), format!("«{}»", node.kind.kind())];
        label.extend(node.kind.summary());
        let label = label
            .iter()
            .map(|l| escape(l))
            .collect::<Vec<_>>()
            .join("\\n");
        let _ = writeln!(
            out,
            "    {} [label=\"{label}\", shape={shape}, fillcolor=\"{fill}\"];",
            quote(&node.id)
        );
    }
    if graph.edge_count() > 0 {
        out.push('\n');
    }
    for e in graph.edge_indices() {
        let Some((a, b)) = graph.edge_endpoints(e) else {
            continue;
        };
        let mut attrs = Vec::new();
        if let Some(text) = edge_text(model, e) {
            attrs.push(format!("label={}", quote(&text)));
        }
        if edge_role(model, e) == Some(EdgeRole::DeadLetter) {
            attrs.push("style=dashed, color=\"#c0392b\"".to_owned());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(
            out,
            "    {} -> {}{attrs};",
            quote(&graph[a].id),
            quote(&graph[b].id)
        );
    }
    out.push_str("}\n");
    out
}

/// A DOT double-quoted string.
fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

/// Escapes text for inside a DOT double-quoted string: quotes and
/// backslashes, and line breaks as `\n`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Edge, Node};
    use crate::nodes::{DeadLetterParams, NodeKind, QueueParams};

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(escape("two\nlines"), "two\\nlines");
    }

    #[test]
    fn dead_letter_edges_are_dashed() {
        let mut model = Model::new("m");
        let q = model.add_node(Node::new("q", NodeKind::Queue(QueueParams::default())));
        let d = model.add_node(Node::new(
            "dlq",
            NodeKind::DeadLetter(DeadLetterParams::default()),
        ));
        model.add_edge(q, d, Edge::default());
        let dot = to_dot(&model);
        assert!(
            dot.contains("\"q\" -> \"dlq\" [style=dashed"),
            "dead-letter edge not dashed:\n{dot}"
        );
    }
}
