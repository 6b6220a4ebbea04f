#!/usr/bin/env bash
# Runs the core test suite against a throwaway PostgreSQL server on 127.0.0.1, then stops it.
# REQUIRE_POSTGRES=1 (set by CI) turns a missing PostgreSQL into a failure instead of a notice.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  if [ "${REQUIRE_POSTGRES:-0}" = 1 ]; then
    echo "PostgreSQL is required but not installed" >&2
    exit 1
  fi
  echo "NOTICE: PostgreSQL not installed here: the PostgreSQL run of the core suite was not done."
  exit 0
fi
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd /tmp && runuser -u postgres -- "$@"); else (cd /tmp && "$@"); fi
}
datadir=$(mktemp -d /tmp/eld-pg-XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$datadir"
chmod 700 "$datadir"
port=$(( 54000 + RANDOM % 1000 ))
cleanup() {
  as_pg "$pgbin/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
trap cleanup EXIT
as_pg "$pgbin/initdb" -D "$datadir" -A trust -E UTF8 -U postgres >/dev/null
as_pg "$pgbin/pg_ctl" -D "$datadir" -w -l "$datadir/server.log" \
  -o "-p $port -c listen_addresses=127.0.0.1 -k /tmp -c fsync=off" start >/dev/null
echo "PostgreSQL test server on 127.0.0.1:$port"
TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres" \
  "$root/.venv/bin/python" -m pytest tests/core -q -p no:cacheprovider "$@"
