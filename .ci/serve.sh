#!/usr/bin/env bash
# README command 1: install what is missing, build in release, and serve with the embedded
# SQLite database (migrated at start-up; the demo zone, asked for here, is loaded when it is empty).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
log "building (release)"
cargo leptos build --release --precompress
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
export DATA_DIR="${DATA_DIR:-$ROOT/data}"
# The demo zone, asked for explicitly: a plain production start never loads it.
export DEMO_DATA="${DEMO_DATA:-true}"
log "serving on http://$LEPTOS_SITE_ADDR (data in $DATA_DIR)"
exec "$CARGO_TARGET_DIR/release/server"
