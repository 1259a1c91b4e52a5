//! Files: reading and atomically writing models, the native dialogs, and
//! the recovery file that autosave keeps for after a crash.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sim_core::Model;
use sim_core::model::file;
use sim_core::validate::Diagnostic;

/// Reads a model file.
pub fn load(path: &Path) -> Result<(Model, Vec<Diagnostic>)> {
    let text = file::read(path)?;
    file::from_str(&text).with_context(|| format!("cannot open {}", path.display()))
}

/// Writes `bytes` to `path` so that a crash leaves either the old file or
/// the new one, never half of one: a temporary file in the same folder,
/// flushed to disk, then renamed over the target.
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> Result<()> {
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        f.write_all(bytes.as_ref())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("cannot flush {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    } else if let Ok(d) = std::fs::File::open(&dir) {
        // NOTE: makes the rename itself durable; not all systems allow it.
        let _ = d.sync_all();
    }
    result
}

/// Saves a model to `path`.
pub fn save(model: &Model, path: &Path) -> Result<()> {
    write_atomic(path, file::to_string(model))
}

/// The native "open" dialog; `None` if cancelled or unavailable.
pub fn pick_open(start: Option<&Path>) -> Option<PathBuf> {
    let mut dialog = rfd::FileDialog::new()
        .set_title("Open a model")
        .add_filter("Weir model", &["ron"]);
    if let Some(dir) = start.and_then(Path::parent) {
        dialog = dialog.set_directory(dir);
    }
    dialog.pick_file()
}

/// The native "save as" dialog; `None` if cancelled or unavailable.
pub fn pick_save(start: Option<&Path>, name: &str) -> Option<PathBuf> {
    let mut dialog = rfd::FileDialog::new()
        .set_title("Save the model")
        .add_filter("Weir model", &["ron"])
        .set_file_name(format!("{}.ron", file_stem(name)));
    if let Some(dir) = start.and_then(Path::parent) {
        dialog = dialog.set_directory(dir);
    }
    dialog.save_file().map(|p| {
        if p.extension().is_none() {
            p.with_extension("ron")
        } else {
            p
        }
    })
}

/// The native "save" dialog for an export: `what` names it ("report"),
/// `ext` is the extension; `None` if cancelled or unavailable.
pub fn pick_export(name: &str, what: &str, ext: &str) -> Option<PathBuf> {
    rfd::FileDialog::new()
        .set_title(format!("Export the {what}"))
        .add_filter(ext.to_uppercase(), &[ext])
        .set_file_name(format!("{}-{what}.{ext}", file_stem(name)))
        .save_file()
}

/// A file name from a model name: lower case, dashes for spaces.
pub(crate) fn file_stem(name: &str) -> String {
    let stem: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-');
    if stem.is_empty() {
        "model".to_owned()
    } else {
        stem.to_owned()
    }
}

/// Where autosave keeps unsaved work: the model and, beside it, the path
/// of the file it belongs to.
#[derive(Clone, Debug)]
pub struct Recovery {
    pub model: PathBuf,
    pub origin: PathBuf,
}

impl Recovery {
    /// In the app's data folder, if there is one.
    pub fn in_data_dir() -> Option<Self> {
        let dir = eframe::storage_dir("Weir")?;
        Some(Self::in_dir(&dir))
    }

    pub fn in_dir(dir: &Path) -> Self {
        Self {
            model: dir.join("recovery.ron"),
            origin: dir.join("recovery-origin.txt"),
        }
    }

    /// Writes the unsaved model.
    pub fn store(&self, model: &Model, path: Option<&Path>) -> Result<()> {
        if let Some(dir) = self.model.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        write_atomic(&self.model, file::to_string(model))?;
        let origin = path.map(|p| p.display().to_string()).unwrap_or_default();
        write_atomic(&self.origin, &origin)
    }

    /// The unsaved model left by a session that did not close cleanly.
    pub fn pending(&self) -> Option<(Model, Option<PathBuf>)> {
        let text = std::fs::read_to_string(&self.model).ok()?;
        let (model, _) = file::from_str(&text).ok()?;
        let origin = std::fs::read_to_string(&self.origin)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        Some((model, origin))
    }

    /// Forgets the unsaved model (after a save, a discard or a clean exit).
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.model);
        let _ = std::fs::remove_file(&self.origin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("weir-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("m.ron");
        write_atomic(&path, "one").expect("first write");
        write_atomic(&path, "two").expect("second write");
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), "two");
        let leftovers = std::fs::read_dir(&dir)
            .expect("listable")
            .filter(|e| e.as_ref().is_ok_and(|e| e.file_name() != "m.ron"))
            .count();
        assert_eq!(leftovers, 0, "the temporary file was renamed away");
        let recovery = Recovery::in_dir(&dir);
        recovery
            .store(&Model::new("r"), Some(&path))
            .expect("recovery written");
        let (model, origin) = recovery.pending().expect("a recovery is pending");
        assert_eq!(model.name, "r");
        assert_eq!(origin.as_deref(), Some(path.as_path()));
        recovery.clear();
        assert!(recovery.pending().is_none(), "cleared");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_names_come_from_model_names() {
        assert_eq!(file_stem("Three-stage pipeline"), "three-stage-pipeline");
        assert_eq!(file_stem("  "), "model");
    }
}
