//! Copy, cut, paste, duplicate and delete of the selected nodes: a
//! selection travels as model-file text, and comes back as commands.

use std::collections::{BTreeMap, BTreeSet};

use eframe::egui;
use sim_core::Model;
use sim_core::model::{ModelCommand, file};

use super::{WeirApp, canvas};

impl WeirApp {
    /// The command that deletes the selected nodes (with their edges) or
    /// the selected edge.
    pub(super) fn delete_selection(&mut self) -> Option<ModelCommand> {
        let graph = &self.doc.model.graph;
        let mut cmds: Vec<ModelCommand> = self
            .canvas
            .selected
            .iter()
            .filter_map(|&n| graph.node_weight(n))
            .map(|node| ModelCommand::RemoveNode {
                id: node.id.clone(),
            })
            .collect();
        if let Some(e) = self.canvas.selected_edge
            && let Some((a, b)) = graph.edge_endpoints(e)
        {
            cmds.push(ModelCommand::Disconnect {
                from: graph[a].id.clone(),
                to: graph[b].id.clone(),
            });
        }
        self.canvas.selected.clear();
        self.canvas.selected_edge = None;
        (!cmds.is_empty()).then_some(ModelCommand::Batch(cmds))
    }

    /// The selected nodes and the edges between them, as model-file text.
    pub(super) fn copy_selection(&mut self) -> Option<String> {
        if self.canvas.selected.is_empty() {
            return None;
        }
        let graph = &self.doc.model.graph;
        let mut part = Model::new("clipboard");
        let mut map = BTreeMap::new();
        for &n in &self.canvas.selected {
            if let Some(node) = graph.node_weight(n) {
                map.insert(n, part.add_node(node.clone()));
            }
        }
        for e in graph.edge_indices() {
            if let Some((a, b)) = graph.edge_endpoints(e)
                && let (Some(&pa), Some(&pb)) = (map.get(&a), map.get(&b))
            {
                part.add_edge(pa, pb, graph[e].clone());
            }
        }
        let text = file::to_string(&part);
        self.clipboard = Some(text.clone());
        Some(text)
    }

    /// Adds the nodes and edges of a model-file text, with fresh ids,
    /// shifted so they do not cover the originals; selects them.
    pub(super) fn paste(&mut self, ctx: &egui::Context, text: &str) {
        let Ok((part, _)) = file::from_str(text) else {
            return;
        };
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut ids = BTreeMap::new();
        let mut cmds = Vec::new();
        for n in part.graph.node_indices() {
            let mut node = part.graph[n].clone();
            let mut id = node.id.clone();
            let mut i = 2;
            while self.doc.model.find(&id).is_some() || taken.contains(&id) {
                id = format!("{}-{i}", node.id);
                i += 1;
            }
            taken.insert(id.clone());
            ids.insert(n, id.clone());
            node.id = id;
            node.pos = node
                .pos
                .map(|p| [p[0] + 2.0 * canvas::GRID, p[1] + 2.0 * canvas::GRID]);
            cmds.push(ModelCommand::AddNode(node));
        }
        for e in part.graph.edge_indices() {
            if let Some((a, b)) = part.graph.edge_endpoints(e) {
                cmds.push(ModelCommand::Connect {
                    from: ids[&a].clone(),
                    to: ids[&b].clone(),
                    edge: part.graph[e].clone(),
                });
            }
        }
        if cmds.is_empty() {
            return;
        }
        match self.doc.apply(ModelCommand::Batch(cmds), false) {
            Ok(()) => {
                self.canvas.selected = taken
                    .iter()
                    .filter_map(|id| self.doc.model.find(id))
                    .collect();
                self.canvas.selected_edge = None;
            }
            Err(err) => self.canvas.notify(ctx, format!("cannot paste: {err}")),
        }
    }

    /// Copy, cut and paste arrive as events (egui reads the platform's
    /// shortcuts); they apply to nodes unless a text field has the keyboard.
    pub(super) fn clipboard_events(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let events: Vec<egui::Event> = ctx.input(|i| i.events.clone());
        for event in events {
            match event {
                egui::Event::Copy => {
                    if let Some(text) = self.copy_selection() {
                        ctx.copy_text(text);
                    }
                }
                egui::Event::Cut => {
                    if let Some(text) = self.copy_selection() {
                        ctx.copy_text(text);
                        let cmd = self.delete_selection();
                        self.apply_all(ctx, cmd.into_iter().collect(), false);
                    }
                }
                egui::Event::Paste(text) => self.paste(ctx, &text),
                _ => {}
            }
        }
    }
}
