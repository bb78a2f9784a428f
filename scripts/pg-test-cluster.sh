#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the @pm/storage-postgres tests and benchmark.
#
#   eval "$(bash scripts/pg-test-cluster.sh start)"   # prints `export PM_TEST_POSTGRES_URL=...` (and PM_TEST_PG_DIR)
#   npx vitest run packages/storage-postgres test/postgres
#   bash scripts/pg-test-cluster.sh stop               # stops the cluster in $PM_TEST_PG_DIR and deletes it
#
# The cluster lives in a fresh folder under /tmp, listens on 127.0.0.1 on a free port (and on a unix socket in
# that folder), runs without fsync (nothing in it is worth keeping) and is owned by the `postgres` user, because
# PostgreSQL refuses to run as root. Installs the Debian `postgresql` package when no server binaries are found.
# Logs go to $PM_TEST_PG_DIR/log.
set -euo pipefail

cmd="${1:-}"
log() { echo "pg-test-cluster: $*" >&2; }

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

as_postgres() {
  if [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
  local bindir
  if ! bindir="$(find_bindir)"; then
    log "installing postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bindir="$(find_bindir)"
  fi
  if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  local dir port password
  dir="$(mktemp -d /tmp/pm-pg-XXXXXX)"
  chmod 755 "$dir"
  [ "$(id -u)" = "0" ] && chown postgres:postgres "$dir"
  port="$(free_port)"
  password="pm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" = "0" ] && chown postgres:postgres "$dir/pwfile"
  chmod 600 "$dir/pwfile"
  as_postgres "$bindir/initdb" -D "$dir/data" -U pm --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  rm -f "$dir/pwfile"
  as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off \
     -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB" >&2 ||
    { cat "$dir/log" >&2; exit 1; }
  as_postgres "$bindir/createdb" -h "$dir" -p "$port" -U pm pm_test >&2
  echo "$bindir" >"$dir/bindir"
  log "cluster in $dir on 127.0.0.1:$port"
  echo "export PM_TEST_PG_DIR=$dir"
  echo "export PM_TEST_POSTGRES_URL=postgres://pm:$password@127.0.0.1:$port/pm_test"
}

stop() {
  local dir="${2:-${PM_TEST_PG_DIR:-}}"
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
    log "no cluster to stop (pass its folder or set PM_TEST_PG_DIR)"
    return 0
  fi
  as_postgres "$(cat "$dir/bindir")/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
  rm -rf "$dir"
  log "stopped and removed $dir"
}

case "$cmd" in
start) start ;;
stop) stop "$@" ;;
*)
  echo "usage: $0 start | stop [dir]" >&2
  exit 2
  ;;
esac
