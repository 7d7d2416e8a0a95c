#!/usr/bin/env bash
# README command 2: every test. Unit and property tests, integration tests through the real router
# on real SQLite files and again on a real PostgreSQL server, then the end-to-end tests in Debian's
# Chromium against the release build.
set -euo pipefail
source "$(dirname "$0")/setup.sh" --test
cd "$ROOT"

log "licences, bans and sources of every dependency (cargo deny; no advisory database needed)"
cargo deny check licenses bans sources

log "unit, property and integration tests (the integration tests on SQLite files)"
cargo test --workspace --no-fail-fast

log "the integration tests again, each on a PostgreSQL database of its own"
# The same test functions (see server/tests/it/common/mod.rs, test_postgres). Skipped here: the
# modules that start PostgreSQL servers of their own (postgres, servers) and the ones about what
# only SQLite has (group_commit, durability); they ran above.
(
  source "$(dirname "$0")/postgres.sh"
  trap stop_test_postgres EXIT
  start_test_postgres
  cargo test -p server --test it --no-fail-fast -- \
    --skip postgres:: --skip servers:: --skip group_commit:: --skip durability::
)

log "building the release site for the browser tests"
# --precompress writes .br and .gz beside every file of the site, which the server sends as is.
cargo leptos build --release --precompress
for f in "$LEPTOS_SITE_ROOT"/pkg/labshare*.wasm "$LEPTOS_SITE_ROOT"/pkg/labshare*.js; do
  printf '    %-40s %8d bytes, %8d gzip, %8d brotli\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(stat -c %s "$f.gz")" "$(stat -c %s "$f.br")"
done

E2E_DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$E2E_DIR"
}
trap cleanup EXIT

log "starting the server on 127.0.0.1:$PORT with a fresh database"
DATA_DIR="$E2E_DIR" DEMO_DATA=true MAIL_POLL_SECONDS=1 RATE_LIMIT_SCALE=20 LEPTOS_SITE_ADDR="127.0.0.1:$PORT" RUST_LOG=warn "$CARGO_TARGET_DIR/release/server" > "$E2E_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$E2E_DIR/server.log"; exit 1; }
  sleep 0.2
done

log "end-to-end tests in Chromium"
(cd end2end && BASE_URL="http://127.0.0.1:$PORT" MAILBOX_DIR="$E2E_DIR/mailbox" npx playwright test) || { tail -50 "$E2E_DIR/server.log"; exit 1; }

log "the script each main page loads, as sent (a benchmark: figures against the targets)"
node .ci/page-weight.mjs "http://127.0.0.1:$PORT" || { tail -50 "$E2E_DIR/server.log"; exit 1; }

log "the REST API on the same server: the OpenAPI document validates, the feeds parse, schemathesis"
API_TOKEN=$("$API_TOOLS/bin/python" .ci/api_check.py "http://127.0.0.1:$PORT") || { tail -50 "$E2E_DIR/server.log"; exit 1; }
# Bounded: a fixed seed and 30 examples an operation, with the checks that the answers are never
# 5xx and always what the document says (status, content type, body schema).
"$API_TOOLS/bin/st" --no-color run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  -H "Authorization: Bearer $API_TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples 30 --workers 2 --seed 2026 || { tail -50 "$E2E_DIR/server.log"; exit 1; }
log "all tests passed"
