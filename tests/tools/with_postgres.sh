#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL on 127.0.0.1, then stop it.
#
# The cluster lives in a temporary directory on a free port. initdb refuses to run as
# root, so as root the cluster runs as the unprivileged `postgres` user (runuser).
# The URL reaches the command as ADAPTIVE_LEARNING_TEST_PG_URL. If the server cannot
# start, this fails with the reason: PostgreSQL tests are never skipped silently.
set -euo pipefail

fail() { echo "with_postgres: $*" >&2; exit 1; }

find_bin() {
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return; fi
  local candidate
  candidate=$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$candidate" ] && echo "$candidate"
}
INITDB=$(find_bin initdb) || true
PG_CTL=$(find_bin pg_ctl) || true
[ -n "${INITDB:-}" ] && [ -n "${PG_CTL:-}" ] || fail "initdb/pg_ctl not found; install PostgreSQL 15 (apt-get install postgresql)"

as_db_user() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres || fail "cannot create the postgres user"
  as_db_user() { runuser -u postgres -- "$@"; }
fi

WORK=$(mktemp -d /tmp/al-pg.XXXXXX)
chmod 755 "$WORK"
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
  as_db_user "$PG_CTL" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

as_db_user "$INITDB" -D "$WORK/data" -U postgres --auth=trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; fail "initdb failed"; }
as_db_user "$PG_CTL" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $WORK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
  || { cat "$WORK/server.log" >&2; fail "PostgreSQL did not start"; }

export ADAPTIVE_LEARNING_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
echo "with_postgres: PostgreSQL running on 127.0.0.1:$PORT" >&2
set +e
"$@"
status=$?
set -e
exit $status
