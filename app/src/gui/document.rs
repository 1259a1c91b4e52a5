//! The open document: the model, where it lives on disk, its undo history
//! and its diagnostics.
//!
//! Every change goes through [`Document::apply`], which applies a
//! [`ModelCommand`] via `Model::apply` and keeps the inverse. Commands
//! applied while the user is still interacting (a drag, a slider, typing
//! in a field) join one open undo step, closed by
//! [`Document::end_gesture`] once the interaction ends: one drag is one
//! step.

use std::path::PathBuf;

use sim_core::Model;
use sim_core::model::{EditError, ModelCommand};
use sim_core::validate::{Diagnostic, Target, validate};

/// One undo step: the inverses of the commands it applied, in order.
#[derive(Debug)]
struct Step {
    inverses: Vec<ModelCommand>,
    /// The document state before the step, and after it.
    before: u64,
    after: u64,
}

#[derive(Debug)]
pub struct Document {
    pub model: Model,
    /// The file this document was opened from or saved to.
    pub path: Option<PathBuf>,
    /// Where an unsaved document came from, e.g. "example: pipeline.ron".
    pub origin: String,
    /// Problems found while reading the file (kept until the next load).
    load_diagnostics: Vec<Diagnostic>,
    diagnostics: Vec<Diagnostic>,
    undo: Vec<Step>,
    redo: Vec<Step>,
    /// Whether the last undo step is still collecting a gesture.
    gesture_open: bool,
    /// An id for the current content; equal ids mean equal content.
    state: u64,
    saved_state: Option<u64>,
    next_state: u64,
    /// Counts the changes: every command applied, every undo and redo,
    /// and every document that took this one's place.
    revision: u64,
    /// Counts the changes a run can see: as `revision`, less the commands,
    /// undos and redos that only move nodes (positions never reach a run).
    run_revision: u64,
}

impl Document {
    pub fn new(model: Model, path: Option<PathBuf>, origin: String) -> Self {
        Self::with_diagnostics(model, path, origin, Vec::new())
    }

    pub fn with_diagnostics(
        model: Model,
        path: Option<PathBuf>,
        origin: String,
        load_diagnostics: Vec<Diagnostic>,
    ) -> Self {
        let mut doc = Self {
            model,
            path,
            origin,
            load_diagnostics,
            diagnostics: Vec::new(),
            undo: Vec::new(),
            redo: Vec::new(),
            gesture_open: false,
            state: 0,
            // NOTE: a document just opened or created has nothing to lose.
            saved_state: Some(0),
            next_state: 1,
            revision: 0,
            run_revision: 0,
        };
        doc.revalidate();
        doc
    }

    /// Applies an edit as part of the current gesture (`gesture`: the user
    /// is still dragging or typing) or as a step of its own.
    pub fn apply(&mut self, cmd: ModelCommand, gesture: bool) -> Result<(), EditError> {
        let moves_only = only_moves(&cmd);
        let inverse = self.model.apply(cmd)?;
        let after = self.next_state;
        self.next_state += 1;
        match self.undo.last_mut() {
            Some(step) if self.gesture_open => {
                step.inverses.push(inverse);
                step.after = after;
            }
            _ => self.undo.push(Step {
                inverses: vec![inverse],
                before: self.state,
                after,
            }),
        }
        self.gesture_open = gesture;
        self.state = after;
        self.revision += 1;
        self.redo.clear();
        // NOTE: positions never change diagnostics or a run, and a drag
        // moves nodes every frame: validating a large model, or having the
        // live run compare it, each time would be waste.
        if !moves_only {
            self.run_revision += 1;
            self.revalidate();
        }
        Ok(())
    }

    /// Closes the open undo step: the gesture is over.
    pub fn end_gesture(&mut self) {
        self.gesture_open = false;
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Undoes the last step; false if there was none.
    pub fn undo(&mut self) -> bool {
        self.gesture_open = false;
        let Some(step) = self.undo.pop() else {
            return false;
        };
        self.count_replay(&step.inverses);
        let redo = self.replay(step.inverses);
        self.redo.push(Step {
            inverses: redo,
            before: step.before,
            after: step.after,
        });
        self.state = step.before;
        self.revalidate();
        true
    }

    /// Redoes the last undone step; false if there was none.
    pub fn redo(&mut self) -> bool {
        self.gesture_open = false;
        let Some(step) = self.redo.pop() else {
            return false;
        };
        self.count_replay(&step.inverses);
        let undo = self.replay(step.inverses);
        self.undo.push(Step {
            inverses: undo,
            before: step.before,
            after: step.after,
        });
        self.state = step.after;
        self.revalidate();
        true
    }

    /// Moves the revisions on for an undo or redo replaying `inverses`.
    fn count_replay(&mut self, inverses: &[ModelCommand]) {
        self.revision += 1;
        if !inverses.iter().all(only_moves) {
            self.run_revision += 1;
        }
    }

    /// Applies inverses last to first; returns their own inverses in the
    /// order that undoes them again.
    fn replay(&mut self, inverses: Vec<ModelCommand>) -> Vec<ModelCommand> {
        let mut out = Vec::with_capacity(inverses.len());
        for inverse in inverses.into_iter().rev() {
            // NOTE: an inverse applies to the state its command left, which
            // is what undo and redo restore; a refusal would be a bug in
            // Model::apply, and skipping it keeps the rest consistent.
            if let Ok(forward) = self.model.apply(inverse) {
                out.push(forward);
            }
        }
        out
    }

    /// Whether there are changes not written to a file.
    pub fn is_dirty(&self) -> bool {
        self.saved_state != Some(self.state)
    }

    /// Marks the current content as saved to `path`.
    pub fn mark_saved(&mut self, path: PathBuf) {
        self.path = Some(path);
        self.saved_state = Some(self.state);
    }

    /// Marks the content as not saved anywhere (restored after a crash).
    pub fn mark_unsaved(&mut self) {
        self.saved_state = None;
    }

    /// A number that grows with every change to the model: what follows
    /// the document (autosave) looks at it, not the model.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// A number that grows with every change a run can see: every change
    /// but moving nodes. The live run looks at it, so dragging a card
    /// costs it nothing.
    pub fn run_revision(&self) -> u64 {
        self.run_revision
    }

    /// Puts `next` (a file opened, an example, a new model) in this
    /// document's place; its revisions follow on from this one's.
    pub fn replace(&mut self, mut next: Self) {
        next.revision = self.revision + 1;
        next.run_revision = self.run_revision + 1;
        *self = next;
    }

    /// The file name, or the model's name for an unsaved document.
    pub fn display_name(&self) -> String {
        self.path
            .as_ref()
            .and_then(|p| p.file_name())
            .map_or_else(|| self.model.name.clone(), |n| n.to_string_lossy().into())
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Why the model cannot run now, in a sentence for the window; `None`
    /// when it can. Play, Step, Run to end and the replications all ask
    /// this, so none of them runs a value the inspector shows as invalid.
    pub fn run_refusal(&self) -> Option<String> {
        if self.model.graph.node_count() == 0 {
            return Some(format!("Nothing to run yet. {EMPTY_HINT}"));
        }
        let mut errors = self.diagnostics.iter().filter(|d| d.is_error());
        let first = errors.next()?;
        let more = errors.count();
        let about = match &first.target {
            Target::Model => String::new(),
            Target::Scenario => "the scenario: ".to_owned(),
            Target::Node(id) => {
                let name = self
                    .model
                    .find(id)
                    .map_or(id.as_str(), |n| self.model.graph[n].label());
                format!("{name}: ")
            }
            Target::Edge(id) => format!("link {id}: "),
            Target::Alert(name) => format!("alert {name}: "),
        };
        let rest = match more {
            0 => String::new(),
            1 => " (and 1 more problem)".to_owned(),
            n => format!(" (and {n} more problems)"),
        };
        Some(format!("Cannot run: {about}{}{rest}", first.message))
    }

    fn revalidate(&mut self) {
        self.diagnostics = self.load_diagnostics.clone();
        let empty = self.model.graph.node_count() == 0;
        // NOTE: an empty model is where every new design starts, not a
        // mistake: the window shows a hint instead (the command line still
        // refuses it as an error).
        self.diagnostics.extend(
            validate(&self.model)
                .into_iter()
                .filter(|d| !(empty && d.target == Target::Model && d.message == NO_NODES)),
        );
    }
}

/// What a new, empty model shows where a problem would be.
pub const EMPTY_HINT: &str =
    "Drag a kind from the palette onto the canvas, or click one to place it.";

/// The validator's sentence for a model without nodes.
const NO_NODES: &str = "the model has no nodes";

/// Whether a command only moves nodes.
fn only_moves(cmd: &ModelCommand) -> bool {
    match cmd {
        ModelCommand::MoveNode { .. } => true,
        ModelCommand::Batch(cmds) => cmds.iter().all(only_moves),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use sim_core::model::Node;
    use sim_core::nodes::{Kind, NodeKind};

    use super::*;

    fn add(id: &str) -> ModelCommand {
        ModelCommand::AddNode(Node::new(id, NodeKind::default_for(Kind::Queue)))
    }

    #[test]
    fn a_gesture_is_one_step_and_dirtiness_follows_undo() {
        let mut doc = Document::new(Model::new("t"), Some("t.ron".into()), String::new());
        assert!(!doc.is_dirty(), "a freshly opened file is clean");
        doc.apply(add("a"), false).expect("new id");
        for x in 0..10 {
            #[expect(clippy::cast_precision_loss, reason = "small test values")]
            let pos = Some([x as f32, 0.0]);
            doc.apply(
                ModelCommand::MoveNode {
                    id: "a".into(),
                    pos,
                },
                true,
            )
            .expect("a exists");
        }
        doc.end_gesture();
        assert!(doc.is_dirty());
        assert!(doc.undo(), "undo the drag");
        let a = doc.model.find("a").expect("still there");
        assert_eq!(doc.model.graph[a].pos, None, "the whole drag is undone");
        assert!(doc.undo(), "undo the add");
        assert!(!doc.is_dirty(), "back at the saved state");
        assert!(!doc.undo(), "nothing more to undo");
        assert!(doc.redo() && doc.redo());
        let a = doc.model.find("a").expect("redone");
        assert_eq!(doc.model.graph[a].pos, Some([9.0, 0.0]));
    }

    #[test]
    fn every_change_moves_the_revision_on() {
        let mut doc = Document::new(Model::new("t"), None, String::new());
        let mut seen = vec![doc.revision()];
        doc.apply(add("a"), false).expect("new id");
        seen.push(doc.revision());
        assert!(doc.apply(add("a"), false).is_err(), "a taken id");
        assert_eq!(doc.revision(), seen[1], "a refused edit changes nothing");
        assert!(doc.undo());
        seen.push(doc.revision());
        assert!(doc.redo());
        seen.push(doc.revision());
        doc.replace(Document::new(Model::new("u"), None, String::new()));
        seen.push(doc.revision());
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "edit, undo, redo and load each move it on: {seen:?}"
        );
    }

    #[test]
    fn an_empty_model_is_a_hint_and_an_invalid_one_says_why_it_cannot_run() {
        let mut doc = Document::new(Model::new("t"), None, String::new());
        assert!(
            doc.diagnostics().iter().all(|d| !d.is_error()),
            "an empty model is where a design starts: {:?}",
            doc.diagnostics()
        );
        let why = doc.run_refusal().expect("nothing to run");
        assert!(why.contains(EMPTY_HINT), "{why}");

        let mut producer = Node::new("gen", NodeKind::default_for(Kind::Producer));
        producer.name = Some("Orders".into());
        doc.apply(ModelCommand::AddNode(producer), false)
            .expect("new id");
        doc.apply(add("q"), false).expect("new id");
        doc.apply(
            ModelCommand::Connect {
                from: "gen".into(),
                to: "q".into(),
                edge: sim_core::model::Edge::default(),
            },
            false,
        )
        .expect("a producer feeds a queue");
        let refusal = doc.run_refusal();
        let NodeKind::Producer(mut params) = NodeKind::default_for(Kind::Producer) else {
            panic!("a producer");
        };
        params.arrival = sim_core::dist::Arrival::Poisson { rate: -5.0 };
        doc.apply(
            ModelCommand::SetParams {
                id: "gen".into(),
                kind: NodeKind::Producer(params),
            },
            false,
        )
        .expect("same kind");
        let why = doc.run_refusal().expect("a negative rate cannot run");
        assert!(
            why.starts_with("Cannot run: Orders: the rate must be"),
            "names the node and the problem: {why}"
        );
        assert!(doc.undo());
        assert_eq!(doc.run_refusal(), refusal, "undo takes the refusal back");
    }

    #[test]
    fn moving_nodes_leaves_the_run_revision_alone() {
        let mut doc = Document::new(Model::new("t"), None, String::new());
        doc.apply(add("a"), false).expect("new id");
        let (revision, run_revision) = (doc.revision(), doc.run_revision());
        for x in 0..3 {
            #[expect(clippy::cast_precision_loss, reason = "small test values")]
            let pos = Some([x as f32, 1.0]);
            let step = ModelCommand::MoveNode {
                id: "a".into(),
                pos,
            };
            doc.apply(ModelCommand::Batch(vec![step]), true)
                .expect("a exists");
        }
        doc.end_gesture();
        assert!(doc.revision() > revision, "a move is a change to save");
        assert!(doc.is_dirty(), "a move is unsaved work");
        assert_eq!(
            doc.run_revision(),
            run_revision,
            "a move is nothing a run can see"
        );
        assert!(doc.undo(), "undo the drag");
        assert_eq!(doc.run_revision(), run_revision, "nor is undoing one");
        assert!(doc.redo(), "redo the drag");
        assert_eq!(doc.run_revision(), run_revision, "nor redoing one");

        let a = doc.model.find("a").expect("a exists");
        let NodeKind::Queue(mut params) = doc.model.graph[a].kind.clone() else {
            panic!("a is a queue");
        };
        params.capacity = Some(7);
        doc.apply(
            ModelCommand::SetParams {
                id: "a".into(),
                kind: NodeKind::Queue(params),
            },
            false,
        )
        .expect("same kind");
        assert_eq!(
            doc.run_revision(),
            run_revision + 1,
            "a parameter edit is what a run must see"
        );
        assert!(doc.undo(), "undo the edit");
        assert_eq!(doc.run_revision(), run_revision + 2, "and so is its undo");
        doc.replace(Document::new(Model::new("u"), None, String::new()));
        assert_eq!(doc.run_revision(), run_revision + 3, "and a new document");
    }
}
