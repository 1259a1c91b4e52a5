//! Reading what teams already have as a model, for `weir import` and the
//! window's File → Import…: AsyncAPI documents (files, or folders of
//! them, joined into one system; the files they reference read from disk)
//! and Mermaid flowcharts.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use sim_core::Model;
use sim_core::model::file;
use sim_core::validate::{Diagnostic, Target};

/// An imported model and what the import says of it: what it inferred,
/// defaulted or left out, as diagnostics (for the problems list) and as
/// lines naming the document where there is one (for standard error).
#[derive(Debug)]
pub struct Imported {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
    pub notes: Vec<String>,
}

/// Imports `paths`: one Mermaid flowchart, or AsyncAPI documents and
/// folders of them (see [`is_mermaid`]).
pub fn import(paths: &[PathBuf]) -> Result<Imported> {
    if let [path] = paths
        && path.is_file()
        && is_mermaid(path)
    {
        let text = file::read(path)?;
        return import_mermaid(&path.display().to_string(), &text);
    }
    joined(&import_documents(paths)?, &mut DiskFiles)
}

/// Imports files given as names and texts (a browser's uploads): one
/// Mermaid flowchart (by its extension, or by its first line unless it is
/// named as YAML or JSON), or the AsyncAPI documents among them, joined.
/// References between them resolve by name; none reaches further.
pub fn import_texts(files: &[(String, String)]) -> Result<Imported> {
    if let [(name, text)] = files {
        let ext = Path::new(name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let mermaid = match ext.as_deref() {
            Some("mmd" | "mermaid") => true,
            Some("yaml" | "yml" | "json") => false,
            _ => sim_core::export::mermaid::is_flowchart(text),
        };
        if mermaid {
            return import_mermaid(name, text);
        }
    }
    let documents: Vec<sim_core::export::asyncapi::Document> = files
        .iter()
        .filter(|(_, text)| sim_core::export::asyncapi::is_document(text))
        .map(|(name, text)| sim_core::export::asyncapi::Document {
            name: name.clone(),
            text: text.clone(),
        })
        .collect();
    if documents.is_empty() {
        let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
        bail!(
            "{}: no AsyncAPI document (a YAML or JSON file with an `asyncapi` field) or Mermaid flowchart",
            names.join(", ")
        );
    }
    joined(&documents, &mut GivenFiles(files))
}

/// AsyncAPI `documents` joined into one model, with notes naming the
/// document when there is only one.
fn joined(
    documents: &[sim_core::export::asyncapi::Document],
    files: &mut dyn sim_core::export::asyncapi::Files,
) -> Result<Imported> {
    let single = documents.len() == 1;
    let (model, diagnostics) = sim_core::export::asyncapi::import_documents(documents, files)
        .map_err(|e| match (&e, documents.first()) {
            (sim_core::export::asyncapi::ImportError::Reference { .. }, _) | (_, None) => {
                anyhow::anyhow!("{e}")
            }
            (_, Some(first)) if single => anyhow::anyhow!("{}: {e}", first.name),
            _ => anyhow::anyhow!("{e}"),
        })?;
    let notes = diagnostics
        .iter()
        .map(|d| match documents.first() {
            Some(first) if single => format!("{}: {d}", first.name),
            _ => d.to_string(),
        })
        .collect();
    Ok(Imported {
        model,
        diagnostics,
        notes,
    })
}

/// A flowchart's text (from the file `name`) as a model with default
/// parameters.
fn import_mermaid(name: &str, text: &str) -> Result<Imported> {
    let (model, warnings) = sim_core::export::mermaid::from_mermaid(text)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let notes = warnings
        .iter()
        .map(|w| format!("{name}: warning: {w}"))
        .collect();
    let diagnostics = warnings
        .iter()
        .map(|w| Diagnostic::warning(Target::Model, w.clone()))
        .collect();
    Ok(Imported {
        model,
        diagnostics,
        notes,
    })
}

/// Whether `path` is a Mermaid flowchart: by its extension (`.mmd`,
/// `.mermaid`), or, unless it is named as YAML or JSON, by its first line
/// (`flowchart …` or `graph …`). A file that cannot be read is not: the
/// AsyncAPI import says why.
pub fn is_mermaid(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("mmd" | "mermaid") => true,
        Some("yaml" | "yml" | "json") => false,
        _ => file::read(path).is_ok_and(|text| sim_core::export::mermaid::is_flowchart(&text)),
    }
}

/// Files given with their texts: a reference reads the one of its path,
/// or else the only one with its file name (a browser uploads files
/// without their folders).
struct GivenFiles<'a>(&'a [(String, String)]);

impl sim_core::export::asyncapi::Files for GivenFiles<'_> {
    fn read(&mut self, path: &str) -> std::result::Result<String, String> {
        let wanted = path.trim_start_matches("./");
        if let Some((_, text)) = self.0.iter().find(|(name, _)| name == wanted) {
            return Ok(text.clone());
        }
        let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_owned();
        let mut same = self.0.iter().filter(|(name, _)| base(name) == base(wanted));
        match (same.next(), same.next()) {
            (Some((_, text)), None) => Ok(text.clone()),
            (Some(_), Some(_)) => Err(format!(
                "{path}: several files given are named {}",
                base(wanted)
            )),
            (None, _) => Err(format!("{path} was not among the files given")),
        }
    }
}

/// Referenced files, read from disk (each bounded as a model file is).
struct DiskFiles;

impl sim_core::export::asyncapi::Files for DiskFiles {
    fn read(&mut self, path: &str) -> std::result::Result<String, String> {
        file::read(Path::new(path)).map_err(|e| e.to_string())
    }
}

/// The documents named: files as given, folders as
/// their `*.yaml`, `*.yml` and `*.json` files that are AsyncAPI documents
/// (by name; the others, such as files of shared definitions, are left to
/// the references that name them).
fn import_documents(paths: &[PathBuf]) -> Result<Vec<sim_core::export::asyncapi::Document>> {
    use sim_core::export::asyncapi::{Document, is_document};
    let mut documents = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("{}: cannot list the folder", path.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
                })
                .collect();
            entries.sort();
            let before = documents.len();
            for entry in entries {
                let text = file::read(&entry)?;
                if is_document(&text) {
                    documents.push(Document {
                        name: entry.to_string_lossy().into_owned(),
                        text,
                    });
                }
            }
            if documents.len() == before {
                bail!(
                    "{}: the folder holds no AsyncAPI document (no *.yaml, *.yml or *.json file with an `asyncapi` field)",
                    path.display()
                );
            }
        } else {
            documents.push(Document {
                name: path.to_string_lossy().into_owned(),
                text: file::read(path)?,
            });
        }
    }
    Ok(documents)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture folder's files as a browser uploads them: file names only.
    fn uploaded(folder: &Path) -> Vec<(String, String)> {
        let mut files = Vec::new();
        let mut folders = vec![folder.to_path_buf()];
        while let Some(dir) = folders.pop() {
            for entry in std::fs::read_dir(&dir).expect("a fixture folder") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    let name = path.file_name().expect("a name").to_string_lossy();
                    let text = std::fs::read_to_string(&path).expect("readable");
                    files.push((name.into_owned(), text));
                }
            }
        }
        files.sort();
        files
    }

    fn social() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/asyncapi/social")
    }

    #[test]
    fn uploaded_services_join_as_the_folder_does_with_references_by_file_name() {
        let mut from_disk = import(&[social()]).expect("the folder imports");
        let files = uploaded(&social());
        assert!(files.iter().any(|(name, _)| name == "channels.yaml"));
        let mut from_uploads = import_texts(&files).expect("the uploads import");
        assert!(
            from_uploads
                .model
                .description
                .contains("Likes service (likes.yaml)"),
            "the description names the files uploaded: {}",
            from_uploads.model.description
        );
        // The description names the documents, by path or by file name.
        from_disk.model.description.clear();
        from_uploads.model.description.clear();
        assert_eq!(
            file::to_string(&from_uploads.model),
            file::to_string(&from_disk.model),
            "the same design"
        );
        // Without the shared definitions, the references say what is missing.
        let alone: Vec<_> = files
            .iter()
            .filter(|(name, _)| name == "likes.yaml")
            .cloned()
            .collect();
        let e = import_texts(&alone).expect_err("its references are missing");
        assert!(
            format!("{e:#}").contains("was not among the files given"),
            "{e:#}"
        );
    }

    #[test]
    fn an_uploaded_sketch_is_a_flowchart_and_other_text_is_refused() {
        let sketch = "flowchart LR\n  a[Orders] --> q[(queue)] --> w[Worker]\n";
        let imported =
            import_texts(&[("flow.txt".to_owned(), sketch.to_owned())]).expect("a flowchart");
        assert_eq!(imported.model.graph.node_count(), 3);
        let e = import_texts(&[("flow.yaml".to_owned(), sketch.to_owned())])
            .expect_err("named as YAML, it is no AsyncAPI document");
        assert!(
            format!("{e:#}").contains("flow.yaml: no AsyncAPI document"),
            "{e:#}"
        );
        let e =
            import_texts(&[("notes.md".to_owned(), "# notes".to_owned())]).expect_err("neither");
        assert!(format!("{e:#}").contains("notes.md"), "{e:#}");
    }
}
