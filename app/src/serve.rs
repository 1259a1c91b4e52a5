//! `weir serve`: the web build's folder served to a room over the local
//! network, read-only. Only GET and HEAD; a path names a file under the
//! folder (`/` and a folder's path its `index.html`), never anything
//! outside it, symbolic links included; nothing is listed, nothing
//! written, nothing fetched. Files are served as they are on disk, so a
//! site built again is served at once.

use std::fs::File;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

/// Requests served at once (a room of attendees loading the site).
const WORKERS: usize = 16;

/// The longest request path taken, in bytes.
const MAX_PATH: usize = 2_048;

/// What `weir serve` was asked.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The port to listen on (0: any free one, printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// The built site's folder.
    #[arg(long, value_name = "DIR", default_value = "site")]
    pub site: PathBuf,
    /// Listen on this machine only (127.0.0.1), not the local network.
    #[arg(long)]
    pub local: bool,
}

/// Serves `args.site` until the process is stopped.
pub fn serve(args: &ServeArgs) -> Result<()> {
    let root = site_root(&args.site)?;
    let ip = if args.local {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    let server = Server::http(SocketAddr::new(ip, args.port))
        .map_err(|e| anyhow::anyhow!("cannot listen on port {}: {e}", args.port))?;
    let port = server.server_addr().to_ip().map_or(args.port, |a| a.port());
    let shown = if args.local {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        lan_address().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
    };
    let mut said = format!(
        "Serving {} at http://{}/\n",
        root.display(),
        SocketAddr::new(shown, port)
    );
    if !args.local {
        said.push_str("Attendees on the same network open that address in a browser.\n");
    }
    said.push_str("Ctrl+C stops.\n");
    crate::cli::write_stdout(said.as_bytes())?;
    let server = Arc::new(server);
    let root = Arc::new(root);
    let mut workers = Vec::with_capacity(WORKERS);
    for i in 0..WORKERS {
        let (server, root) = (Arc::clone(&server), Arc::clone(&root));
        let worker = std::thread::Builder::new()
            .name(format!("weir-serve-{i}"))
            .spawn(move || {
                // (`recv` fails only once the server is gone.)
                while let Ok(request) = server.recv() {
                    answer(&root, request);
                }
            })
            .context("cannot start a worker")?;
        workers.push(worker);
    }
    for worker in workers {
        let _ = worker.join();
    }
    Ok(())
}

/// The site's folder, checked: it must exist and hold an `index.html`.
fn site_root(site: &Path) -> Result<PathBuf> {
    let root = std::fs::canonicalize(site).with_context(|| {
        format!(
            "no site at {}: build it first, or name the built site's folder with --site",
            site.display()
        )
    })?;
    if !root.is_dir() {
        bail!("{} is not a folder", site.display());
    }
    if !root.join("index.html").is_file() {
        bail!(
            "{} has no index.html: is it the built site?",
            site.display()
        );
    }
    Ok(root)
}

/// This machine's address on the local network, as others reach it
/// (the source address of a route out; nothing is sent).
fn lan_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(10, 255, 255, 255), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

/// Answers one request (a client gone before its answer is no error).
/// A HEAD request gets a GET's headers (the server leaves out the body).
fn answer(root: &Path, request: Request) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        let refused = with(text(405, "only GET and HEAD"), "Allow", "GET, HEAD");
        let _ = request.respond(refused);
        return;
    }
    let Some(path) = resolve(root, request.url()) else {
        let _ = request.respond(text(404, "not found"));
        return;
    };
    // A compressed copy beside the file (`web/build.sh` writes one for the
    // module and its glue) goes to a browser that takes it: a fraction of
    // the bytes over a room's network.
    let accepts_gzip = request.headers().iter().any(|h| {
        h.field.equiv("Accept-Encoding")
            && h.value
                .as_str()
                .split(',')
                .any(|e| e.split(';').next().is_some_and(|e| e.trim() == "gzip"))
    });
    let compressed = accepts_gzip
        .then(|| gzipped(root, &path))
        .flatten()
        .and_then(|gz| File::open(gz).ok());
    let (file, encoded) = match compressed {
        Some(file) => (Some(file), true),
        None => (File::open(&path).ok(), false),
    };
    let Some(file) = file else {
        let _ = request.respond(text(404, "not found"));
        return;
    };
    let mut response = with(
        with(
            with(
                Response::from_file(file),
                "Content-Type",
                content_type(&path),
            ),
            "Cache-Control",
            "no-cache",
        ),
        "Vary",
        "Accept-Encoding",
    );
    if encoded {
        response = with(response, "Content-Encoding", "gzip");
    }
    let _ = request.respond(response);
}

/// The gzip copy of `path` (`path` + `.gz`) if there is one, under `root`
/// as `path` is.
fn gzipped(root: &Path, path: &Path) -> Option<PathBuf> {
    let mut name = path.file_name()?.to_os_string();
    name.push(".gz");
    let gz = std::fs::canonicalize(path.with_file_name(name)).ok()?;
    (gz.starts_with(root) && gz.is_file()).then_some(gz)
}

/// The file under `root` that `url` names: its path percent-decoded,
/// its query dropped, `/` and folders meaning their `index.html`;
/// `None` for anything that is not a file under `root` (`..`, a link
/// leading out, a missing file).
pub fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    if url.len() > MAX_PATH {
        return None;
    }
    let path = url.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    let mut out = root.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    // A link may lead anywhere: what it leads to must be under the root.
    let real = std::fs::canonicalize(&out).ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

/// `%XX` escapes decoded; `None` for a broken escape, text that is not
/// UTF-8, or a NUL.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.contains('\0')).then_some(text)
}

/// A file's media type, by its extension (what a browser needs: a wasm
/// module is compiled as it streams only as `application/wasm`).
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "webmanifest") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("ron" | "txt" | "md" | "csv") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `response` with the header `name: value` (names and values here are
/// plain ASCII, which a header always takes).
fn with<R: Read>(response: Response<R>, name: &str, value: &str) -> Response<R> {
    match Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        Ok(header) => response.with_header(header),
        Err(()) => response,
    }
}

fn text(status: u16, body: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    with(
        Response::from_string(body).with_status_code(StatusCode(status)),
        "Content-Type",
        "text/plain; charset=utf-8",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempdir::Dir, PathBuf) {
        let dir = tempdir::Dir::new("serve");
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("lessons")).expect("folders");
        std::fs::write(root.join("index.html"), "<html></html>").expect("index");
        std::fs::write(root.join("weir_bg.wasm"), b"\0asm").expect("wasm");
        std::fs::write(root.join("lessons/index.html"), "lessons").expect("lessons");
        std::fs::write(root.join("a b.ron"), "()").expect("spaced");
        std::fs::write(dir.path().join("secret.txt"), "no").expect("secret");
        let root = std::fs::canonicalize(root).expect("real");
        (dir, root)
    }

    mod tempdir {
        use std::path::{Path, PathBuf};

        /// A folder of its own under the system's temporary folder,
        /// removed when dropped.
        pub struct Dir(PathBuf);

        impl Dir {
            pub fn new(what: &str) -> Self {
                let path = std::env::temp_dir().join(format!(
                    "weir-{what}-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                let _ = std::fs::remove_dir_all(&path);
                std::fs::create_dir_all(&path).expect("a temporary folder");
                Self(path)
            }

            pub fn path(&self) -> &Path {
                &self.0
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn paths_name_files_under_the_site_and_nothing_else() {
        let (_dir, root) = site();
        assert_eq!(resolve(&root, "/"), Some(root.join("index.html")));
        assert_eq!(
            resolve(&root, "/lessons/?x=1"),
            Some(root.join("lessons/index.html"))
        );
        assert_eq!(
            resolve(&root, "/weir_bg.wasm#top"),
            Some(root.join("weir_bg.wasm"))
        );
        assert_eq!(resolve(&root, "/a%20b.ron"), Some(root.join("a b.ron")));
        for outside in [
            "/../secret.txt",
            "/lessons/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E%2Fsecret.txt",
            "//etc/passwd",
            "/missing.js",
            "/%zz",
            "/%00",
            "/%ff",
        ] {
            assert_eq!(resolve(&root, outside), None, "{outside}");
        }
        assert_eq!(resolve(&root, &format!("/{}", "a".repeat(3_000))), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_out_of_the_site_leads_nowhere() {
        let (dir, root) = site();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("out.txt"))
            .expect("a link");
        std::os::unix::fs::symlink(root.join("index.html"), root.join("in.html")).expect("a link");
        assert_eq!(resolve(&root, "/out.txt"), None);
        assert_eq!(resolve(&root, "/in.html"), Some(root.join("index.html")));
    }

    #[test]
    fn a_site_without_its_page_is_refused_by_name() {
        let dir = tempdir::Dir::new("serve-empty");
        let err = site_root(&dir.path().join("nowhere")).expect_err("missing");
        assert!(err.to_string().contains("build it first"), "{err}");
        let err = site_root(dir.path()).expect_err("no index");
        assert!(err.to_string().contains("no index.html"), "{err}");
    }

    #[test]
    fn a_wasm_module_is_served_as_one() {
        assert_eq!(
            content_type(Path::new("x/weir_bg.wasm")),
            "application/wasm"
        );
        assert_eq!(
            content_type(Path::new("INDEX.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("weir.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("blob")), "application/octet-stream");
    }
}
