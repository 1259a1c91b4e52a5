//! Importing again into a model made by an earlier import: the user's
//! parameters, names, positions and added nodes and links are kept, and
//! what the documents changed is listed.
//!
//! The model's `imported` record says what made each node. A node of the
//! new import is the same as an old one when:
//!
//! 1. it comes from the same thing: a channel with the same address, an
//!    operation with the same service and key, the stand-in on the same
//!    side of the same channel, the dead-letter queue of the same name;
//! 2. or it is renamed: a channel whose address changed but whose key in
//!    its first document did not; an operation whose key changed but whose
//!    service, action and channel did not (when exactly one operation went
//!    and one came there).
//!
//! A model with no record (written by hand, or by an older Weir) is matched
//! by node id.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::origin::{Imported, ImportedNode, Origin};
use crate::model::{Model, default_edge_id};

/// One thing the new import changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A node the documents now make.
    Added { id: String, what: String },
    /// A node the documents no longer make.
    Removed { id: String, what: String },
    /// The same node under another id or origin.
    Renamed {
        from: String,
        to: String,
        why: String,
    },
    /// The same node, now of another kind: its parameters are the new
    /// kind's defaults.
    KindChanged {
        id: String,
        from: &'static str,
        to: &'static str,
    },
    /// A node the user deleted since the last import: left out again.
    KeptOut { id: String, what: String },
    /// A link between imported nodes that the documents no longer make.
    LinkRemoved { from: String, to: String },
    /// A link the documents now make.
    LinkAdded { from: String, to: String },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Added { id, what } => write!(f, "added {what} as '{id}'"),
            Self::Removed { id, what } => write!(f, "removed '{id}' ({what})"),
            Self::Renamed { from, to, why } => write!(f, "renamed '{from}' to '{to}' ({why})"),
            Self::KindChanged { id, from, to } => write!(
                f,
                "'{id}' is now a {to}, not a {from}; its parameters are the {to}'s defaults"
            ),
            Self::KeptOut { id, what } => write!(
                f,
                "left out '{id}' ({what}): it was deleted from the model after the last import"
            ),
            Self::LinkRemoved { from, to } => write!(f, "removed the link {from} -> {to}"),
            Self::LinkAdded { from, to } => write!(f, "added the link {from} -> {to}"),
        }
    }
}

/// `origin` with its channel address as the new import names it.
fn moved(origin: &Origin, addresses: &BTreeMap<String, String>) -> Origin {
    let map = |a: &String| addresses.get(a).cloned().unwrap_or_else(|| a.clone());
    match origin {
        Origin::Channel { address, key } => Origin::Channel {
            address: map(address),
            key: key.clone(),
        },
        Origin::Operation {
            service,
            key,
            action,
            address,
        } => Origin::Operation {
            service: service.clone(),
            key: key.clone(),
            action: action.clone(),
            address: map(address),
        },
        Origin::Sender { address } => Origin::Sender {
            address: map(address),
        },
        Origin::Receiver { address } => Origin::Receiver {
            address: map(address),
        },
        Origin::DeadLetter { name } => Origin::DeadLetter { name: name.clone() },
    }
}

/// Pairs new nodes with old ones (new id → old id), and the old records
/// of nodes the user deleted that the new import makes again.
fn pair(
    old: &Model,
    old_record: &Imported,
    new_record: &Imported,
) -> (BTreeMap<String, String>, BTreeSet<String>, Vec<Change>) {
    let mut pairs: BTreeMap<String, String> = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut deleted: BTreeSet<String> = BTreeSet::new();
    let mut renames = Vec::new();
    let in_model: BTreeSet<&str> = old.graph.node_weights().map(|n| n.id.as_str()).collect();
    let mut claim = |new: &ImportedNode,
                     old_node: &ImportedNode,
                     pairs: &mut BTreeMap<String, String>,
                     taken: &mut BTreeSet<String>| {
        if in_model.contains(old_node.id.as_str()) {
            pairs.insert(new.id.clone(), old_node.id.clone());
        } else {
            deleted.insert(new.id.clone());
        }
        taken.insert(old_node.id.clone());
    };
    // Channels first: by address, then by key.
    let mut by_address: BTreeMap<&str, Vec<&ImportedNode>> = BTreeMap::new();
    let mut by_key: BTreeMap<&str, Vec<&ImportedNode>> = BTreeMap::new();
    for o in &old_record.nodes {
        if let Origin::Channel { address, key } = &o.from {
            by_address.entry(address).or_default().push(o);
            by_key.entry(key).or_default().push(o);
        }
    }
    let new_addresses: BTreeSet<&str> = new_record
        .nodes
        .iter()
        .filter_map(|n| match &n.from {
            Origin::Channel { address, .. } => Some(address.as_str()),
            _ => None,
        })
        .collect();
    let mut addresses: BTreeMap<String, String> = BTreeMap::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    for same_address in [true, false] {
        for new in &new_record.nodes {
            let Origin::Channel { address, key } = &new.from else {
                continue;
            };
            if done.contains(&new.id) {
                continue;
            }
            let found = if same_address {
                by_address.get(address.as_str())
            } else {
                by_key.get(key.as_str())
            };
            let candidates: Vec<&ImportedNode> = found
                .into_iter()
                .flatten()
                .copied()
                .filter(|o| !taken.contains(&o.id))
                .filter(|o| {
                    // By key only when the old address is gone.
                    same_address
                        || matches!(&o.from, Origin::Channel { address: a, .. } if !new_addresses.contains(a.as_str()))
                })
                .collect();
            if let [old_node] = candidates.as_slice() {
                let Origin::Channel { address: a, .. } = &old_node.from else {
                    continue;
                };
                if a != address {
                    addresses.insert(a.clone(), address.clone());
                    renames.push(Change::Renamed {
                        from: old_node.id.clone(),
                        to: new.id.clone(),
                        why: format!("channel '{key}' moved from address {a} to {address}"),
                    });
                } else if old_node.id != new.id {
                    renames.push(Change::Renamed {
                        from: old_node.id.clone(),
                        to: new.id.clone(),
                        why: format!("the channel at address {address} has a new key or id"),
                    });
                }
                claim(new, old_node, &mut pairs, &mut taken);
                done.insert(new.id.clone());
            }
        }
    }
    // Everything else by the same origin (addresses as now named).
    let mut by_origin: BTreeMap<Origin, Vec<&ImportedNode>> = BTreeMap::new();
    for o in &old_record.nodes {
        if !taken.contains(&o.id) {
            by_origin
                .entry(moved(&o.from, &addresses))
                .or_default()
                .push(o);
        }
    }
    for new in &new_record.nodes {
        if done.contains(&new.id) {
            continue;
        }
        let found = by_origin
            .get(&new.from)
            .and_then(|list| list.iter().copied().find(|o| !taken.contains(&o.id)));
        if let Some(old_node) = found {
            if old_node.id != new.id {
                renames.push(Change::Renamed {
                    from: old_node.id.clone(),
                    to: new.id.clone(),
                    why: format!("{} has a new id", new.from.describe()),
                });
            }
            claim(new, old_node, &mut pairs, &mut taken);
            done.insert(new.id.clone());
        }
    }
    // Operations renamed: same service, action and channel, one gone and
    // one come.
    let slot = |o: &Origin| match o {
        Origin::Operation {
            service,
            action,
            address,
            ..
        } => Some((service.clone(), action.clone(), address.clone())),
        _ => None,
    };
    let mut gone: BTreeMap<(String, String, String), Vec<&ImportedNode>> = BTreeMap::new();
    for o in &old_record.nodes {
        if !taken.contains(&o.id)
            && let Some(s) = slot(&moved(&o.from, &addresses))
        {
            gone.entry(s).or_default().push(o);
        }
    }
    let mut came: BTreeMap<(String, String, String), Vec<&ImportedNode>> = BTreeMap::new();
    for n in &new_record.nodes {
        if !done.contains(&n.id)
            && let Some(s) = slot(&n.from)
        {
            came.entry(s).or_default().push(n);
        }
    }
    for (s, news) in &came {
        if let ([new], Some([old_node])) = (news.as_slice(), gone.get(s).map(Vec::as_slice)) {
            let (Origin::Operation { key: from, .. }, Origin::Operation { key: to, .. }) =
                (&old_node.from, &new.from)
            else {
                continue;
            };
            renames.push(Change::Renamed {
                from: old_node.id.clone(),
                to: new.id.clone(),
                why: format!(
                    "operation '{from}' of {} is now '{to}', with the same action on the same channel",
                    s.0
                ),
            });
            claim(new, old_node, &mut pairs, &mut taken);
        }
    }
    (pairs, deleted, renames)
}

/// Imports `new` (a fresh import of the documents) into `old` (a model an
/// earlier import made, perhaps edited since): the model to save, and what
/// changed.
pub fn merge(old: &Model, new: &Model) -> (Model, Vec<Change>) {
    let new_record = new.imported.clone().unwrap_or_default();
    let old_ids: BTreeSet<&str> = old.graph.node_weights().map(|n| n.id.as_str()).collect();
    let new_nodes: BTreeMap<&str, petgraph::stable_graph::NodeIndex> = new
        .graph
        .node_indices()
        .map(|n| (new.graph[n].id.as_str(), n))
        .collect();
    let entries = |r: Option<&Imported>| -> BTreeMap<String, ImportedNode> {
        r.map(|r| r.nodes.iter().map(|n| (n.id.clone(), n.clone())).collect())
            .unwrap_or_default()
    };
    let (old_entries, new_entries) = (entries(old.imported.as_ref()), entries(Some(&new_record)));
    let (pairs, deleted, mut changes) = match (&old.imported, &new.imported) {
        (Some(old_record), Some(_)) => pair(old, old_record, &new_record),
        _ => {
            // No record on one side (a model written by hand, a document
            // Weir exported): nodes with the same id are the same.
            let pairs = new
                .graph
                .node_weights()
                .filter(|n| old_ids.contains(n.id.as_str()))
                .map(|n| (n.id.clone(), n.id.clone()))
                .collect();
            (pairs, BTreeSet::new(), Vec::new())
        }
    };
    let old_imported: BTreeSet<String> = match (&old.imported, &new.imported) {
        (Some(r), Some(_)) => r.nodes.iter().map(|n| n.id.clone()).collect(),
        _ => pairs.values().cloned().collect(),
    };
    let old_to_new: BTreeMap<&str, &str> = pairs
        .iter()
        .map(|(n, o)| (o.as_str(), n.as_str()))
        .collect();
    let what = |id: &str, record: &BTreeMap<String, ImportedNode>| {
        record
            .get(id)
            .map_or_else(|| "a node".to_owned(), |e| e.from.describe())
    };

    let mut model = Model {
        graph: petgraph::stable_graph::StableGraph::default(),
        imported: None,
        ..old.clone()
    };
    // New ids that a node the user added already has are given a suffix.
    let user_ids: BTreeSet<&str> = old
        .graph
        .node_weights()
        .map(|n| n.id.as_str())
        .filter(|id| !old_imported.contains(*id))
        .collect();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for n in new.graph.node_weights() {
        let mut id = n.id.clone();
        if user_ids.contains(id.as_str()) && !pairs.contains_key(&n.id) {
            id = (2..)
                .map(|k| format!("{}-{k}", n.id))
                .find(|c| !user_ids.contains(c.as_str()) && !new_nodes.contains_key(c.as_str()))
                .unwrap_or(id);
            changes.push(Change::Renamed {
                from: n.id.clone(),
                to: id.clone(),
                why: "a node added by hand already has that id".to_owned(),
            });
        }
        ids.insert(n.id.clone(), id);
    }
    let mut index = BTreeMap::new();
    // The old nodes, in their order: kept, updated or removed.
    for ix in old.graph.node_indices() {
        let node = &old.graph[ix];
        if let Some(&new_id) = old_to_new.get(node.id.as_str()) {
            let Some(fresh) = new_nodes.get(new_id).map(|&n| &new.graph[n]) else {
                continue;
            };
            let mut kept = node.clone();
            kept.id.clone_from(&ids[new_id]);
            // The user's kind stays unless the documents changed theirs.
            let documents_kept_it = old_entries
                .get(&node.id)
                .is_some_and(|e| e.kind == fresh.kind.kind().label());
            if kept.kind.kind() != fresh.kind.kind() && !documents_kept_it {
                changes.push(Change::KindChanged {
                    id: kept.id.clone(),
                    from: kept.kind.kind().label(),
                    to: fresh.kind.kind().label(),
                });
                kept.kind = fresh.kind.clone();
            }
            index.insert(kept.id.clone(), model.add_node(kept));
        } else if old_imported.contains(&node.id) {
            changes.push(Change::Removed {
                id: node.id.clone(),
                what: what(&node.id, &old_entries),
            });
        } else {
            index.insert(node.id.clone(), model.add_node(node.clone()));
        }
    }
    // The new nodes.
    for ix in new.graph.node_indices() {
        let node = &new.graph[ix];
        if pairs.contains_key(&node.id) {
            continue;
        }
        if deleted.contains(&node.id) {
            changes.push(Change::KeptOut {
                id: node.id.clone(),
                what: what(&node.id, &new_entries),
            });
            continue;
        }
        let mut added = node.clone();
        added.id.clone_from(&ids[&node.id]);
        changes.push(Change::Added {
            id: added.id.clone(),
            what: what(&node.id, &new_entries),
        });
        index.insert(added.id.clone(), model.add_node(added));
    }
    // Links: the documents' links between imported nodes, the user's
    // settings on them kept; the user's own links kept.
    let new_links: BTreeSet<(String, String)> = new
        .graph
        .edge_indices()
        .filter_map(|e| {
            let (a, b) = new.graph.edge_endpoints(e)?;
            let (a, b) = (&new.graph[a].id, &new.graph[b].id);
            Some((ids.get(a)?.clone(), ids.get(b)?.clone()))
        })
        .collect();
    let old_links: BTreeSet<String> = old
        .imported
        .as_ref()
        .map(|r| r.edges.iter().cloned().collect())
        .unwrap_or_default();
    let renamed = |id: &str| -> String {
        old_to_new
            .get(id)
            .map_or_else(|| id.to_owned(), |n| ids[*n].clone())
    };
    let mut linked: BTreeSet<(String, String)> = BTreeSet::new();
    let mut record_edges = Vec::new();
    for e in old.graph.edge_indices() {
        let Some((a, b)) = old.graph.edge_endpoints(e) else {
            continue;
        };
        let (from_old, to_old) = (&old.graph[a].id, &old.graph[b].id);
        let (from, to) = (renamed(from_old), renamed(to_old));
        let (Some(&x), Some(&y)) = (index.get(&from), index.get(&to)) else {
            continue;
        };
        let pair = (from.clone(), to.clone());
        let was_imported = old_links.contains(&old.edge_id(e))
            || (old.imported.is_none() && new_links.contains(&pair));
        if new_links.contains(&pair) {
            let mut edge = old.graph[e].clone();
            if edge.id.as_deref() == Some(&default_edge_id(from_old, to_old)) {
                edge.id = None;
            }
            model.add_edge(x, y, edge);
            linked.insert(pair);
            record_edges.push(default_edge_id(&from, &to));
        } else if was_imported && old_imported.contains(from_old) && old_imported.contains(to_old) {
            changes.push(Change::LinkRemoved { from, to });
        } else {
            model.add_edge(x, y, old.graph[e].clone());
        }
    }
    for e in new.graph.edge_indices() {
        let Some((a, b)) = new.graph.edge_endpoints(e) else {
            continue;
        };
        let (Some(from), Some(to)) = (ids.get(&new.graph[a].id), ids.get(&new.graph[b].id)) else {
            continue;
        };
        let pair = (from.clone(), to.clone());
        if linked.contains(&pair) {
            continue;
        }
        let (Some(&x), Some(&y)) = (index.get(from), index.get(to)) else {
            continue;
        };
        let both_kept =
            pairs.contains_key(&new.graph[a].id) && pairs.contains_key(&new.graph[b].id);
        if both_kept {
            changes.push(Change::LinkAdded {
                from: from.clone(),
                to: to.clone(),
            });
        }
        model.add_edge(x, y, new.graph[e].clone());
        linked.insert(pair);
        record_edges.push(default_edge_id(from, to));
    }
    let mut record = Imported {
        nodes: new_record
            .nodes
            .iter()
            .map(|n| ImportedNode {
                id: ids.get(&n.id).unwrap_or(&n.id).clone(),
                from: n.from.clone(),
                kind: n.kind.clone(),
            })
            .collect(),
        edges: record_edges,
    };
    // Deleted nodes stay in the record, so that they stay out.
    record
        .nodes
        .retain(|n| index.contains_key(&n.id) || deleted.contains(&n.id));
    model.imported = if new.imported.is_some() {
        Some(record)
    } else {
        old.imported.clone()
    };
    (model, changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_follow_a_moved_address() {
        let o = Origin::Sender {
            address: "a/{}".to_owned(),
        };
        let mut map = BTreeMap::new();
        map.insert("a/{}".to_owned(), "b/{}".to_owned());
        assert_eq!(
            moved(&o, &map),
            Origin::Sender {
                address: "b/{}".to_owned()
            }
        );
    }
}
