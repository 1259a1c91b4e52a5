#!/usr/bin/env bash
# Builds Weir's web site, the app for a browser, into a folder (default
# `site/`): index.html, the icon, and pkg/ (the WebAssembly module and its
# JavaScript glue, each with a gzip copy). Serve it with
# `weir serve --site site`.
#
#   bash web/build.sh [OUT]
#
# Needs the wasm32 target and wasm-bindgen-cli at the version of the
# wasm-bindgen crate in Cargo.lock; both are installed if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-site}
target_dir=${CARGO_TARGET_DIR:-target}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $want"; then
  echo "== installing wasm-bindgen-cli $want"
  cargo install wasm-bindgen-cli --version "$want"
fi

echo "== building the app for wasm32"
cargo build --release --locked --target wasm32-unknown-unknown -p weir-web

echo "== writing $out"
rm -rf "$out.new"
mkdir -p "$out.new/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$out.new/pkg" \
  "$target_dir/wasm32-unknown-unknown/release/weir_web.wasm"
# Compressed copies, which `weir serve` hands to browsers that take gzip.
gzip -9 -k -n "$out.new/pkg/weir_web_bg.wasm" "$out.new/pkg/weir_web.js"
cp web/index.html "$out.new/index.html"
cp assets/weir.png "$out.new/weir.png"
rm -rf "$out"
mv "$out.new" "$out"
echo "site: $out (WebAssembly $(du -h "$out/pkg/weir_web_bg.wasm" | cut -f1), $(du -h "$out/pkg/weir_web_bg.wasm.gz" | cut -f1) compressed)"
