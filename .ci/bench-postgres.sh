#!/usr/bin/env bash
# The benchmark harness on PostgreSQL at the full generated size (10,000 resources, 1,000,000
# bookings): a throwaway cluster from Debian's packages (fsync and synchronous_commit on, as in
# production), the zone generated into it, the backend run and the HTTP run, each writing JSON
# beside the printed table; the cluster is stopped and removed at the end. Not part of the tests.
#   bash .ci/bench-postgres.sh [output folder]     (after `cargo build --release -p server --bin bench`)
set -euo pipefail
OUT=${1:-.}
BENCH=${CARGO_TARGET_DIR:-target}/release/bench
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DIR=$(mktemp -d /var/tmp/labshare-pg-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
as_postgres "$BIN/initdb -D $DIR/data -U postgres -A trust -E UTF8 --no-locale" > /dev/null
as_postgres "$BIN/pg_ctl -D $DIR/data -o '-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=200 -c shared_buffers=256MB' -l $DIR/server.log -w -t 60 start" > /dev/null
trap 'as_postgres "$BIN/pg_ctl -D $DIR/data -m fast -w stop" > /dev/null; rm -rf "$DIR"' EXIT
as_postgres "$BIN/createdb -h 127.0.0.1 -p $PORT -U postgres labshare"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/labshare" DATA_DIR="$DIR/app" RATE_LIMIT_SCALE=0
mkdir -p "$DATA_DIR"
"$BENCH" generate
"$BENCH" --runs 20 --json "$OUT/postgres-backend.json"
"$BENCH" --http --json "$OUT/postgres-http.json"
