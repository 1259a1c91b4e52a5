#!/usr/bin/env python3
"""Checks Weir's HTML reports (`weir export --format html`).

Each file must parse with html5lib's strict HTML5 parser (any parse error
fails), be one page that needs nothing else (no script, no stylesheet,
image or frame from elsewhere, no URL but the SVG namespace), and hold
inline SVG pictures.

Usage: python3 .ci/validate-html.py FILE.html...
"""

import re
import sys

import html5lib

SVG_NS = "http://www.w3.org/2000/svg"


def check(path):
    with open(path, "rb") as f:
        data = f.read()
    problems = []
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        doc = parser.parse(data)
    except html5lib.html5parser.ParseError as e:
        return [f"not valid HTML5: {e}"]
    for el in doc.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        name = tag.split("}")[-1]
        if name in ("script", "link", "iframe", "img", "object", "embed"):
            problems.append(f"<{name}> element: the page must need nothing else")
        for attr, value in el.attrib.items():
            attr = attr.split("}")[-1]
            if attr in ("src", "href") and not value.startswith("#"):
                problems.append(f"{name} {attr}={value!r} refers to another resource")
    text = data.decode("utf-8")
    for url in re.findall(r"https?://[^\s\"'<>)]+", text):
        if url != SVG_NS:
            problems.append(f"a URL in the page: {url}")
    if "@import" in text:
        problems.append("a stylesheet import")
    if "<svg" not in text:
        problems.append("no inline SVG picture")
    return problems


def main():
    failures = 0
    for path in sys.argv[1:]:
        problems = check(path)
        if problems:
            failures += 1
            for p in problems:
                print(f"{path}: {p}")
        else:
            print(f"{path}: ok")
    if not sys.argv[1:]:
        print("no files given")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
