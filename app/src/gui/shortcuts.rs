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
    ToggleTheme,
    Gallery,
    PlayPause,
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers {
    shift: true,
    ..Modifiers::COMMAND
};

/// Every shortcut with what it does, in the order the help lists them.
pub const SHORTCUTS: &[(KeyboardShortcut, Action, &str)] = &[
    (KeyboardShortcut::new(CMD, Key::N), Action::New, "New model"),
    (
        KeyboardShortcut::new(CMD, Key::O),
        Action::Open,
        "Open a file",
    ),
    (
        KeyboardShortcut::new(CMD_SHIFT, Key::S),
        Action::SaveAs,
        "Save as",
    ),
    (KeyboardShortcut::new(CMD, Key::S), Action::Save, "Save"),
    (
        KeyboardShortcut::new(CMD_SHIFT, Key::Z),
        Action::Redo,
        "Redo",
    ),
    (KeyboardShortcut::new(CMD, Key::Z), Action::Undo, "Undo"),
    (KeyboardShortcut::new(CMD, Key::Y), Action::Redo, "Redo"),
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
        KeyboardShortcut::new(CMD, Key::D),
        Action::Duplicate,
        "Duplicate the selection",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F2),
        Action::Rename,
        "Rename the selected node",
    ),
    (
        KeyboardShortcut::new(CMD, Key::A),
        Action::SelectAll,
        "Select every node",
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
        KeyboardShortcut::new(CMD, Key::R),
        Action::Run,
        "Run the scenario",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::F1),
        Action::Help,
        "Show this help",
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
        KeyboardShortcut::new(CMD_SHIFT, Key::T),
        Action::ToggleTheme,
        "Light or dark theme",
    ),
    (
        KeyboardShortcut::new(CMD_SHIFT, Key::G),
        Action::Gallery,
        "Example gallery",
    ),
    (
        KeyboardShortcut::new(Modifiers::NONE, Key::Space),
        Action::PlayPause,
        "Play or pause the live simulation",
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
    (
        "Ctrl + C, Ctrl + V",
        "Copy and paste nodes (also between files)",
    ),
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
            | Action::ToggleTheme
            | Action::Gallery
    )
}

/// The actions whose shortcut was pressed this frame.
pub fn pressed(ctx: &egui::Context) -> Vec<Action> {
    let typing = ctx.egui_wants_keyboard_input();
    let mut out = Vec::new();
    ctx.input_mut(|i| {
        for (shortcut, action, _) in SHORTCUTS {
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

/// The help overlay's contents.
pub fn help_ui(ui: &mut egui::Ui) {
    egui::Grid::new("shortcuts")
        .num_columns(2)
        .spacing([24.0, 6.0])
        .striped(true)
        .show(ui, |ui| {
            let mut seen = Vec::new();
            for (shortcut, _, what) in SHORTCUTS {
                let keys = ui.ctx().format_shortcut(shortcut);
                if seen.contains(what) {
                    continue;
                }
                let others: Vec<String> = SHORTCUTS
                    .iter()
                    .filter(|(_, _, w)| w == what)
                    .map(|(s, _, _)| ui.ctx().format_shortcut(s))
                    .filter(|k| *k != keys)
                    .collect();
                seen.push(what);
                let mut all = keys;
                for k in others {
                    all.push_str(", ");
                    all.push_str(&k);
                }
                ui.label(egui::RichText::new(all).monospace());
                ui.label(*what);
                ui.end_row();
            }
            for (how, what) in GESTURES {
                ui.label(egui::RichText::new(*how).monospace());
                ui.label(*what);
                ui.end_row();
            }
        });
}
