//! `weir serve`, run for real: the site's files over HTTP with the media
//! types a browser needs, nothing outside the site, only GET and HEAD,
//! and a clear refusal when there is no site.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::cli::weir;

/// A site of its own under the temporary folder, with a file beside it
/// that must never be served.
fn site(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("weir-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = dir.join("site");
    std::fs::create_dir_all(root.join("lessons")).expect("folders");
    std::fs::write(
        root.join("index.html"),
        "<!doctype html><title>Weir</title>",
    )
    .expect("page");
    std::fs::write(root.join("weir_bg.wasm"), b"\0asm\x01\0\0\0").expect("module");
    std::fs::write(root.join("lessons/hockey.ron"), "(version: 1)").expect("lesson");
    std::fs::write(dir.join("secret.txt"), "not for the room").expect("secret");
    root
}

/// The server, stopped when dropped.
struct Serving {
    child: Child,
    address: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &std::path::Path) -> Serving {
    let mut child = Command::new(weir())
        .args(["serve", "--local", "--port", "0", "--site"])
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weir serve starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("its output"))
        .read_line(&mut first)
        .expect("it says where it serves");
    let address = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.trim().strip_suffix('/'))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    assert!(address.starts_with("127.0.0.1:"), "{first}");
    Serving { child, address }
}

/// One request: the status line, the headers (lower-cased names) and the
/// body.
fn ask(address: &str, method: &str, path: &str) -> (String, Vec<(String, String)>, Vec<u8>) {
    ask_with(address, method, path, "")
}

/// One request with extra header lines (each ending in CRLF).
fn ask_with(
    address: &str,
    method: &str,
    path: &str,
    extra: &str,
) -> (String, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(address).expect("connects");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{extra}Connection: close\r\n\r\n"
    )
    .expect("asks");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("an answer");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body)
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn the_site_is_served_read_only_with_its_media_types() {
    let root = site("files");
    let server = start(&root);
    let at = server.address.as_str();

    let (status, headers, body) = ask(at, "GET", "/");
    assert!(status.contains(" 200"), "{status}");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(body, b"<!doctype html><title>Weir</title>");

    let (status, headers, body) = ask(at, "GET", "/weir_bg.wasm");
    assert!(status.contains(" 200"), "{status}");
    assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
    assert_eq!(body, b"\0asm\x01\0\0\0");

    let (_, headers, body) = ask(at, "HEAD", "/lessons/hockey.ron");
    assert_eq!(header(&headers, "content-length"), Some("12"));
    assert!(body.is_empty(), "no body for HEAD");

    for outside in ["/../secret.txt", "/%2e%2e/secret.txt", "/nothing.js"] {
        let (status, _, body) = ask(at, "GET", outside);
        assert!(status.contains(" 404"), "{outside}: {status}");
        assert!(!String::from_utf8_lossy(&body).contains("not for the room"));
    }
    let (status, headers, _) = ask(at, "POST", "/index.html");
    assert!(status.contains(" 405"), "{status}");
    assert_eq!(header(&headers, "allow"), Some("GET, HEAD"));
    drop(server);
    let _ = std::fs::remove_dir_all(root.parent().expect("its folder"));
}

#[test]
fn a_compressed_copy_goes_to_a_browser_that_takes_it() {
    let root = site("gzip");
    // Not real gzip: the server hands the copy over as it is.
    std::fs::write(root.join("weir_bg.wasm.gz"), b"GZ-COPY").expect("copy");
    let server = start(&root);
    let at = server.address.as_str();

    let (status, headers, body) = ask_with(
        at,
        "GET",
        "/weir_bg.wasm",
        "Accept-Encoding: deflate, gzip;q=0.9, br\r\n",
    );
    assert!(status.contains(" 200"), "{status}");
    assert_eq!(body, b"GZ-COPY");
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/wasm"),
        "the type is the module's, not the copy's"
    );
    assert_eq!(header(&headers, "vary"), Some("Accept-Encoding"));

    let (_, headers, body) = ask(at, "GET", "/weir_bg.wasm");
    assert_eq!(body, b"\0asm\x01\0\0\0", "without gzip, the module itself");
    assert_eq!(header(&headers, "content-encoding"), None);
    let (_, headers, body) = ask_with(at, "GET", "/index.html", "Accept-Encoding: gzip\r\n");
    assert_eq!(
        body, b"<!doctype html><title>Weir</title>",
        "a file with no copy goes as it is"
    );
    assert_eq!(header(&headers, "content-encoding"), None);
    drop(server);
    let _ = std::fs::remove_dir_all(root.parent().expect("its folder"));
}

#[test]
fn without_a_built_site_it_says_how_to_make_one() {
    let out = Command::new(weir())
        .args(["serve", "--local", "--port", "0", "--site", "no-such-site"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no site at no-such-site") && err.contains("build it first"),
        "{err}"
    );
}
