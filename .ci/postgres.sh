# Sourced by the test script: a PostgreSQL server for the integration tests' second run. When
# TEST_POSTGRES already names one (a server URL without a database), that one is used and left
# alone; otherwise a throw-away cluster from Debian's packages is started on a free loopback port
# and stopped (and removed) by `stop_test_postgres`, which the caller runs on exit.
start_test_postgres() {
  if [ -n "${TEST_POSTGRES:-}" ]; then return; fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PG_DIR=$(mktemp -d /var/tmp/labshare-pg-test.XXXXXX)
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
  pg_as_owner "$PG_BIN/initdb -D $PG_DIR/data -U postgres -A trust -E UTF8 --no-locale -N" > /dev/null
  # Each test has a database of its own; the tests are about meaning, not durability (which has
  # tests of its own), so fsync is off to keep a few hundred databases quick.
  pg_as_owner "$PG_BIN/pg_ctl -D $PG_DIR/data -o '-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c max_connections=300' -l $PG_DIR/server.log -w -t 60 start" > /dev/null
  export TEST_POSTGRES="postgres://postgres@127.0.0.1:$port"
}

stop_test_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    pg_as_owner "$PG_BIN/pg_ctl -D $PG_DIR/data -m immediate -w stop" > /dev/null || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}

pg_as_owner() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
