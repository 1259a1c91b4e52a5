//! File → Export: a native "save" dialog per format, then the export made
//! and written on a background thread (report formats run the model
//! first), so the window never freezes.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui;
use sim_core::Model;

use super::files;
use crate::exports::{PictureOptions, Target, export_bytes};

/// An export in progress, or how the last one ended.
#[derive(Debug, Default)]
pub enum ExportState {
    #[default]
    Idle,
    Running {
        target: Target,
        path: PathBuf,
        done: Receiver<Result<(), String>>,
    },
}

/// How a finished export ended, for a notice or an error dialog.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    Written { target: Target, path: PathBuf },
    Failed(String),
}

impl ExportState {
    /// Starts writing `target` of `model` to `path` on a named thread.
    pub fn start(
        model: &Model,
        target: Target,
        path: PathBuf,
        options: PictureOptions,
        ctx: &egui::Context,
    ) -> Self {
        let model = model.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let out = path.clone();
        let spawned = crate::background::spawn("weir-export", move || {
            let outcome = export_bytes(&model, target, options)
                .and_then(|bytes| files::write_atomic(&out, bytes))
                .map_err(|e| format!("{e:#}"));
            let _ = tx.send(outcome);
            ctx.request_repaint();
        });
        match spawned {
            Ok(_) => Self::Running {
                target,
                path,
                done: rx,
            },
            Err(e) => {
                let (tx, rx) = std::sync::mpsc::channel();
                let _ = tx.send(Err(format!("cannot start the export: {e}")));
                Self::Running {
                    target,
                    path,
                    done: rx,
                }
            }
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running { .. })
    }

    /// Picks up a finished export.
    pub fn poll(&mut self) -> Option<Finished> {
        let Self::Running { target, path, done } = self else {
            return None;
        };
        let finished = match done.try_recv() {
            Ok(Ok(())) => Finished::Written {
                target: *target,
                path: path.clone(),
            },
            Ok(Err(message)) => Finished::Failed(message),
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                Finished::Failed("the export stopped unexpectedly".to_owned())
            }
        };
        *self = Self::Idle;
        Some(finished)
    }
}

/// The native "export" dialog for `target`; `None` if cancelled or
/// unavailable. (In the browser: the download's name.)
#[cfg(not(target_arch = "wasm32"))]
pub fn pick_export(start: Option<&Path>, name: &str, target: Target) -> Option<PathBuf> {
    let extension = target.extension();
    let last = extension.rsplit('.').next().unwrap_or(extension);
    let mut dialog = rfd::FileDialog::new()
        .set_title(format!("Export {}", target.label().trim_end_matches('…')))
        .add_filter(target.label().trim_end_matches('…'), &[last])
        .set_file_name(format!("{}.{extension}", files::file_stem(name)));
    if let Some(dir) = start.and_then(Path::parent) {
        dialog = dialog.set_directory(dir);
    }
    dialog.save_file()
}

/// In the browser an export is a download, named from the model's name.
#[cfg(target_arch = "wasm32")]
pub fn pick_export(_start: Option<&Path>, name: &str, target: Target) -> Option<PathBuf> {
    Some(PathBuf::from(format!(
        "{}.{}",
        files::file_stem(name),
        target.extension()
    )))
}
