//! Crash recovery. Each running Weir keeps its unsaved work in a file of
//! its own in the data folder, `recovery-<id>.ron`: a model file whose
//! first lines say which file the work belongs to, written atomically in
//! one piece. Beside it, `recovery-<id>.lock` carries an exclusive
//! advisory lock that the instance holds for as long as it runs; the
//! system lets it go when the process ends, however it ends.
//!
//! At start, an instance looks for recovery files whose lock it can take:
//! their owner is gone. It holds each such lock while it offers the work,
//! one file at a time, so no other instance offers the same file, and the
//! file stays until the user restores it (its work then moves into this
//! instance's own file before the old one goes) or discards it. A file
//! that cannot be read is shown as such and moved aside, never deleted. A
//! running instance's file is never offered, read or written by another.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use sim_core::Model;
use sim_core::model::file;

use super::files::write_atomic;

/// The first line of every recovery file.
const HEADER: &str =
    "// Weir recovery: unsaved work, kept until it is saved, restored or discarded.";
/// The second line's start; a JSON string (the path) or `none` follows.
const ORIGIN: &str = "// origin: ";
/// A lock file this old with no recovery file and no owner is left over
/// from a crash (an owner locks its file as it creates it).
const STALE_LOCK: Duration = Duration::from_secs(60);

/// This instance's recovery file, and the lock that says it is running.
#[derive(Debug)]
pub struct Recovery {
    file: PathBuf,
    lock_path: PathBuf,
    /// Holds the lock until this is dropped or the process ends.
    _lock: File,
}

impl Recovery {
    /// In the app's data folder, if there is one and it can hold a lock.
    pub fn in_data_dir() -> Option<Self> {
        #[cfg(target_arch = "wasm32")]
        {
            // A browser page keeps no files: its work is saved by download.
            None
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let dir = eframe::storage_dir("Weir")?;
            Self::claim(&dir).ok()
        }
    }

    /// A new recovery slot in `dir`, locked for this instance's life.
    pub fn claim(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for attempt in 0..64_u32 {
            let id = format!("{}-{stamp:x}-{attempt}", std::process::id());
            let lock_path = dir.join(format!("recovery-{id}.lock"));
            let lock = match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock_path)
            {
                Ok(lock) => lock,
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot create {}", lock_path.display()));
                }
            };
            if let Err(e) = lock.try_lock() {
                let _ = std::fs::remove_file(&lock_path);
                bail!("cannot lock {}: {e}", lock_path.display());
            }
            return Ok(Self {
                file: dir.join(format!("recovery-{id}.ron")),
                lock_path,
                _lock: lock,
            });
        }
        bail!("cannot find a free recovery file name in {}", dir.display())
    }

    /// Where this instance keeps its unsaved work.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Keeps the unsaved model and the file it belongs to, in one atomic
    /// write; a model that cannot be written is an error.
    pub fn store(&self, model: &Model, origin: Option<&Path>) -> Result<()> {
        let text = file::try_to_string(model).context("cannot keep the unsaved work")?;
        write_atomic(&self.file, recovery_text(&text, origin))
    }

    /// Forgets this instance's unsaved work (after a save, a discard or a
    /// clean exit). Other instances' files are never touched.
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.file);
    }

    /// The recovery files in this instance's folder whose owner is gone,
    /// oldest first, each locked for this instance until it is dealt with.
    pub fn orphans(&self) -> Vec<Orphan> {
        let Some(dir) = self.file.parent() else {
            return Vec::new();
        };
        orphans_in(dir, &self.file)
    }
}

impl Drop for Recovery {
    fn drop(&mut self) {
        // A clean exit leaves nothing; unsaved work keeps its lock file
        // for whoever offers it.
        if !self.file.exists() {
            let _ = std::fs::remove_file(&self.lock_path);
        }
    }
}

/// Another instance's unsaved work, left when it stopped without saving:
/// locked by this instance until restored, discarded or set aside.
#[derive(Debug)]
pub struct Orphan {
    file: PathBuf,
    lock_path: PathBuf,
    /// The origin file of the format before recovery files were per
    /// instance.
    legacy_origin: Option<PathBuf>,
    _lock: File,
    /// The model and its file, or why the recovery file cannot be read.
    pub content: Result<(Model, Option<PathBuf>), String>,
}

impl Orphan {
    /// Where the work is kept.
    pub fn path(&self) -> &Path {
        &self.file
    }

    /// Where an unreadable file is moved to: a name no instance looks at
    /// and no file has yet, still a `.ron` file to open.
    pub fn aside_path(&self) -> PathBuf {
        let name = self.file.file_name().map_or_else(
            || "recovery.ron".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        let first = self.file.with_file_name(format!("unreadable-{name}"));
        if !first.exists() {
            return first;
        }
        (2..1000_u32)
            .map(|n| self.file.with_file_name(format!("unreadable-{n}-{name}")))
            .find(|p| !p.exists())
            .unwrap_or(first)
    }

    /// Deletes the work, which the user restored elsewhere or discarded.
    pub fn remove(self) -> Result<()> {
        match std::fs::remove_file(&self.file) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot delete {}", self.file.display()));
            }
        }
        if let Some(origin) = &self.legacy_origin {
            let _ = std::fs::remove_file(origin);
        }
        let _ = std::fs::remove_file(&self.lock_path);
        Ok(())
    }

    /// Moves an unreadable file aside, where no instance offers it again;
    /// where it went.
    pub fn set_aside(self) -> Result<PathBuf> {
        let aside = self.aside_path();
        if aside.exists() {
            bail!(
                "cannot move {} aside: {} already exists",
                self.file.display(),
                aside.display()
            );
        }
        std::fs::rename(&self.file, &aside).with_context(|| {
            format!("cannot move {} to {}", self.file.display(), aside.display())
        })?;
        let _ = std::fs::remove_file(&self.lock_path);
        Ok(aside)
    }
}

/// A recovery file's text: the header, the origin, the model file.
fn recovery_text(model: &str, origin: Option<&Path>) -> String {
    // NOTE: a path that is not valid Unicode cannot be written as JSON;
    // the work is still kept, without its file.
    let origin = origin
        .and_then(|p| serde_json::to_string(p).ok())
        .unwrap_or_else(|| "none".to_owned());
    format!("{HEADER}\n{ORIGIN}{origin}\n{model}")
}

/// Reads a recovery file's text: the model and its origin.
fn parse(text: &str) -> Result<(Model, Option<PathBuf>), String> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err("line 1: it does not start as a Weir recovery file".to_owned());
    }
    let origin = lines
        .next()
        .and_then(|line| line.strip_prefix(ORIGIN))
        .ok_or_else(|| "line 2: the file it belongs to is missing".to_owned())?;
    let origin = if origin == "none" {
        None
    } else {
        Some(
            serde_json::from_str::<PathBuf>(origin)
                .map_err(|e| format!("line 2: the file it belongs to is not a quoted path: {e}"))?,
        )
    };
    // The header lines are comments: the whole text is a model file, so
    // errors name the recovery file's own lines.
    let (model, _) = file::from_str(text).map_err(|e| e.to_string())?;
    Ok((model, origin))
}

/// The recovery files in `dir` other than `own`, whose lock could be taken.
fn orphans_in(dir: &Path, own: &Path) -> Vec<Orphan> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut found = Vec::new();
    for name in &names {
        let path = dir.join(name);
        if path == own {
            continue;
        }
        if let Some(id) = name
            .strip_prefix("recovery-")
            .and_then(|rest| rest.strip_suffix(".ron"))
        {
            let lock_path = dir.join(format!("recovery-{id}.lock"));
            found.extend(adopt(path, lock_path, None));
        } else if name == "recovery.ron" {
            // The single recovery file of earlier versions, its origin in
            // a second file.
            found.extend(adopt(
                path,
                dir.join("recovery.lock"),
                Some(dir.join("recovery-origin.txt")),
            ));
        } else if let Some(id) = name
            .strip_prefix("recovery-")
            .and_then(|rest| rest.strip_suffix(".lock"))
        {
            let work = dir.join(format!("recovery-{id}.ron"));
            if work != own && !work.exists() {
                remove_stale_lock(&dir.join(name));
            }
        }
    }
    found.sort_by_key(|o| {
        std::fs::metadata(&o.file)
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::UNIX_EPOCH)
    });
    found
}

/// Takes the lock of the recovery file at `file`, if its owner is gone,
/// and reads it.
fn adopt(file: PathBuf, lock_path: PathBuf, legacy_origin: Option<PathBuf>) -> Option<Orphan> {
    let lock = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .ok()?;
    match lock.try_lock() {
        Ok(()) => {}
        // Its owner is running, or locks do not work here: the file is
        // not this instance's to offer.
        Err(TryLockError::WouldBlock | TryLockError::Error(_)) => return None,
    }
    let content = match std::fs::read_to_string(&file) {
        Ok(text) => match &legacy_origin {
            Some(origin) => file::from_str(&text)
                .map(|(model, _)| {
                    let origin = std::fs::read_to_string(origin)
                        .ok()
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .map(PathBuf::from);
                    (model, origin)
                })
                .map_err(|e| e.to_string()),
            None => parse(&text),
        },
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // Restored or discarded by another instance meanwhile: this
            // lock file has no work left to guard.
            let _ = std::fs::remove_file(&lock_path);
            return None;
        }
        Err(e) => Err(format!("it cannot be read: {e}")),
    };
    Some(Orphan {
        file,
        lock_path,
        legacy_origin,
        _lock: lock,
        content,
    })
}

/// Deletes a lock file left by an instance that stopped with no unsaved
/// work, if no one holds it and it is not brand new.
fn remove_stale_lock(path: &Path) {
    let old = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > STALE_LOCK);
    if !old {
        return;
    }
    if let Ok(lock) = OpenOptions::new().write(true).open(path)
        && lock.try_lock().is_ok()
    {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::files::tests::{names, scratch};

    #[test]
    fn work_and_its_file_are_one_file_read_back_whole() {
        let dir = scratch("recovery-one-file");
        let own = Recovery::claim(&dir).expect("claimed");
        let origin = dir.join("odd \"name\"\nwith a newline.ron");
        own.store(&Model::new("r"), Some(&origin)).expect("kept");
        let text = std::fs::read_to_string(own.path()).expect("written");
        let (model, read_origin) = parse(&text).expect("reads back");
        assert_eq!(model.name, "r");
        assert_eq!(read_origin.as_deref(), Some(origin.as_path()));
        assert_eq!(
            names(&dir).iter().filter(|n| n.ends_with(".ron")).count(),
            1,
            "one file holds the model and its origin"
        );
        own.store(&Model::new("untitled"), None).expect("kept");
        let text = std::fs::read_to_string(own.path()).expect("written");
        assert_eq!(parse(&text).expect("reads back").1, None);
        own.clear();
        drop(own);
        assert!(names(&dir).is_empty(), "a clean exit leaves nothing");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_running_instance_never_offers_or_overwrites_another() {
        let dir = scratch("recovery-two");
        let first = Recovery::claim(&dir).expect("claimed");
        let second = Recovery::claim(&dir).expect("claimed");
        assert_ne!(first.path(), second.path(), "a file each");
        first.store(&Model::new("first"), None).expect("kept");
        second.store(&Model::new("second"), None).expect("kept");
        assert!(
            second.orphans().is_empty() && first.orphans().is_empty(),
            "a running instance's work is not offered as a crash"
        );
        let read = |r: &Recovery| {
            parse(&std::fs::read_to_string(r.path()).expect("kept"))
                .expect("readable")
                .0
                .name
        };
        assert_eq!(read(&first), "first");
        assert_eq!(read(&second), "second");
        // The first one crashes: its lock goes with it; its work stays.
        let first_path = first.path().to_path_buf();
        drop(first);
        let mut offered = second.orphans();
        assert_eq!(offered.len(), 1);
        let orphan = offered.pop().expect("one");
        assert_eq!(orphan.path(), first_path);
        assert_eq!(
            orphan.content.as_ref().map(|(m, _)| m.name.as_str()),
            Ok("first")
        );
        // While the second one offers it, a third does not.
        let third = Recovery::claim(&dir).expect("claimed");
        assert!(
            third.orphans().is_empty(),
            "offered by one instance at a time"
        );
        // Not answered: still there, offered again.
        drop(orphan);
        assert_eq!(third.orphans().len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn discarded_work_goes_with_its_lock() {
        let dir = scratch("recovery-discard");
        let gone = Recovery::claim(&dir).expect("claimed");
        gone.store(&Model::new("gone"), None).expect("kept");
        drop(gone);
        let own = Recovery::claim(&dir).expect("claimed");
        let orphan = own.orphans().pop().expect("offered");
        orphan.remove().expect("removed");
        assert!(own.orphans().is_empty());
        drop(own);
        assert!(names(&dir).is_empty(), "{:?}", names(&dir));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unreadable_file_is_offered_as_such_and_set_aside() {
        let dir = scratch("recovery-unreadable");
        let broken = dir.join("recovery-1-2-0.ron");
        std::fs::write(
            &broken,
            format!("{HEADER}\n{ORIGIN}none\n(version: 1, name: "),
        )
        .expect("written");
        std::fs::write(dir.join("recovery-0-1-0.ron"), "not a recovery file").expect("written");
        let own = Recovery::claim(&dir).expect("claimed");
        let offered = own.orphans();
        assert_eq!(offered.len(), 2);
        for orphan in offered {
            let err = orphan.content.as_ref().expect_err("unreadable").clone();
            assert!(err.starts_with("line "), "names where: {err}");
            let aside = orphan.aside_path();
            let original = orphan.path().to_path_buf();
            assert_eq!(orphan.set_aside().expect("moved"), aside);
            assert!(aside.exists() && !original.exists());
        }
        assert!(own.orphans().is_empty(), "set aside, not offered again");
        assert!(names(&dir).contains(&"unreadable-recovery-1-2-0.ron".to_owned()));
        // The same name again never replaces what was set aside before.
        std::fs::write(&broken, "broken again").expect("written");
        let orphan = own.orphans().pop().expect("offered");
        let aside = orphan.set_aside().expect("moved");
        assert_eq!(aside, dir.join("unreadable-2-recovery-1-2-0.ron"));
        assert_eq!(
            std::fs::read_to_string(aside).expect("kept"),
            "broken again"
        );
        assert!(
            std::fs::read_to_string(dir.join("unreadable-recovery-1-2-0.ron"))
                .expect("kept")
                .starts_with(HEADER)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_single_file_of_earlier_versions_is_offered() {
        let dir = scratch("recovery-legacy");
        std::fs::write(
            dir.join("recovery.ron"),
            file::to_string(&Model::new("old")),
        )
        .expect("written");
        std::fs::write(dir.join("recovery-origin.txt"), "/models/old.ron").expect("written");
        let own = Recovery::claim(&dir).expect("claimed");
        let orphan = own.orphans().pop().expect("offered");
        let (model, origin) = orphan.content.as_ref().expect("readable");
        assert_eq!(model.name, "old");
        assert_eq!(origin.as_deref(), Some(Path::new("/models/old.ron")));
        orphan.remove().expect("removed");
        drop(own);
        assert!(names(&dir).is_empty(), "{:?}", names(&dir));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
