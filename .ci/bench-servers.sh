#!/usr/bin/env bash
# The benchmark harness through Debian's nginx against 1, 2 and 3 server processes on one
# PostgreSQL at the full generated size (10,000 resources, 1,000,000 bookings): a throwaway
# cluster (fsync and synchronous_commit on, as in production), the zone generated into it, then for
# each count the servers started on free loopback ports, nginx with the repository's sample
# configuration (server/deploy/nginx.conf, its upstream and listen lines replaced) in front, and
# `bench --http --target` driving nginx. Besides each run's JSON, it prints the CPU seconds each
# kind of process used during the run (servers, PostgreSQL, nginx, the load generator), which is
# what shows where the scaling stops. Everything started is stopped and removed at the end.
# Not part of the tests.
#   bash .ci/bench-servers.sh [output folder]
#   (after `cargo build --release -p server --bin bench --bin server`)
set -euo pipefail
OUT=$(realpath "${1:-.}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=${CARGO_TARGET_DIR:-$ROOT/target}/release
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DIR=$(mktemp -d /var/tmp/labshare-servers-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
SERVERS=()
NGINX=""
stop_servers() {
  [ -n "$NGINX" ] && { kill "$NGINX" 2>/dev/null || true; wait "$NGINX" 2>/dev/null || true; NGINX=""; }
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  SERVERS=()
}
cleanup() {
  stop_servers
  as_postgres "$BIN/pg_ctl -D $DIR/pg -m fast -w stop" > /dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

PG_PORT=$(free_port)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
as_postgres "$BIN/initdb -D $DIR/pg -U postgres -A trust -E UTF8 --no-locale" > /dev/null
as_postgres "$BIN/pg_ctl -D $DIR/pg -o '-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR -c max_connections=300 -c shared_buffers=256MB' -l $DIR/pg.log -w -t 60 start" > /dev/null
as_postgres "$BIN/createdb -h 127.0.0.1 -p $PG_PORT -U postgres labshare"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/labshare" RATE_LIMIT_SCALE=0 RUST_LOG=warn
mkdir -p "$DIR/bench" "$DIR/photos" "$DIR/site"
echo "generating the zone into PostgreSQL"
DATA_DIR="$DIR/bench" "$T/bench" generate 2>&1 | grep -v "slow statement" | tail -1

# CPU seconds (user + system) of the processes whose ids are given, summed.
cpu_of() {
  local ticks=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$ticks"
}
postgres_pids() { pgrep -u postgres -d ' ' postgres || true; }

for n in 1 2 3; do
  ports=()
  for i in $(seq 1 "$n"); do
    port=$(free_port)
    ports+=("$port")
    DATA_DIR="$DIR/server$i" PHOTOS_DIR="$DIR/photos" LEPTOS_SITE_ROOT="$DIR/site" \
      LEPTOS_SITE_ADDR="127.0.0.1:$port" DEMO_DATA=false "$T/server" > "$DIR/server$i.log" 2>&1 &
    SERVERS+=("$!")
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 1 600); do
      curl -fsS "http://127.0.0.1:$port/health" > /dev/null 2>&1 && break
      sleep 0.2
    done
  done
  NGINX_PORT=$(free_port)
  mkdir -p "$DIR/nginx$n"
  upstreams=""
  for port in "${ports[@]}"; do upstreams+="    server 127.0.0.1:$port max_fails=1 fail_timeout=5s;\n"; done
  awk -v ups="$upstreams" -v listen="    listen 127.0.0.1:$NGINX_PORT;" '
    /^ *server 127\.0\.0\.1:/ { if (!done) { printf "%s", ups; done = 1 } next }
    /^ *listen 80;/ { print listen; next }
    { print }' "$ROOT/server/deploy/nginx.conf" > "$DIR/nginx$n/labshare.conf"
  d="$DIR/nginx$n"
  cat > "$d/nginx.conf" <<EOF
daemon off;
master_process off;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/body; proxy_temp_path $d/proxy; fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  include $d/labshare.conf;
}
EOF
  /usr/sbin/nginx -p "$d" -c "$d/nginx.conf" &
  NGINX=$!
  for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$NGINX_PORT/health" > /dev/null 2>&1 && break; sleep 0.2; done

  echo
  echo "=== $n server(s) behind nginx on 127.0.0.1:$NGINX_PORT ==="
  before=($(cpu_of "${SERVERS[@]}") $(cpu_of $(postgres_pids)) $(cpu_of "$NGINX"))
  started=$(date +%s.%N)
  DATA_DIR="$DIR/bench" "$T/bench" --http --target "127.0.0.1:$NGINX_PORT" --json "$OUT/servers-$n.json" 2>&1 \
    | grep -v "slow statement" &
  BENCH=$!
  bench_ticks=0
  while kill -0 "$BENCH" 2>/dev/null; do
    # The load generator's own CPU, read while it lives (its children are the pipeline's).
    for p in $(pgrep -f "bench --http --target 127.0.0.1:$NGINX_PORT" || true); do
      t=$(cpu_of "$p"); [ "$t" -gt "$bench_ticks" ] && bench_ticks=$t
    done
    sleep 0.5
  done
  wait "$BENCH"
  elapsed=$(echo "$(date +%s.%N) - $started" | bc)
  after=($(cpu_of "${SERVERS[@]}") $(cpu_of $(postgres_pids)) $(cpu_of "$NGINX"))
  hz=$(getconf CLK_TCK)
  printf 'CPU seconds during the run (%.1f s of wall time, %d cores): servers %.1f, PostgreSQL %.1f, nginx %.1f, load generator %.1f\n' \
    "$elapsed" "$(nproc)" \
    "$(echo "(${after[0]} - ${before[0]}) / $hz" | bc -l)" \
    "$(echo "(${after[1]} - ${before[1]}) / $hz" | bc -l)" \
    "$(echo "(${after[2]} - ${before[2]}) / $hz" | bc -l)" \
    "$(echo "$bench_ticks / $hz" | bc -l)"
  stop_servers
done
