#!/usr/bin/env bash
# Checks Weir's exports with each format's own tooling (issue 6):
#   AsyncAPI (YAML and JSON)  the official parser, @asyncapi/parser (npm)
#   Graphviz DOT              dot -Tsvg, from Debian's graphviz
#   Terraform                 the HCL2 parser python-hcl2 (PyPI)
#   Prometheus rules          promtool check rules, from Debian's prometheus
#                             (every example with alert rules)
#   OTLP/JSON traces          the OpenTelemetry protocol's protobuf classes,
#                             opentelemetry-proto (PyPI): .ci/validate-otlp.py
#   Linux desktop entry       desktop-file-validate, from Debian's
#                             desktop-file-utils (assets/weir.desktop)
#   Animated live view (GIF)  gifsicle --info, from Debian's gifsicle
#                             (three examples, two seconds each)
#   HTML run report           html5lib's strict parser, from Debian's
#                             python3-html5lib: .ci/validate-html.py, which
#                             also refuses references to other resources
#                             (every example)
# Every example is exported to each of these formats with the `weir`
# binary, and the golden files in tests/golden are checked too. Any error
# fails the script. Mermaid has no validator here: its parser needs a
# browser environment. Chrome trace events have no validator that installs
# without downloading a binary at run time; tests/integration/export.rs
# checks their structure (slices nest per track, flows bind to slices).
#
# Usage: bash .ci/validate-exports.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

need_apt=""
command -v dot >/dev/null 2>&1 || need_apt="$need_apt graphviz"
command -v node >/dev/null 2>&1 || need_apt="$need_apt nodejs npm"
command -v desktop-file-validate >/dev/null 2>&1 || need_apt="$need_apt desktop-file-utils"
command -v promtool >/dev/null 2>&1 || need_apt="$need_apt prometheus"
command -v gifsicle >/dev/null 2>&1 || need_apt="$need_apt gifsicle"
command -v /usr/bin/python3 >/dev/null 2>&1 && /usr/bin/python3 -c 'import html5lib' 2>/dev/null ||
  need_apt="$need_apt python3-html5lib"
if [ -n "$need_apt" ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $need_apt
fi
if [ ! -f .ci/node_modules/@asyncapi/parser/package.json ]; then
  (cd .ci && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
python3 -c 'import hcl2' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check 'python-hcl2==8.1.4'
python3 -c 'import opentelemetry.proto.trace.v1.trace_pb2' 2>/dev/null ||
  python3 -m pip install -q --disable-pip-version-check 'opentelemetry-proto==1.45.2'

# The binary of this checkout (quick when the tests have built it).
cargo build --locked -q -p weir
weir=${CARGO_TARGET_DIR:-target}/debug/weir

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failures=0
for example in examples/*.ron; do
  name=$(basename "$example" .ron)
  for format in asyncapi asyncapi-json dot terraform terraform-azure terraform-gcp otlp; do
    case $format in
      asyncapi) ext=asyncapi.yaml ;;
      asyncapi-json) ext=asyncapi.json ;;
      dot) ext=dot ;;
      terraform) ext=tf ;;
      terraform-azure) ext=azure.tf ;;
      terraform-gcp) ext=gcp.tf ;;
      otlp) ext=otlp.json ;;
    esac
    if ! "$weir" export "$example" --format "$format" -o "$out/$name.$ext"; then
      echo "FAILED: weir export $example --format $format"
      failures=$((failures + 1))
    fi
  done
done
rules=0
for example in examples/*.ron; do
  grep -qE '^[[:space:]]*alerts:' "$example" || continue
  name=$(basename "$example" .ron)
  rules=$((rules + 1))
  if ! "$weir" export "$example" --format prometheus-rules -o "$out/$name.rules.yml"; then
    echo "FAILED: weir export $example --format prometheus-rules"
    failures=$((failures + 1))
  fi
done
# The HTML report of every example (its scenario's replications).
for example in examples/*.ron; do
  name=$(basename "$example" .ron)
  if ! "$weir" export "$example" --format html -o "$out/$name.html"; then
    echo "FAILED: weir export $example --format html"
    failures=$((failures + 1))
  fi
done
# The live view of three examples, two seconds each.
for name in single-queue backpressure retries-dead-letter; do
  if ! "$weir" export "examples/$name.ron" --format gif --from 5s --to 7s --fps 10 -o "$out/$name.gif"; then
    echo "FAILED: weir export examples/$name.ron --format gif"
    failures=$((failures + 1))
  fi
done
mkdir "$out/golden"
cp tests/golden/*/*.asyncapi.yaml tests/golden/*/*.asyncapi.json tests/golden/*/*.dot tests/golden/*/*.tf \
  tests/golden/*/*.otlp.json "$out/golden/"

echo "== AsyncAPI: @asyncapi/parser"
node .ci/validate-asyncapi.mjs "$out"/*.asyncapi.yaml "$out"/*.asyncapi.json "$out"/golden/*.asyncapi.yaml "$out"/golden/*.asyncapi.json || failures=$((failures + 1))

echo "== DOT: dot -Tsvg"
for f in "$out"/*.dot "$out"/golden/*.dot; do
  if dot -Tsvg "$f" -o "$f.svg"; then
    echo "$f: ok"
  else
    echo "$f: FAILED"
    failures=$((failures + 1))
  fi
done

echo "== Terraform: python-hcl2"
python3 .ci/validate-hcl.py "$out"/*.tf "$out"/golden/*.tf || failures=$((failures + 1))

echo "== Prometheus rules: promtool check rules"
if [ "$rules" -lt 2 ]; then
  echo "FAILED: only $rules example(s) have alert rules; at least two should"
  failures=$((failures + 1))
fi
for f in "$out"/*.rules.yml; do
  [ -e "$f" ] || continue
  if promtool check rules "$f"; then
    echo "$f: ok"
  else
    echo "$f: FAILED"
    failures=$((failures + 1))
  fi
done

echo "== OTLP/JSON: opentelemetry-proto"
python3 .ci/validate-otlp.py "$out"/*.otlp.json "$out"/golden/*.otlp.json || failures=$((failures + 1))

echo "== GIF: gifsicle --info, and a full decode"
for f in "$out"/*.gif; do
  [ -e "$f" ] || continue
  # --info reads the structure; copying decodes every frame's pixels and
  # fails on corrupt image data (its warning about re-encoding many
  # colours is about the copy, not the file).
  if info=$(gifsicle --info "$f" 2>&1) && grep -q ' image' <<<"$info" &&
    copy=$(gifsicle "$f" -o /dev/null 2>&1) && ! grep -qiE 'error|corrupt' <<<"$copy"; then
    echo "$f: ok ($(head -1 <<<"$info"))"
  else
    echo "$f: FAILED"
    echo "$info" | head -20
    gifsicle "$f" -o /dev/null 2>&1 | head -5
    failures=$((failures + 1))
  fi
done

echo "== HTML report: html5lib (strict)"
# Debian's interpreter, which has Debian's html5lib (a python3 earlier on
# the PATH may not).
/usr/bin/python3 .ci/validate-html.py "$out"/*.html || failures=$((failures + 1))

echo "== Desktop entry: desktop-file-validate"
for f in assets/*.desktop; do
  if desktop-file-validate "$f"; then
    echo "$f: ok"
  else
    echo "$f: FAILED"
    failures=$((failures + 1))
  fi
done

if [ "$failures" -gt 0 ]; then
  echo "export validation: $failures failure(s)"
  exit 1
fi
echo "export validation: all exports valid"
