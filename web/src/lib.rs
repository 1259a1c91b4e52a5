//! Weir in the browser: the app on eframe's web runner, drawn into the
//! page's `weir-canvas` (see `web/index.html`; `web/build.sh` builds the
//! site). Everything the app does is the desktop app's own code; what
//! differs in a browser (files, the live run's stepping, the address's
//! lesson) is in `weir::gui::web`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast as _;
use wasm_bindgen::prelude::*;

/// Starts the app when the module loads.
#[wasm_bindgen(start)]
pub fn start() {
    wasm_bindgen_futures::spawn_local(async {
        let outcome = run().await;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Some(loading) = document.get_element_by_id("weir-loading") {
            match outcome {
                Ok(()) => loading.remove(),
                Err(e) => loading
                    .set_text_content(Some(&format!("Weir could not start in this browser: {e}"))),
            }
        }
    });
}

/// Runs the app in the page's canvas.
async fn run() -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("the page has no document")?;
    let canvas = document
        .get_element_by_id("weir-canvas")
        .ok_or("the page has no element weir-canvas")?
        .dyn_into::<web_sys::HtmlCanvasElement>()
        .map_err(|_| "weir-canvas is not a canvas")?;
    eframe::WebRunner::new()
        .start(
            canvas,
            eframe::WebOptions::default(),
            Box::new(|cc| Ok(Box::new(weir::gui::web::app(cc)))),
        )
        .await
        .map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))
}
