//! Colours that read on a projector and for colour-blind viewers (the
//! Okabe–Ito palette).

use eframe::egui::Color32;

pub const ORANGE: Color32 = Color32::from_rgb(0xE6, 0x9F, 0x00);
pub const SKY: Color32 = Color32::from_rgb(0x56, 0xB4, 0xE9);
pub const GREEN: Color32 = Color32::from_rgb(0x00, 0x9E, 0x73);
pub const YELLOW: Color32 = Color32::from_rgb(0xF0, 0xE4, 0x42);
pub const BLUE: Color32 = Color32::from_rgb(0x00, 0x72, 0xB2);
pub const VERMILLION: Color32 = Color32::from_rgb(0xD5, 0x5E, 0x00);
pub const PURPLE: Color32 = Color32::from_rgb(0xCC, 0x79, 0xA7);

/// Event types, in the order of their ids.
pub const EVENTS: [Color32; 6] = [BLUE, ORANGE, GREEN, PURPLE, SKY, YELLOW];
/// Blocked, full, down, open: the warning colour.
pub const WARN: Color32 = VERMILLION;

pub fn event(ty: u16) -> Color32 {
    EVENTS[usize::from(ty) % EVENTS.len()]
}

/// Flowing edges, readable on either background.
pub fn flow(dark: bool) -> Color32 {
    if dark { SKY } else { BLUE }
}
