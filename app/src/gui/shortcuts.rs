//! Keyboard shortcuts: one table, used both to handle keys and to list
//! them in the help overlay.

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers};

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    New,
    Open,
    Save,
    SaveAs,
    Undo,
    Redo,
    Delete,
    Duplicate,
    Rename,
    SelectAll,
    ZoomToFit,
    Arrange,
    Run,
    Help,
    Presentation,
    TogglePalette,
    ToggleInspector,
    ToggleCharts,
    ToggleRewind,
    ToggleTheme,
    Gallery,
    PlayPause,
    SendOne,
    SendBurst,
    Predict,
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers {
    shift: true,
    ..Modifiers::COMMAND
};

/// Every shortcut with what it does, in the order the help lists them
/// (grouped by [`group`]).
pub const SHORTCUTS: &[(KeyboardShortcut, Action, &str)] = &[
    (KeyboardShortcut::new(CMD, Key::N), Action::New, "New model"),
    (
        KeyboardShortcut::new(CMD, Key::O),
        Action::Open,
        "Open a file",
    ),
    (KeyboardShortcut::new(CMD, Key::S), Action::Save, "Save"),
    (
        KeyboardShortcut::new(CMD_SHIFT, Key::S),
        Action::SaveAs,
        "Save as",
    ),
    (
        KeyboardShortcut::new(CMD_SHIFT, Key::G),
        Action::Gallery,
        "Start page: the examples",
    ),
    (KeyboardShortcut::new(CMD, Key::Z), Action::Undo, "Undo"),
    (
        KeyboardShortcut::new(CMD_SHIFT, Key::Z),
        Action::Redo,
        "Redo",
    ),
    (KeyboardShortcut::new(CMD, Key::Y), Action::Redo, "Redo"),
    (
        KeyboardShortcut::new(CMD, Key::D),
        Action::Duplicate,
        "Duplicate the selection",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::Delete),
        Action::Delete,
        "Delete the selection",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::Backspace),
        Action::Delete,
        "Delete the selection",
    ),
    (
        KeyboardShortcut::new(CMD, Key::A),
        Action::SelectAll,
        "Select every node",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F2),
        Action::Rename,
        "Rename the selected node",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F),
        Action::ZoomToFit,
        "Zoom to fit",
    ),
    (
        KeyboardShortcut::new(CMD, Key::L),
        Action::Arrange,
        "Arrange left to right",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F5),
        Action::Presentation,
        "Presentation mode: enter or leave",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F6),
        Action::TogglePalette,
        "Show or hide the palette (over the canvas while presenting)",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F7),
        Action::ToggleInspector,
        "Show or hide the inspector (over the canvas while presenting)",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F8),
        Action::ToggleCharts,
        "Show or hide the live charts",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F9),
        Action::ToggleRewind,
        "Show or hide the rewind bar of the live run",
    ),
    (
        KeyboardShortcut::new(CMD_SHIFT, Key::T),
        Action::ToggleTheme,
        "Light or dark theme",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::Space),
        Action::PlayPause,
        "Play live or pause: one run, animated on the canvas",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::E),
        Action::SendOne,
        "Live run: send one event from the selected producer (or the first)",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::B),
        Action::SendBurst,
        "Live run: send a burst from the selected producer (or the first)",
    ),
    (
        KeyboardShortcut::new(CMD, Key::R),
        Action::Run,
        "Run the replications: statistics in Results",
    ),
    (
        KeyboardShortcut::new(CMD_SHIFT, Key::P),
        Action::Predict,
        "Predict, then run: guesses judged against the replications",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F1),
        Action::Help,
        "Show or hide this help",
    ),
];

/// The help's groups, in the order it shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    File,
    Edit,
    View,
    Run,
    Help,
}

impl Group {
    const ALL: [Self; 5] = [Self::File, Self::Edit, Self::View, Self::Run, Self::Help];

    fn title(self) -> &'static str {
        match self {
            Self::File => "File",
            Self::Edit => "Edit",
            Self::View => "View",
            Self::Run => "Run",
            Self::Help => "Help",
        }
    }
}

/// The help's group of an action.
pub fn group(action: Action) -> Group {
    match action {
        Action::New | Action::Open | Action::Save | Action::SaveAs | Action::Gallery => Group::File,
        Action::Undo
        | Action::Redo
        | Action::Delete
        | Action::Duplicate
        | Action::Rename
        | Action::SelectAll => Group::Edit,
        Action::ZoomToFit
        | Action::Arrange
        | Action::Presentation
        | Action::TogglePalette
        | Action::ToggleInspector
        | Action::ToggleCharts
        | Action::ToggleRewind
        | Action::ToggleTheme => Group::View,
        Action::Run | Action::PlayPause | Action::SendOne | Action::SendBurst | Action::Predict => {
            Group::Run
        }
        Action::Help => Group::Help,
    }
}

/// Keys the window handles outside the table, for the help.
const OTHER_KEYS: &[(Group, &str, &str)] = &[
    (
        Group::Edit,
        "Ctrl+C, Ctrl+X, Ctrl+V",
        "Copy, cut and paste nodes (also between files)",
    ),
    (
        Group::Help,
        "Esc",
        "Close this help, the start page, Messages or a dialog",
    ),
];

/// Gestures that are not key presses, for the help.
const GESTURES: &[(&str, &str)] = &[
    ("Drag empty space, middle drag, wheel", "Pan"),
    ("Ctrl + wheel, pinch", "Zoom"),
    ("Shift + drag on empty space", "Box select"),
    ("Click, Shift + click", "Select, add to selection"),
    ("Drag from a right-hand port to a card", "Connect"),
    ("Double-click a card", "Rename"),
    ("Alt while moving", "Move without snapping"),
];

/// Whether the action still applies while a text field has the keyboard;
/// the others (undo, delete, select all…) belong to the field then.
fn while_typing(action: Action) -> bool {
    matches!(
        action,
        Action::New
            | Action::Open
            | Action::Save
            | Action::SaveAs
            | Action::Run
            | Action::Help
            | Action::Presentation
            | Action::TogglePalette
            | Action::ToggleInspector
            | Action::ToggleCharts
            | Action::ToggleRewind
            | Action::ToggleTheme
            | Action::Gallery
    )
}

/// The actions whose shortcut was pressed this frame.
pub fn pressed(ctx: &egui::Context) -> Vec<Action> {
    let typing = ctx.egui_wants_keyboard_input();
    let mut out = Vec::new();
    // NOTE: egui matches Ctrl+Z whether or not Shift is down too: the
    // shortcuts with more modifiers go first, so Ctrl+Shift+Z is Redo.
    let mut order: Vec<&(KeyboardShortcut, Action, &str)> = SHORTCUTS.iter().collect();
    order.sort_by_key(|(shortcut, ..)| {
        let m = shortcut.modifiers;
        std::cmp::Reverse(u8::from(m.shift) + u8::from(m.alt) + u8::from(m.command || m.ctrl))
    });
    ctx.input_mut(|i| {
        for (shortcut, action, _) in order {
            let plain = !shortcut.modifiers.command && !shortcut.modifiers.ctrl;
            if typing && (plain || !while_typing(*action)) {
                continue;
            }
            if i.consume_shortcut(shortcut) && !out.contains(action) {
                out.push(*action);
            }
        }
    });
    out
}

/// Each described shortcut once, with every key that does it, in the
/// table's order: (keys, what, group).
fn entries(ctx: &egui::Context) -> Vec<(String, &'static str, Group)> {
    let mut out: Vec<(String, &'static str, Group)> = Vec::new();
    for (shortcut, action, what) in SHORTCUTS {
        let keys = ctx.format_shortcut(shortcut);
        match out.iter_mut().find(|(_, w, _)| w == what) {
            Some((all, ..)) => {
                all.push_str(", ");
                all.push_str(&keys);
            }
            None => out.push((keys, what, group(*action))),
        }
    }
    out
}

/// The help overlay's contents: the keys by menu, then what the mouse
/// does on the canvas, in blocks laid out in rows that fit the window.
pub fn help_ui(ui: &mut egui::Ui) {
    let entries = entries(ui.ctx());
    let mut blocks: Vec<(&str, Vec<(String, &str)>)> = Group::ALL
        .iter()
        .map(|&group| {
            let rows = entries
                .iter()
                .filter(|(.., g)| *g == group)
                .map(|(keys, what, _)| (keys.clone(), *what))
                .chain(
                    OTHER_KEYS
                        .iter()
                        .filter(|(g, ..)| *g == group)
                        .map(|(_, keys, what)| ((*keys).to_owned(), *what)),
                )
                .collect();
            (group.title(), rows)
        })
        .collect();
    blocks.push((
        "On the canvas",
        GESTURES
            .iter()
            .map(|(how, what)| ((*how).to_owned(), *what))
            .collect(),
    ));
    // NOTE: egui learns a frame's size only once it is drawn, so blocks
    // cannot wrap by themselves: as many go in a row as the window holds.
    let room = (ui.ctx().content_rect().width() - 120.0).clamp(BLOCK, 1240.0);
    let gap = 12.0;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small positive count"
    )]
    let per_row = (((room + gap) / (BLOCK + 2.0 * gap)).floor() as usize).max(1);
    ui.spacing_mut().item_spacing = egui::vec2(gap, gap);
    for row in blocks.chunks(per_row) {
        ui.horizontal_top(|ui| {
            for (title, rows) in row {
                block_ui(ui, title, rows);
            }
        });
    }
}

/// A block's width in the help, in points.
const BLOCK: f32 = 360.0;

/// One group of the help: its title and a row per key.
fn block_ui(ui: &mut egui::Ui, title: &str, rows: &[(String, &str)]) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(BLOCK);
        ui.vertical(|ui| {
            ui.label(egui::RichText::new(title).strong().size(15.0));
            egui::Grid::new(("shortcuts", title))
                .num_columns(2)
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    for (keys, what) in rows {
                        ui.label(egui::RichText::new(keys).monospace());
                        ui.add(egui::Label::new(*what).wrap());
                        ui.end_row();
                    }
                });
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shortcut_is_in_a_group_the_help_shows() {
        let ctx = egui::Context::default();
        let entries = entries(&ctx);
        for (_, action, what) in SHORTCUTS {
            assert!(
                entries
                    .iter()
                    .any(|(_, w, g)| w == what && *g == group(*action)),
                "{what} is listed under its group"
            );
        }
        let redo = entries
            .iter()
            .find(|(_, w, _)| *w == "Redo")
            .expect("redo listed");
        assert!(redo.0.contains(", "), "both keys for redo: {}", redo.0);
    }
}
