//! What differs when the window is a browser page (the web build,
//! `web/`): the page's address can open a lesson or an example, files
//! are uploaded and downloaded, and the page's title follows the
//! document's. The address is read the same way on every target, so it is
//! tested with the rest; the browser's side is built for wasm32 only.

use crate::examples::{EXAMPLES, Example};
use crate::lessons::{BundledLesson, LESSONS};

/// What a page's address asks to open: `#lesson=01-hockey-stick`,
/// `#example=backpressure` (with or without `.ron`), and `&play` to start
/// the live run at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub open: Option<Opening>,
    pub play: bool,
}

/// A bundled document the address names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    Lesson(BundledLesson),
    Example(Example),
}

/// Reads the part of a page's address after `#` (with or without the
/// `#`). Parts are separated by `&`; an empty address asks for nothing.
///
/// # Errors
/// A part Weir does not know, or a lesson or example that is not bundled,
/// with what there is.
pub fn read_address(fragment: &str) -> Result<Address, String> {
    let mut address = Address {
        open: None,
        play: false,
    };
    for part in fragment.trim_start_matches('#').split('&') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let file = format!("{}.ron", value.trim_end_matches(".ron"));
        match key {
            "play" => address.play = true,
            "lesson" => {
                let lesson = LESSONS.iter().find(|l| l.file == file).ok_or_else(|| {
                    format!(
                        "The address asks for the lesson “{value}”, which Weir does not have. Its lessons are {}.",
                        names(LESSONS.iter().map(|l| l.file))
                    )
                })?;
                address.open = Some(Opening::Lesson(*lesson));
            }
            "example" => {
                let example = EXAMPLES.iter().find(|e| e.file == file).ok_or_else(|| {
                    format!(
                        "The address asks for the example “{value}”, which Weir does not have. Its examples are {}.",
                        names(EXAMPLES.iter().map(|e| e.file))
                    )
                })?;
                address.open = Some(Opening::Example(*example));
            }
            _ => {
                return Err(format!(
                    "The address's “{part}” means nothing to Weir: it reads #lesson=NAME or #example=NAME, and &play to start the run."
                ));
            }
        }
    }
    Ok(address)
}

/// File names without `.ron`, joined for a sentence.
fn names<'a>(files: impl Iterator<Item = &'a str>) -> String {
    files
        .map(|f| f.trim_end_matches(".ron"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the page asks the window to take in: files the user uploaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upload {
    /// A model to open, by its file name and text.
    Open { name: String, text: String },
    /// Documents to import, as names and texts.
    Import(Vec<(String, String)>),
}

impl super::WeirApp {
    /// Opens what a page's address asks for (see [`read_address`]); an
    /// address Weir cannot read is said in the error dialog, over the
    /// start page.
    pub fn open_address(&mut self, fragment: &str) {
        match read_address(fragment) {
            Ok(address) => {
                match address.open {
                    Some(Opening::Lesson(lesson)) => self.open_lesson(lesson),
                    Some(Opening::Example(example)) => self.open_example(example),
                    None => {}
                }
                if address.play {
                    self.play_on_start();
                }
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Takes in what the user uploaded: a model opens (its file name
    /// becomes the document's, so Save downloads it under that name) and
    /// documents are imported, each as a new document after asking about
    /// unsaved changes.
    pub fn take_upload(&mut self, upload: Upload) {
        use super::dialogs::Pending;
        match upload {
            Upload::Open { name, text } => self.request(Pending::OpenText { name, text }),
            Upload::Import(files) => self.request(Pending::ImportTexts(files)),
        }
    }
}

#[cfg(target_arch = "wasm32")]
pub use browser::*;

/// The browser's side: the app's start, uploads, downloads, the title.
#[cfg(target_arch = "wasm32")]
mod browser {
    use std::cell::RefCell;

    use eframe::egui;
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen::prelude::*;

    use super::Upload;
    use crate::gui::{Prefs, WeirApp, install_fonts};

    thread_local! {
        /// Uploads read and not yet taken by the window.
        static UPLOADS: RefCell<Vec<Upload>> = const { RefCell::new(Vec::new()) };
        /// The context, to wake the window when an upload has been read.
        static CONTEXT: RefCell<Option<egui::Context>> = const { RefCell::new(None) };
    }

    /// The app in a page: preferences from the browser's storage, no
    /// crash recovery (the browser keeps no files), and what the page's
    /// address asks for opened.
    pub fn app(cc: &eframe::CreationContext<'_>) -> WeirApp {
        let prefs: Prefs = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        install_fonts(&cc.egui_ctx);
        CONTEXT.with(|c| *c.borrow_mut() = Some(cc.egui_ctx.clone()));
        let mut app = WeirApp::starting(None, prefs, None);
        let fragment = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        app.open_address(&fragment);
        app
    }

    /// Uploads read since the last call.
    pub fn take_uploads() -> Vec<Upload> {
        UPLOADS.with(|u| std::mem::take(&mut *u.borrow_mut()))
    }

    /// Sets the page's title.
    pub fn set_page_title(title: &str) {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(title);
        }
    }

    /// Asks the browser for files with these extensions (one, or several
    /// when `several`); what is read arrives through [`take_uploads`] as
    /// an `Open` (one file) or an `Import`. Cancelling does nothing.
    pub fn ask_upload(extensions: &[&str], several: bool, import: bool) {
        if let Err(e) = try_ask_upload(extensions, several, import) {
            web_sys::console::error_1(&e);
        }
    }

    fn try_ask_upload(extensions: &[&str], several: bool, import: bool) -> Result<(), JsValue> {
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?;
        let input: web_sys::HtmlInputElement = document.create_element("input")?.dyn_into()?;
        input.set_type("file");
        input.set_multiple(several);
        let accept: Vec<String> = extensions.iter().map(|e| format!(".{e}")).collect();
        input.set_accept(&accept.join(","));
        let picked = input.clone();
        let on_change = Closure::once_into_js(move || {
            let Some(list) = picked.files() else {
                return;
            };
            let files: Vec<web_sys::File> =
                (0..list.length()).filter_map(|i| list.get(i)).collect();
            wasm_bindgen_futures::spawn_local(async move {
                let mut read = Vec::with_capacity(files.len());
                for file in files {
                    let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                    match text.ok().and_then(|t| t.as_string()) {
                        Some(text) => read.push((file.name(), text)),
                        None => web_sys::console::error_1(&JsValue::from_str(&format!(
                            "cannot read {}",
                            file.name()
                        ))),
                    }
                }
                deliver(read, import);
            });
        });
        input.set_onchange(Some(on_change.unchecked_ref()));
        input.click();
        Ok(())
    }

    /// Reads files dropped on the page; they arrive through
    /// [`take_uploads`]: one `.ron` file opens, anything else is imported.
    pub fn read_dropped(files: Vec<egui::DroppedFileHandle>) {
        if files.is_empty() {
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let mut read = Vec::with_capacity(files.len());
            for file in &files {
                let name = file.path().display().to_string();
                match file.bytes_async().await {
                    Ok(bytes) => read.push((name, String::from_utf8_lossy(&bytes).into_owned())),
                    Err(e) => web_sys::console::error_1(&JsValue::from_str(&format!(
                        "cannot read {name}: {e}"
                    ))),
                }
            }
            let open = matches!(&read[..], [(name, _)] if name.ends_with(".ron"));
            deliver(read, !open);
        });
    }

    /// Hands files read to the window, waking it.
    fn deliver(mut read: Vec<(String, String)>, import: bool) {
        let upload = match read.len() {
            0 => return,
            1 if !import => {
                let (name, text) = read.remove(0);
                Upload::Open { name, text }
            }
            _ => Upload::Import(read),
        };
        UPLOADS.with(|u| u.borrow_mut().push(upload));
        CONTEXT.with(|c| {
            if let Some(ctx) = &*c.borrow() {
                ctx.request_repaint();
            }
        });
    }

    /// Hands `bytes` to the browser as a download named `name`.
    ///
    /// # Errors
    /// The browser's refusal, in its words.
    pub fn download(name: &str, bytes: &[u8]) -> Result<(), String> {
        try_download(name, bytes).map_err(|e| {
            e.as_string()
                .unwrap_or_else(|| format!("the browser refused the download of {name}"))
        })
    }

    fn try_download(name: &str, bytes: &[u8]) -> Result<(), JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let document = window.document().ok_or("no document")?;
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime(name));
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        let anchor: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
        // The download has its own copy once started; the address is let
        // go a minute later.
        let revoke = Closure::once_into_js(move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        });
        window.set_timeout_with_callback_and_timeout_and_arguments_0(
            revoke.unchecked_ref(),
            60_000,
        )?;
        Ok(())
    }

    /// A download's type, by its extension.
    fn mime(name: &str) -> &'static str {
        let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "svg" => "image/svg+xml",
            "png" => "image/png",
            "gif" => "image/gif",
            "html" => "text/html",
            "json" => "application/json",
            "csv" => "text/csv",
            "yaml" | "yml" => "application/yaml",
            _ => "text/plain",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_opens_a_lesson_or_an_example_and_may_play() {
        let address = read_address("#lesson=01-hockey-stick&play").expect("readable");
        assert_eq!(address.open, Some(Opening::Lesson(LESSONS[0])));
        assert!(address.play);
        let address = read_address("example=backpressure.ron").expect("readable");
        assert!(matches!(address.open, Some(Opening::Example(e)) if e.file == "backpressure.ron"));
        assert!(!address.play);
        assert_eq!(
            read_address("").expect("empty"),
            Address {
                open: None,
                play: false
            }
        );
        assert_eq!(read_address("#&&").expect("empty parts").open, None);
    }

    #[test]
    fn an_address_weir_cannot_read_says_what_it_can() {
        let e = read_address("#lesson=99-nothing").expect_err("not bundled");
        assert!(
            e.contains("“99-nothing”") && e.contains("01-hockey-stick"),
            "{e}"
        );
        let e = read_address("#example=nowhere&play").expect_err("not bundled");
        assert!(e.contains("“nowhere”") && e.contains("single-queue"), "{e}");
        let e = read_address("#zoom=2").expect_err("unknown part");
        assert!(e.contains("“zoom=2”") && e.contains("#lesson=NAME"), "{e}");
    }
}
