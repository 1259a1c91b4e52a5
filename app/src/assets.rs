//! What the app embeds from the workspace's `assets/` folder.

#[cfg(not(target_arch = "wasm32"))]
use eframe::egui::IconData;

/// The app's icon, 256 × 256 (drawn by `assets/make-icon.py`; also what
/// `assets/weir.desktop` names).
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/weir.png");

/// The icon for the window and the task bar.
#[cfg(not(target_arch = "wasm32"))]
pub fn window_icon() -> Option<IconData> {
    eframe::icon_data::from_png_bytes(ICON_PNG).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_decodes_at_its_size() {
        let icon = window_icon().expect("the bundled PNG decodes");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4, "RGBA");
    }
}
