#!/usr/bin/env bash
# The browser check of Weir's web build: serves the built site with
# `weir serve`, opens the first lesson in headless Chromium (Debian's) and
# checks that it opens, draws and runs without an error in the page
# (web/check/check.mjs says what is checked). The canvas's screenshots are
# left in target/web-check.
#
# Usage: bash .ci/web-check.sh [SITE]    (SITE: the built site, default site)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

site=${1:-site}
lesson=01-hockey-stick
out=${CARGO_TARGET_DIR:-target}/web-check

if [ ! -f "$site/index.html" ]; then
  echo "web-check: no built site at $site (no index.html)" >&2
  exit 1
fi

need_apt=""
dpkg -s chromium >/dev/null 2>&1 || need_apt="$need_apt chromium"
command -v node >/dev/null 2>&1 || need_apt="$need_apt nodejs npm"
command -v curl >/dev/null 2>&1 || need_apt="$need_apt curl"
if [ -n "$need_apt" ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $need_apt
fi
(cd web/check && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)

# The page's title names the open document, the lesson's model: the check
# waits for it to hold the model's name (EXPECT_TITLE, when set, instead).
title=${EXPECT_TITLE:-$(sed -n 's/^        name: "\(.*\)",$/\1/p' "lessons/$lesson.ron" | head -n 1)}
if [ -z "$title" ]; then
  echo "web-check: lessons/$lesson.ron has no model name" >&2
  exit 1
fi

# Any build of weir serves the site: the test run's is already there.
cargo build --locked -q -p weir
weir=${CARGO_TARGET_DIR:-target}/debug/weir

said=$(mktemp)
server=""
stop() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -f "$said"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$weir" serve --site "$site" --port 0 --local >"$said" 2>&1 &
server=$!

# Its first line: "Serving /abs/site at http://127.0.0.1:PORT/".
port=""
for _ in $(seq 1 100); do
  port=$(sed -n '1s|^Serving .* at http://127\.0\.0\.1:\([0-9][0-9]*\)/$|\1|p' "$said")
  [ -n "$port" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "web-check: weir serve stopped:" >&2
    cat "$said" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "web-check: weir serve said no address within 10 s:" >&2
  cat "$said" >&2
  exit 1
fi
base="http://127.0.0.1:$port/"
answered=""
for _ in $(seq 1 30); do
  if curl -fsS -o /dev/null --max-time 2 "$base"; then
    answered=1
    break
  fi
  sleep 1
done
if [ -z "$answered" ]; then
  echo "web-check: $base did not answer within 30 s" >&2
  exit 1
fi
echo "web-check: $(head -n 1 "$said")"

status=0
EXPECT_TITLE="$title" node web/check/check.mjs "$base#lesson=$lesson&play" "$out" || status=$?
exit "$status"
