//! Files: reading models, writing models and exports atomically, and the
//! native dialogs. Crash recovery is `recovery.rs`.

#[cfg(not(target_arch = "wasm32"))]
use std::fs::{File, OpenOptions};
#[cfg(not(target_arch = "wasm32"))]
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
#[cfg(not(target_arch = "wasm32"))]
use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(not(target_arch = "wasm32"))]
use anyhow::bail;
use anyhow::{Context, Result};
use sim_core::Model;
use sim_core::model::file::{self, SaveError};
use sim_core::validate::Diagnostic;

/// Reads a model file.
pub fn load(path: &Path) -> Result<(Model, Vec<Diagnostic>)> {
    let text = file::read(path)?;
    file::from_str(&text).with_context(|| format!("cannot open {}", path.display()))
}

/// Writes `bytes` to `path` (in the browser: hands them over as a
/// download named as `path`'s file is).
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    #[cfg(target_arch = "wasm32")]
    {
        let name = path
            .file_name()
            .map_or_else(|| "weir-file".into(), |n| n.to_string_lossy().into_owned());
        super::web::download(&name, bytes.as_ref()).map_err(anyhow::Error::msg)
    }
    #[cfg(not(target_arch = "wasm32"))]
    write_on_disk(path, bytes.as_ref())
}

/// Writes `bytes` to `path` so that a crash leaves either the old file or
/// the new one, never half of one: a new temporary file in the target's
/// folder, flushed to disk, then renamed over the target.
///
/// The temporary file has a name no other writer uses and is created only
/// if nothing (not even a symbolic link) has that name, so two writers,
/// in one process or in two, never write into each other's file. A path
/// that is a symbolic link is written through to the file it points to,
/// and the link stays. The new file keeps the old one's permissions.
#[cfg(not(target_arch = "wasm32"))]
fn write_on_disk(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = resolve_links(path)?;
    let permissions = match std::fs::metadata(&target) {
        Ok(meta) if meta.is_file() => Some(meta.permissions()),
        Ok(meta) if meta.is_dir() => bail!("cannot write {}: it is a folder", path.display()),
        Ok(_) => bail!("cannot write {}: it is not a regular file", path.display()),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", target.display())),
    };
    let dir = folder_of(&target);
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let (tmp, mut f) = create_temporary(&dir, &name)?;
    let result = (|| -> Result<()> {
        f.write_all(bytes)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        if let Some(permissions) = permissions {
            f.set_permissions(permissions)
                .with_context(|| format!("cannot set the permissions of {}", tmp.display()))?;
        }
        f.sync_all()
            .with_context(|| format!("cannot flush {}", tmp.display()))?;
        drop(f);
        std::fs::rename(&tmp, &target)
            .with_context(|| format!("cannot replace {}", target.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    } else if let Ok(d) = File::open(&dir) {
        // NOTE: makes the rename itself durable; not all systems allow it.
        let _ = d.sync_all();
    }
    result
}

/// How many symbolic links a path may go through before it is refused
/// (as the kernel refuses a loop).
#[cfg(not(target_arch = "wasm32"))]
const MAX_LINKS: usize = 40;

/// The file `path` names once its symbolic links are followed: a link's
/// relative target is taken from the link's folder. A path that does not
/// exist (or a link to nothing) names a file to create there.
#[cfg(not(target_arch = "wasm32"))]
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)
                    .with_context(|| format!("cannot read the link {}", current.display()))?;
                current = if link.is_absolute() {
                    link
                } else {
                    folder_of(&current).join(link)
                };
            }
            _ => return Ok(current),
        }
    }
    bail!(
        "cannot write {}: it goes through more than {MAX_LINKS} symbolic links",
        path.display()
    )
}

/// The folder a file is in (`.` for a bare file name).
#[cfg(not(target_arch = "wasm32"))]
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Numbers the temporary files this process creates.
#[cfg(not(target_arch = "wasm32"))]
static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// A new, empty temporary file in `dir` for writing `name`: its name
/// holds the process id and a number no other write in this process uses,
/// and it is created exclusively, so an existing file or link of that
/// name (another process's, or left by a crash) is never opened: the next
/// number is tried.
#[cfg(not(target_arch = "wasm32"))]
fn create_temporary(dir: &Path, name: &str) -> Result<(PathBuf, File)> {
    const ATTEMPTS: usize = 64;
    for _ in 0..ATTEMPTS {
        let n = TEMPORARIES.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(temporary_name(name, n));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", tmp.display())),
        }
    }
    bail!(
        "cannot create a temporary file in {}: {ATTEMPTS} names in a row are taken",
        dir.display()
    )
}

/// The name of the `n`th temporary file for writing `name`.
#[cfg(not(target_arch = "wasm32"))]
fn temporary_name(name: &str, n: u64) -> String {
    format!(".{name}.{}.{n}.tmp", std::process::id())
}

/// Saves a model to `path`; a model the serialiser refuses is an error,
/// and the file is left as it was.
pub fn save(model: &Model, path: &Path) -> Result<()> {
    write_model(path, file::try_to_string(model))
}

/// Writes a model's text, or reports why there is none.
fn write_model(path: &Path, text: Result<String, SaveError>) -> Result<()> {
    let text = text.with_context(|| format!("cannot save {}", path.display()))?;
    write_atomic(path, text)
}

/// The native "open" dialog; `None` if cancelled or unavailable.
#[cfg(not(target_arch = "wasm32"))]
pub fn pick_open(start: Option<&Path>) -> Option<PathBuf> {
    let mut dialog = rfd::FileDialog::new()
        .set_title("Open a model")
        .add_filter("Weir model", &["ron"]);
    if let Some(dir) = start.and_then(Path::parent) {
        dialog = dialog.set_directory(dir);
    }
    dialog.pick_file()
}

/// The native dialog to pick documents to import (AsyncAPI documents, one
/// service each, or a Mermaid flowchart); `None` if cancelled or
/// unavailable.
#[cfg(not(target_arch = "wasm32"))]
pub fn pick_import(start: Option<&Path>) -> Option<Vec<PathBuf>> {
    let mut dialog = rfd::FileDialog::new()
        .set_title("Import AsyncAPI documents or a Mermaid flowchart")
        .add_filter(
            "AsyncAPI or Mermaid",
            &["yaml", "yml", "json", "mmd", "mermaid"],
        );
    if let Some(dir) = start.and_then(Path::parent) {
        dialog = dialog.set_directory(dir);
    }
    dialog.pick_files().filter(|paths| !paths.is_empty())
}

/// The native "save as" dialog; `None` if cancelled or unavailable.
#[cfg(not(target_arch = "wasm32"))]
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
#[cfg(not(target_arch = "wasm32"))]
pub fn pick_export(name: &str, what: &str, ext: &str) -> Option<PathBuf> {
    rfd::FileDialog::new()
        .set_title(format!("Export the {what}"))
        .add_filter(ext.to_uppercase(), &[ext])
        .set_file_name(format!("{}-{what}.{ext}", file_stem(name)))
        .save_file()
}

/// Asks where to save a picture of `what` ("verdicts") and writes `svg`
/// there, as PNG when the chosen name ends in `.png`; what happened, for a
/// line beside the button, or `None` if the dialog was cancelled.
#[cfg(not(target_arch = "wasm32"))]
pub fn save_picture(name: &str, what: &str, svg: &str) -> Option<String> {
    let path = rfd::FileDialog::new()
        .set_title(format!("Save the {what} as a picture"))
        .add_filter("SVG", &["svg"])
        .add_filter("PNG", &["png"])
        .set_file_name(format!("{}-{what}.svg", file_stem(name)))
        .save_file()?;
    Some(write_picture(&path, svg).map_or_else(
        |e| format!("cannot save {}: {e:#}", path.display()),
        |()| format!("saved {}", path.display()),
    ))
}

/// In the browser, Open asks for an upload: the model arrives at a later
/// frame (`web::take_uploads`), so this returns `None` at once.
#[cfg(target_arch = "wasm32")]
pub fn pick_open(_start: Option<&Path>) -> Option<PathBuf> {
    super::web::ask_upload(&["ron"], false, false);
    None
}

/// In the browser, Import asks for uploads, which arrive at a later frame.
#[cfg(target_arch = "wasm32")]
pub fn pick_import(_start: Option<&Path>) -> Option<Vec<PathBuf>> {
    super::web::ask_upload(&["yaml", "yml", "json", "mmd", "mermaid"], true, true);
    None
}

/// In the browser, a save is a download: of the document's file name, or
/// one made from the model's name.
#[cfg(target_arch = "wasm32")]
pub fn pick_save(start: Option<&Path>, name: &str) -> Option<PathBuf> {
    Some(start.and_then(Path::file_name).map_or_else(
        || PathBuf::from(format!("{}.ron", file_stem(name))),
        PathBuf::from,
    ))
}

/// In the browser, an export is a download named from the model's name.
#[cfg(target_arch = "wasm32")]
pub fn pick_export(name: &str, what: &str, ext: &str) -> Option<PathBuf> {
    Some(PathBuf::from(format!("{}-{what}.{ext}", file_stem(name))))
}

/// In the browser, a picture is downloaded as SVG.
#[cfg(target_arch = "wasm32")]
pub fn save_picture(name: &str, what: &str, svg: &str) -> Option<String> {
    let path = PathBuf::from(format!("{}-{what}.svg", file_stem(name)));
    Some(write_picture(&path, svg).map_or_else(
        |e| format!("cannot download {}: {e:#}", path.display()),
        |()| format!("downloaded {}", path.display()),
    ))
}

/// Writes `svg` to `path`, rasterised to PNG when its extension is `png`.
pub fn write_picture(path: &Path, svg: &str) -> Result<()> {
    let png = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if png {
        let bytes = crate::picture::svg_to_png(svg, 2.0)?;
        write_atomic(path, bytes)
    } else {
        write_atomic(path, svg)
    }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A new, empty folder for one test.
    pub(crate) fn scratch(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("weir-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    }

    #[test]
    fn a_picture_is_png_by_its_extension_and_svg_otherwise() {
        let dir = scratch("picture");
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="red"/></svg>"#;
        write_picture(&dir.join("a.PNG"), svg).expect("PNG written");
        write_picture(&dir.join("a.svg"), svg).expect("SVG written");
        let png = std::fs::read(dir.join("a.PNG")).expect("read back");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG file");
        assert_eq!(
            std::fs::read_to_string(dir.join("a.svg")).expect("read back"),
            svg
        );
        assert!(
            write_picture(&dir.join("missing").join("b.png"), svg).is_err(),
            "a folder that does not exist is an error, not a panic"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The names in `dir`, sorted.
    pub(crate) fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("listable")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() {
        let dir = scratch("atomic");
        let path = dir.join("m.ron");
        write_atomic(&path, "one").expect("first write");
        write_atomic(&path, "two").expect("second write");
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), "two");
        assert_eq!(
            names(&dir),
            ["m.ron"],
            "the temporary file was renamed away"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn writers_in_one_process_never_share_a_temporary_file() {
        let dir = scratch("writers");
        let path = dir.join("export.csv");
        let a = "a".repeat(200_000);
        let b = "b".repeat(300_000);
        std::thread::scope(|s| {
            for text in [&a, &b] {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomic(path, text).expect("every write succeeds");
                    }
                });
            }
        });
        let written = std::fs::read_to_string(&path).expect("readable");
        assert!(written == a || written == b, "one writer's whole text");
        assert_eq!(names(&dir), ["export.csv"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_a_temporary_name_is_never_followed() {
        let dir = scratch("planted");
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "precious").expect("written");
        let path = dir.join("m.ron");
        // Links at the names the next writes would use, as another user or
        // a crash could leave them.
        let next = TEMPORARIES.load(Ordering::Relaxed);
        for n in next..next + 32 {
            std::os::unix::fs::symlink(&victim, dir.join(temporary_name("m.ron", n)))
                .expect("a planted link");
        }
        write_atomic(&path, "model").expect("written beside the links");
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), "model");
        assert_eq!(
            std::fs::read_to_string(&victim).expect("readable"),
            "precious",
            "the link's target is untouched"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("permissions");
        let path = dir.join("m.ron");
        std::fs::write(&path, "old").expect("written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        write_atomic(&path, "new").expect("written");
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o640);
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), "new");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_model_is_written_through_its_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("linked");
        std::fs::create_dir_all(dir.join("real")).expect("a folder");
        let real = dir.join("real").join("m.ron");
        std::fs::write(&real, "old").expect("written");
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        // A relative link, through a second link.
        let link = dir.join("m.ron");
        std::os::unix::fs::symlink("real/m.ron", &link).expect("a link");
        let link2 = dir.join("again.ron");
        std::os::unix::fs::symlink(&link, &link2).expect("a link to the link");
        write_atomic(&link2, "new").expect("written");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("exists")
                .file_type()
                .is_symlink()
                && std::fs::symlink_metadata(&link2)
                    .expect("exists")
                    .file_type()
                    .is_symlink(),
            "both links stay links"
        );
        assert_eq!(std::fs::read_to_string(&real).expect("readable"), "new");
        let mode = std::fs::metadata(&real)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o600, "the target keeps its permissions");
        assert_eq!(names(&dir.join("real")), ["m.ron"]);
        // A link to nothing creates its target.
        let dangling = dir.join("new.ron");
        std::os::unix::fs::symlink("real/created.ron", &dangling).expect("a link");
        write_atomic(&dangling, "created").expect("written");
        assert_eq!(
            std::fs::read_to_string(dir.join("real").join("created.ron")).expect("created"),
            "created"
        );
        // A loop of links is an error, not a hang.
        std::os::unix::fs::symlink("loop-b", dir.join("loop-a")).expect("a link");
        std::os::unix::fs::symlink("loop-a", dir.join("loop-b")).expect("a link");
        let err = write_atomic(&dir.join("loop-a"), "x").expect_err("a loop");
        assert!(err.to_string().contains("symbolic links"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_folder_is_not_replaced() {
        let dir = scratch("folder");
        let err = write_atomic(&dir, "x").expect_err("a folder");
        assert!(err.to_string().contains("it is a folder"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_serialiser_error_leaves_the_file_and_is_an_error() {
        let dir = scratch("unwritable");
        let path = dir.join("m.ron");
        std::fs::write(&path, "the user's model").expect("written");
        let refused = Err(SaveError {
            message: "invalid identifier".to_owned(),
        });
        let err = write_model(&path, refused).expect_err("an error, not a success");
        let message = format!("{err:#}");
        assert!(
            message.contains("cannot save") && message.contains("invalid identifier"),
            "{message}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("readable"),
            "the user's model",
            "nothing was written over the file"
        );
        assert_eq!(names(&dir), ["m.ron"]);
        // A model that can be written is saved as the model file's text.
        let model = Model::new("saved");
        save(&model, &path).expect("saved");
        assert_eq!(
            std::fs::read_to_string(&path).expect("readable"),
            file::to_string(&model)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_names_come_from_model_names() {
        assert_eq!(file_stem("Three-stage pipeline"), "three-stage-pipeline");
        assert_eq!(file_stem("  "), "model");
    }
}
