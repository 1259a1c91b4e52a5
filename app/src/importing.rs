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
        return import_mermaid(path);
    }
    let documents = import_documents(paths)?;
    let single = documents.len() == 1;
    let (model, diagnostics) =
        sim_core::export::asyncapi::import_documents(&documents, &mut DiskFiles).map_err(
            |e| match (&e, documents.first()) {
                (sim_core::export::asyncapi::ImportError::Reference { .. }, _) | (_, None) => {
                    anyhow::anyhow!("{e}")
                }
                (_, Some(first)) if single => anyhow::anyhow!("{}: {e}", first.name),
                _ => anyhow::anyhow!("{e}"),
            },
        )?;
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

/// A flowchart as a model with default parameters.
fn import_mermaid(path: &Path) -> Result<Imported> {
    let text = file::read(path)?;
    let (model, warnings) = sim_core::export::mermaid::from_mermaid(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let notes = warnings
        .iter()
        .map(|w| format!("{}: warning: {w}", path.display()))
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
