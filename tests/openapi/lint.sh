#!/usr/bin/env bash
# Lints the OpenAPI document that a real `gridmap serve` on the demo district serves, with
# Redocly's recommended rules (redocly.yaml says which are off, and why).
# Usage: tests/openapi/lint.sh GRIDMAP_BINARY SOURCE_DIR
# Needs the pinned linter: `npm ci --prefix tests/openapi` installs it, and scripts/test does so
# before running CTest; without it the test fails saying so.
set -euo pipefail
gridmap="$1"
src="$2"
here="$src/tests/openapi"

if ! command -v node >/dev/null || [ ! -x "$here/node_modules/.bin/redocly" ]; then
  echo "the OpenAPI linter is not installed: run npm ci --prefix tests/openapi (scripts/test does)"
  exit 1
fi

tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

for layer in grid_cells buildings stations roads; do
  "$gridmap" import "$src/data/demo/$layer.geojson" --layer "$layer" --db "$tmp/demo.sqlite" >/dev/null
done
printf '{"port": 0, "open": true}\n' > "$tmp/gridmap.json"
"$gridmap" serve --db "$tmp/demo.sqlite" --config "$tmp/gridmap.json" > "$tmp/out" 2> "$tmp/err" &
pid=$!

# The first line on stdout names the address: "Gridmap serves … on http://127.0.0.1:PORT/ …".
port=""
for _ in $(seq 1 200); do
  port="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/out" | head -n 1 | sed 's/.*://')" || true
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "gridmap serve did not start:"; cat "$tmp/out" "$tmp/err"
  exit 1
fi

curl --silent --show-error --fail "http://127.0.0.1:$port/openapi.json" -o "$tmp/openapi.json"
cd "$here"
npx --no-install redocly lint --config "$here/redocly.yaml" --format stylish "$tmp/openapi.json"
