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

/// Event types, in the order of their ids (purple is kept for blocked).
pub const EVENTS: [Color32; 5] = [BLUE, ORANGE, GREEN, SKY, YELLOW];
/// Failed, full, an open breaker: the warning colour.
pub const WARN: Color32 = VERMILLION;

pub fn event(ty: u16) -> Color32 {
    EVENTS[usize::from(ty) % EVENTS.len()]
}

/// Flowing edges, readable on either background.
pub fn flow(dark: bool) -> Color32 {
    if dark { SKY } else { BLUE }
}

// The live marks: one meaning per colour, the same on cards, edges, the
// message inspector and the legend.

/// A node or edge waiting for room downstream.
pub const BLOCKED: Color32 = PURPLE;
/// Work for nobody: calls whose caller gave up, messages past their
/// deadline.
pub const WASTED: Color32 = Color32::from_rgb(0x6e, 0x4a, 0x2e);
/// A fill bar below 60 % (in the light theme; see [`fill`]).
pub const FILL_LOW: Color32 = BLUE;
/// A fill bar from 60 %.
pub const FILL_HIGH: Color32 = YELLOW;
/// A fill bar from 90 %.
pub const FILL_FULL: Color32 = VERMILLION;
/// A crashed node's veil and its "DOWN" tag: neutral, the word says it.
pub const DOWN: Color32 = Color32::from_gray(0x8C);

/// The colour of a fill bar at `fill` (0 to 1): blue, yellow from 60 %,
/// vermillion from 90 %.
pub fn fill(fill: f32, dark: bool) -> Color32 {
    if fill >= 0.9 {
        FILL_FULL
    } else if fill >= 0.6 {
        FILL_HIGH
    } else if dark {
        SKY
    } else {
        FILL_LOW
    }
}

/// Text readable on `fill`: black on the light colours, white on the rest.
pub fn text_on(fill: Color32) -> Color32 {
    let [r, g, b, _] = fill.to_array();
    let luma = 0.2126 * f32::from(r) + 0.7152 * f32::from(g) + 0.0722 * f32::from(b);
    if luma > 140.0 {
        Color32::BLACK
    } else {
        Color32::WHITE
    }
}
