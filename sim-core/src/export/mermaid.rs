//! Mermaid: the model as `flowchart LR` text, for Markdown pages that
//! render Mermaid. Nodes are named `n0`, `n1`, … in model order (Mermaid
//! ids cannot hold every character a Weir id can, and `end` is a keyword);
//! the label carries the name, kind and main parameters. Dead-letter edges
//! are dotted.

use std::fmt::Write as _;

use super::{edge_role, edge_text};
use crate::model::Model;
use crate::nodes::EdgeRole;

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
