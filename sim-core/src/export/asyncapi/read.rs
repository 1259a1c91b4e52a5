//! Reading AsyncAPI documents, 2.0–2.6 and 3.x, into one shape: a
//! service per document, with its channels and operations, `$ref`s
//! followed within a document and to other files.
//!
//! sim-core reads no file: the files that references name come from the
//! caller's [`Files`]. References are followed only where the import
//! reads (channels, operations, servers, messages, bindings), never into
//! payload schemas, and within the limits below; a reference over the
//! network, or by an absolute path, is refused.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::Value;

use super::import::{ImportError, too_deep};

/// The longest chain of references followed for one value.
pub const MAX_REF_DEPTH: usize = 16;
/// The most files references may bring in, across all documents.
pub const MAX_REF_FILES: usize = 64;
/// The most bytes those files may hold together.
pub const MAX_REF_BYTES: usize = 16 * 1024 * 1024;
/// The most references followed in one import.
pub const MAX_REFS: usize = 100_000;

/// Where the text of referenced files comes from: the app reads them
/// from disk; sim-core only asks.
pub trait Files {
    /// The text of the file at `path`: a relative reference joined to the
    /// folder of the document that made it, with `/` between parts (`..`
    /// kept where it climbs out of that folder). `Err` says why not.
    fn read(&mut self, path: &str) -> Result<String, String>;
}

/// No files: every reference to another file is refused.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl Files for NoFiles {
    fn read(&mut self, _path: &str) -> Result<String, String> {
        Err("references to other files are not followed here".to_owned())
    }
}

/// One document to import: a name (its path, for messages and for
/// resolving its relative references) and its text.
#[derive(Clone, Debug)]
pub struct Document {
    pub name: String,
    pub text: String,
}

/// Parsed files, and what following references has cost so far.
pub(super) struct Refs<'f> {
    files: &'f mut dyn Files,
    parsed: BTreeMap<String, Rc<Value>>,
    loaded: usize,
    bytes: usize,
    followed: usize,
}

/// Parses a document's text: the nesting check, then YAML (JSON is YAML).
pub(super) fn parse_text(text: &str) -> Result<Value, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(line) = too_deep(text) {
        return Err(ImportError::TooDeep { line });
    }
    serde_norway::from_str(text).map_err(|e| ImportError::Syntax(e.to_string()))
}

impl<'f> Refs<'f> {
    pub(super) fn new(files: &'f mut dyn Files) -> Self {
        Self {
            files,
            parsed: BTreeMap::new(),
            loaded: 0,
            bytes: 0,
            followed: 0,
        }
    }

    /// Registers a document given by the caller under its name.
    pub(super) fn add(&mut self, name: &str, root: Value) {
        self.parsed.insert(name.to_owned(), Rc::new(root));
    }

    /// `value`, with its `$ref` chain followed; the name of the file the
    /// result is in, for the references inside it.
    pub(super) fn follow(
        &mut self,
        value: &Value,
        base: &str,
    ) -> Result<(Value, String), ImportError> {
        let mut value = value.clone();
        let mut base = base.to_owned();
        for hop in 0.. {
            let Some(reference) = value.get("$ref").and_then(Value::as_str).map(str::to_owned)
            else {
                break;
            };
            let refused = |reason: String| ImportError::Reference {
                document: base.clone(),
                reference: reference.clone(),
                reason,
            };
            if hop >= MAX_REF_DEPTH {
                return Err(refused(format!(
                    "more than {MAX_REF_DEPTH} references in a row; Weir follows chains up to that length"
                )));
            }
            self.followed += 1;
            if self.followed > MAX_REFS {
                return Err(refused(format!(
                    "more than {MAX_REFS} references followed in one import"
                )));
            }
            let (file, pointer) = reference.split_once('#').unwrap_or((&reference, ""));
            let target = if file.is_empty() {
                base.clone()
            } else {
                self.load(&base, file).map_err(refused)?
            };
            let Some(root) = self.parsed.get(&target).cloned() else {
                return Err(refused(format!("'{target}' is not loaded")));
            };
            let pointer = percent_decode(pointer);
            value = if pointer.is_empty() {
                (*root).clone()
            } else {
                match root.pointer(&pointer) {
                    Some(v) => v.clone(),
                    None => {
                        return Err(refused(format!("'{target}' has nothing at '#{pointer}'")));
                    }
                }
            };
            base = target;
        }
        Ok((value, base))
    }

    /// Loads the file a reference names, relative to `base`; its name.
    fn load(&mut self, base: &str, file: &str) -> Result<String, String> {
        if file.contains("://") || file.starts_with("//") {
            return Err(
                "Weir never reads references over the network; save the file beside the document and refer to it by a relative path"
                    .to_owned(),
            );
        }
        if file.starts_with('/') || file.starts_with('\\') || file.contains(':') {
            return Err(
                "only relative references to files are followed (no absolute paths or schemes)"
                    .to_owned(),
            );
        }
        let name = join(base, file);
        if self.parsed.contains_key(&name) {
            return Ok(name);
        }
        if self.loaded >= MAX_REF_FILES {
            return Err(format!(
                "references bring in more than {MAX_REF_FILES} files; Weir reads up to that many"
            ));
        }
        let text = self
            .files
            .read(&name)
            .map_err(|e| format!("'{name}': {e}"))?;
        self.loaded += 1;
        self.bytes = self.bytes.saturating_add(text.len());
        if self.bytes > MAX_REF_BYTES {
            return Err(format!(
                "the referenced files hold more than {} MiB together; Weir reads up to that much",
                MAX_REF_BYTES >> 20
            ));
        }
        let root = parse_text(&text).map_err(|e| format!("'{name}': {e}"))?;
        self.parsed.insert(name.clone(), Rc::new(root));
        Ok(name)
    }
}

/// `reference` relative to the folder of `base`, with `.` and `..` worked
/// out where they can be.
fn join(base: &str, reference: &str) -> String {
    // A name the caller gave may use `\` between parts (Windows).
    let folder = base.rfind(['/', '\\']).map_or("", |at| &base[..at]);
    let mut parts: Vec<&str> = Vec::new();
    for part in folder.split(['/', '\\']).chain(reference.split('/')) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if base.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// A JSON pointer from a URI fragment: `%7B` and the like decoded.
fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `text` is an AsyncAPI document: YAML or JSON with an
/// `asyncapi` field at the top (a file of shared definitions has none).
pub fn is_document(text: &str) -> bool {
    parse_text(text).is_ok_and(|doc| doc.get("asyncapi").is_some())
}

/// Which way an operation goes, from its application's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Action {
    Send,
    Receive,
}

impl Action {
    pub(super) fn word(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Receive => "receive",
        }
    }
}

/// A channel as one document declares it.
#[derive(Clone, Debug, Default)]
pub(super) struct Channel {
    pub key: String,
    /// The address, if the document gives one.
    pub address: Option<String>,
    pub title: Option<String>,
    pub bindings: BTreeMap<String, Value>,
    /// The servers it is on: (name, protocol).
    pub servers: Vec<(String, String)>,
    /// Its messages' names.
    pub messages: Vec<String>,
}

impl Channel {
    /// What it is matched by: its address, else its key.
    pub(super) fn address_or_key(&self) -> &str {
        self.address.as_deref().unwrap_or(&self.key)
    }
}

/// An operation of one document.
#[derive(Clone, Debug)]
pub(super) struct Operation {
    pub key: String,
    pub action: Action,
    /// Its channel, in the service's `channels`.
    pub channel: usize,
    pub messages: Vec<String>,
    pub title: Option<String>,
    pub bindings: BTreeMap<String, Value>,
}

/// One document: one application's view of its channels.
#[derive(Clone, Debug)]
pub(super) struct Service {
    /// The document's name, as the caller gave it.
    pub document: String,
    pub title: String,
    pub description: String,
    pub version: String,
    pub channels: Vec<Channel>,
    pub operations: Vec<Operation>,
}

/// The `asyncapi` version of a parsed document, checked: 2.0–2.6 or 3.x.
pub(super) fn version(doc: &Value) -> Result<String, ImportError> {
    let version = match doc.get("asyncapi") {
        None => {
            return Err(ImportError::NotAsyncApi(
                "there is no `asyncapi` version field".into(),
            ));
        }
        Some(Value::String(version)) => version.clone(),
        Some(other) => {
            return Err(ImportError::NotAsyncApi(format!(
                "the `asyncapi` field must be a version string like \"3.0.0\" (found {other})"
            )));
        }
    };
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next().and_then(|m| m.parse::<u32>().ok());
    match (major, minor) {
        ("3", _) | ("2", Some(0..=6)) => Ok(version),
        _ => Err(ImportError::NotAsyncApi(format!(
            "it is version {version}; Weir reads 2.0–2.6 and 3.x"
        ))),
    }
}

fn string(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The last part of a reference: `#/components/messages/Placed` → `Placed`.
fn ref_name(value: &Value) -> Option<String> {
    let r = value.get("$ref")?.as_str()?;
    let last = r.rsplit(['/', '#']).next()?;
    (!last.is_empty()).then(|| last.replace("~1", "/").replace("~0", "~"))
}

/// The channel key a local reference like `#/channels/orders` points at.
fn local_channel(value: &Value) -> Option<String> {
    let r = value.get("$ref")?.as_str()?;
    let key = r.strip_prefix("#/channels/")?;
    (!key.contains('/')).then(|| key.replace("~1", "/").replace("~0", "~"))
}

/// Reads documents as services. Warnings go to `warnings`, each with
/// the place it is about.
pub(super) struct Reader<'r, 'f> {
    pub refs: &'r mut Refs<'f>,
    pub warnings: Vec<String>,
}

impl Reader<'_, '_> {
    /// A value's binding objects, each followed.
    fn bindings(
        &mut self,
        value: Option<&Value>,
        base: &str,
    ) -> Result<BTreeMap<String, Value>, ImportError> {
        let mut out = BTreeMap::new();
        let Some(value) = value else {
            return Ok(out);
        };
        let (bindings, base) = self.refs.follow(value, base)?;
        if let Some(map) = bindings.as_object() {
            for (name, binding) in map {
                if name.starts_with("x-") {
                    continue;
                }
                let (binding, _) = self.refs.follow(binding, &base)?;
                out.insert(name.clone(), binding);
            }
        }
        Ok(out)
    }

    /// The name of a message: its `name`, else its key or reference.
    fn message_name(
        &mut self,
        value: &Value,
        key: Option<&str>,
        base: &str,
        place: &str,
    ) -> Option<String> {
        let fallback = ref_name(value).or_else(|| key.map(str::to_owned));
        match self.refs.follow(value, base) {
            Ok((message, _)) => string(&message, "name")
                .or_else(|| string(&message, "messageId"))
                .or(fallback),
            Err(e) => {
                self.warnings.push(format!(
                    "{place}: a message could not be read ({e}); its name is taken from the reference"
                ));
                fallback
            }
        }
    }

    /// The servers of a document: name → protocol.
    fn servers(&mut self, doc: &Value, base: &str) -> Result<Vec<(String, String)>, ImportError> {
        let mut out = Vec::new();
        if let Some(servers) = doc.get("servers").and_then(Value::as_object) {
            for (name, server) in servers {
                let (server, _) = self.refs.follow(server, base)?;
                if let Some(protocol) = string(&server, "protocol") {
                    out.push((name.clone(), protocol.to_ascii_lowercase()));
                }
            }
        }
        Ok(out)
    }

    /// Reads one parsed document.
    pub(super) fn service(
        &mut self,
        name: &str,
        doc: &Value,
        version: &str,
    ) -> Result<Service, ImportError> {
        let title = doc
            .pointer("/info/title")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .map_or_else(|| stem(name), str::to_owned);
        let description = doc
            .pointer("/info/description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut service = Service {
            document: name.to_owned(),
            title,
            description,
            version: version.to_owned(),
            channels: Vec::new(),
            operations: Vec::new(),
        };
        let servers = self.servers(doc, name)?;
        if version.starts_with('2') {
            self.v2(&mut service, doc, &servers)?;
        } else {
            self.v3(&mut service, doc, &servers)?;
        }
        Ok(service)
    }

    fn channel_servers(
        &mut self,
        channel: &Value,
        base: &str,
        all: &[(String, String)],
        by_name: bool,
    ) -> Result<Vec<(String, String)>, ImportError> {
        let Some(list) = channel.get("servers").and_then(Value::as_array) else {
            return Ok(all.to_vec());
        };
        let mut out = Vec::new();
        for entry in list {
            if by_name {
                // 2.x: server names.
                if let Some(n) = entry.as_str()
                    && let Some(s) = all.iter().find(|(name, _)| name == n)
                {
                    out.push(s.clone());
                }
                continue;
            }
            let Some(n) = ref_name(entry) else { continue };
            if let Some(s) = all.iter().find(|(name, _)| *name == n) {
                out.push(s.clone());
            } else {
                let (server, _) = self.refs.follow(entry, base)?;
                if let Some(protocol) = string(&server, "protocol") {
                    out.push((n, protocol.to_ascii_lowercase()));
                }
            }
        }
        Ok(if out.is_empty() { all.to_vec() } else { out })
    }

    fn v3(
        &mut self,
        service: &mut Service,
        doc: &Value,
        servers: &[(String, String)],
    ) -> Result<(), ImportError> {
        let name = service.document.clone();
        if let Some(channels) = doc.get("channels").and_then(Value::as_object) {
            for (key, channel) in channels {
                let (channel, base) = self.refs.follow(channel, &name)?;
                let read = self.channel3(key, &channel, &base, servers)?;
                service.channels.push(read);
            }
        }
        let Some(operations) = doc.get("operations").and_then(Value::as_object) else {
            return Ok(());
        };
        for (key, op) in operations {
            let place = format!("operation '{key}'");
            let (op, base) = self.refs.follow(op, &name)?;
            let action = match op.get("action").and_then(Value::as_str).unwrap_or("") {
                "send" => Action::Send,
                "receive" => Action::Receive,
                other => {
                    self.warnings.push(format!(
                        "{place} has action '{other}', neither send nor receive; left out"
                    ));
                    continue;
                }
            };
            let Some(reference) = op.get("channel") else {
                self.warnings.push(format!(
                    "{place} names no channel of this document; left out"
                ));
                continue;
            };
            let local = (base == name).then(|| local_channel(reference)).flatten();
            let channel = if let Some(ck) = local {
                match service.channels.iter().position(|c| c.key == ck) {
                    Some(i) => i,
                    None => {
                        self.warnings.push(format!(
                            "{place} refers to channel '{ck}', which does not exist; left out"
                        ));
                        continue;
                    }
                }
            } else if reference.get("$ref").is_some() {
                let ck = ref_name(reference).unwrap_or_else(|| key.clone());
                let (channel, cbase) = self.refs.follow(reference, &base)?;
                let read = self.channel3(&ck, &channel, &cbase, servers)?;
                let same = service
                    .channels
                    .iter()
                    .position(|c| c.key == read.key && c.address == read.address);
                same.unwrap_or_else(|| {
                    service.channels.push(read);
                    service.channels.len() - 1
                })
            } else {
                self.warnings.push(format!(
                    "{place} names no channel of this document; left out"
                ));
                continue;
            };
            let mut messages = Vec::new();
            for m in op
                .get("messages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = self.message_name(m, None, &base, &place)
                    && !messages.contains(&n)
                {
                    messages.push(n);
                }
            }
            if messages.is_empty() {
                messages.clone_from(&service.channels[channel].messages);
            }
            let bindings = self.bindings(op.get("bindings"), &base)?;
            service.operations.push(Operation {
                key: key.clone(),
                action,
                channel,
                messages,
                title: string(&op, "title"),
                bindings,
            });
        }
        Ok(())
    }

    fn channel3(
        &mut self,
        key: &str,
        channel: &Value,
        base: &str,
        servers: &[(String, String)],
    ) -> Result<Channel, ImportError> {
        let place = format!("channel '{key}'");
        let mut messages = Vec::new();
        if let Some(map) = channel.get("messages").and_then(Value::as_object) {
            for (mk, m) in map {
                if let Some(n) = self.message_name(m, Some(mk), base, &place)
                    && !messages.contains(&n)
                {
                    messages.push(n);
                }
            }
        }
        Ok(Channel {
            key: key.to_owned(),
            address: string(channel, "address"),
            title: string(channel, "title"),
            bindings: self.bindings(channel.get("bindings"), base)?,
            servers: self.channel_servers(channel, base, servers, false)?,
            messages,
        })
    }

    /// AsyncAPI 2.x: each channel item holds its operations. `publish`
    /// means other applications publish to the channel, so this one
    /// receives; `subscribe` means this one sends.
    fn v2(
        &mut self,
        service: &mut Service,
        doc: &Value,
        servers: &[(String, String)],
    ) -> Result<(), ImportError> {
        let name = service.document.clone();
        let Some(channels) = doc.get("channels").and_then(Value::as_object) else {
            return Ok(());
        };
        for (address, item) in channels {
            let (item, base) = self.refs.follow(item, &name)?;
            let index = service.channels.len();
            let mut channel = Channel {
                key: address.clone(),
                address: Some(address.clone()),
                title: None,
                bindings: self.bindings(item.get("bindings"), &base)?,
                servers: self.channel_servers(&item, &base, servers, true)?,
                messages: Vec::new(),
            };
            let mut operations = Vec::new();
            for (verb, action) in [("publish", Action::Receive), ("subscribe", Action::Send)] {
                let Some(op) = item.get(verb) else { continue };
                let (op, obase) = self.refs.follow(op, &base)?;
                let key = string(&op, "operationId")
                    .unwrap_or_else(|| format!("{}-{}", action.word(), slug(address)));
                let place = format!("channel '{address}' {verb}");
                let mut messages = Vec::new();
                if let Some(m) = op.get("message") {
                    let (m, mbase) = match self.refs.follow(m, &obase) {
                        Ok(found) => found,
                        Err(e) => {
                            self.warnings
                                .push(format!("{place}: its message could not be read ({e})"));
                            (Value::Null, obase.clone())
                        }
                    };
                    let list: Vec<Value> = match m.get("oneOf").and_then(Value::as_array) {
                        Some(list) => list.clone(),
                        None => vec![op.get("message").cloned().unwrap_or(Value::Null)],
                    };
                    let list_base = if m.get("oneOf").is_some() {
                        mbase
                    } else {
                        obase.clone()
                    };
                    for m in &list {
                        if let Some(n) = self.message_name(m, None, &list_base, &place)
                            && !messages.contains(&n)
                        {
                            messages.push(n);
                        }
                    }
                }
                for n in &messages {
                    if !channel.messages.contains(n) {
                        channel.messages.push(n.clone());
                    }
                }
                self.warnings.push(format!(
                    "operation '{key}': `{verb}` on channel '{address}' in AsyncAPI {}: this application {}s {} it",
                    service.version,
                    action.word(),
                    if action == Action::Send { "to" } else { "from" }
                ));
                let bindings = self.bindings(op.get("bindings"), &obase)?;
                operations.push(Operation {
                    key,
                    action,
                    channel: index,
                    messages,
                    title: None,
                    bindings,
                });
            }
            service.channels.push(channel);
            service.operations.extend(operations);
        }
        Ok(())
    }
}

/// A document name's file stem: `specs/orders.yaml` → `orders`.
fn stem(name: &str) -> String {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    file.split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(file)
        .to_owned()
}

/// Text as an id part: letters, digits, `_`, `.` and `-` kept, runs of
/// anything else one `-`.
pub(super) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_owned();
    if out.is_empty() {
        "channel".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_references_join_the_document_folder() {
        assert_eq!(join("specs/a.yaml", "common.yaml"), "specs/common.yaml");
        assert_eq!(join("specs/a.yaml", "../common/c.yaml"), "common/c.yaml");
        assert_eq!(join("a.yaml", "./x/../y.yaml"), "y.yaml");
        assert_eq!(join("a.yaml", "../y.yaml"), "../y.yaml");
        assert_eq!(join("/abs/dir/a.yaml", "b.yaml"), "/abs/dir/b.yaml");
        assert_eq!(join("specs\\a.yaml", "common.yaml"), "specs/common.yaml");
        assert_eq!(percent_decode("/channels/a%7Bb%7D"), "/channels/a{b}");
    }

    #[test]
    fn versions_two_and_three_are_read() {
        let v = |s: &str| version(&serde_json::json!({ "asyncapi": s }));
        assert!(v("2.0.0").is_ok());
        assert!(v("2.6.0").is_ok());
        assert!(v("3.0.0").is_ok());
        assert!(v("2.7.0").is_err());
        assert!(v("1.2.0").is_err());
    }
}
