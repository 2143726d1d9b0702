# A throwaway PostgreSQL 15 cluster for the peers and cross-checks that compare Gridmap with
# PostGIS and pgRouting (bench/postgis/run.sh, bench/pgrouting/run.sh,
# tests/walking/pgrouting_check.sh). Sourced, not run; the caller has `set -euo pipefail` and a
# die() that prints its message and exits.
#
#   pg_scratch PARENT NAME KEEP           a new scratch folder PARENT/NAME.XXXXXX as $tmp,
#                                         removed on exit with the cluster (also on Ctrl-C);
#                                         KEEP=1 leaves both, the cluster stopped cleanly
#   pg_cluster_start TMP SUPERUSER [TCP]  initdb a cluster for TMP (the caller's fresh scratch
#                                         folder) and start it; TCP=tcp also listens on a free
#                                         127.0.0.1 port. Settings: the throwaway basics below,
#                                         then the caller's lines on standard input (the last
#                                         one wins). Exports PGHOST (the socket folder), PGPORT,
#                                         PGUSER=SUPERUSER, PGDATABASE=postgres and PGOPTIONS.
#   pg_cluster_stop [fast]                stop it (immediate unless fast: the data is thrown away)
#   pg_cluster_remove                     remove what pg_cluster_start made outside TMP
#   psql_q ARGS...                        psql, quiet, unaligned, stopping at the first error
#
# Why so: initdb and postgres refuse to run as root, so as root the cluster belongs to the Debian
# user postgres (or nobody) and the server runs through runuser, from / so that it never needs
# the caller's current folder, while the clients stay the calling user (trust over the Unix
# socket). TMP is made traversable for that user (a mktemp -d is 700, and so is often its parent
# scratch folder). When the user still cannot reach TMP, or TMP is too deep for a socket path
# (107 bytes), cluster and socket go to a folder of their own under /tmp.

pg_bin=/usr/lib/postgresql/15/bin
pg_cluster=""        # the data folder
pg_cluster_home=""   # the folder holding it and the socket folder: TMP or one under /tmp
pg_cluster_own_home=0
pg_cluster_up=0
pg_server_user=$(id -un)
if [ "$(id -u)" = 0 ]; then
  if id -u postgres >/dev/null 2>&1; then pg_server_user=postgres; else pg_server_user=nobody; fi
  as_server() { (cd / && runuser -u "$pg_server_user" -- "$@"); }
else
  as_server() { "$@"; }
fi

# The settings of the benchmarks' peers (bench/postgis/run.sh, bench/pgrouting/run.sh), on top
# of the basics: memory for a 24 GiB machine, no WAL beyond what crash safety of a throwaway
# needs, and no autovacuum (the scripts ANALYZE what they load or build, so nothing starts in
# the middle of a measurement).
pg_bench_settings="shared_buffers = 256MB
work_mem = 64MB
maintenance_work_mem = 512MB
effective_cache_size = 4GB
random_page_cost = 1.1
wal_level = minimal
max_wal_senders = 0
max_wal_size = 4GB
autovacuum = off"

psql_q() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

pg_cluster_start() {
  local tmp=$1 superuser=$2 tcp=${3:-}
  local extra
  extra=$(cat)
  local tool
  for tool in initdb pg_ctl postgres psql; do
    [ -x "$pg_bin/$tool" ] || die "$pg_bin/$tool is missing: install postgresql-15 (scripts/deps postgresql-15)"
  done
  pg_cluster_home=$tmp
  if [ "$pg_server_user" != "$(id -un)" ]; then
    chmod 755 "$tmp"
    as_server test -x "$tmp" || chmod a+x "$(dirname "$tmp")"
  fi
  if ! as_server test -x "$tmp" || [ $(( ${#tmp} + 24 )) -gt 107 ]; then
    pg_cluster_home=$(mktemp -d /tmp/gridmap-pg.XXXXXX)
    pg_cluster_own_home=1
    chmod 755 "$pg_cluster_home"
    echo "   ($tmp is out of reach of user $pg_server_user or too deep for a socket path: cluster in $pg_cluster_home)" >&2
  fi
  pg_cluster=$pg_cluster_home/cluster
  local sock=$pg_cluster_home/socket
  mkdir -p "$pg_cluster" "$sock"
  [ "$pg_server_user" = "$(id -un)" ] || chown "$pg_server_user" "$pg_cluster" "$sock"

  as_server "$pg_bin/initdb" -D "$pg_cluster" -U "$superuser" -A trust -E UTF8 --no-locale --no-sync \
    >"$tmp/initdb.log" 2>&1 || { tail -n 20 "$tmp/initdb.log" >&2; die "initdb failed"; }
  # Our settings in a file of their own, included last so that they win over initdb's.
  echo "include_if_exists = 'throwaway.conf'" >>"$pg_cluster/postgresql.conf"

  local attempt attempts=1 port=5432 listen=""
  [ "$tcp" = tcp ] && attempts=3
  for ((attempt = 1; ; attempt++)); do
    # A free TCP port can be taken by another process before the server binds it: try again.
    if [ "$tcp" = tcp ]; then
      port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      listen=127.0.0.1
    fi
    cat >"$pg_cluster/throwaway.conf" <<EOF
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
$extra
EOF
    [ "$pg_server_user" = "$(id -un)" ] || chown "$pg_server_user" "$pg_cluster/throwaway.conf"
    pg_cluster_up=1
    if as_server "$pg_bin/pg_ctl" -D "$pg_cluster" -l "$pg_cluster/server.log" -w -t 60 start >/dev/null 2>&1; then
      break
    fi
    pg_cluster_up=0
    [ "$attempt" -lt "$attempts" ] || { tail -n 20 "$pg_cluster/server.log" >&2; die "the server does not start"; }
  done
  export PGHOST=$sock PGPORT=$port PGUSER=$superuser PGDATABASE=postgres
  export PGOPTIONS="-c client_min_messages=warning"
}

pg_cluster_stop() {
  [ "$pg_cluster_up" = 1 ] || return 0
  pg_cluster_up=0
  local pid=""
  [ -f "$pg_cluster/postmaster.pid" ] && pid=$(head -n 1 "$pg_cluster/postmaster.pid")
  as_server "$pg_bin/pg_ctl" -D "$pg_cluster" -m "${1:-immediate}" -w -t 30 stop >/dev/null 2>&1 || true
  # pg_ctl returns once the postmaster has gone; its children may still be leaving.
  if [ -n "$pid" ]; then
    local i
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
}

pg_cluster_remove() {
  [ "$pg_cluster_own_home" = 0 ] || rm -rf "$pg_cluster_home"
}

pg_scratch() {
  mkdir -p "$1"
  tmp=$(mktemp -d "$(cd "$1" && pwd)/$2.XXXXXX")
  pg_keep=$3
  trap pg_scratch_cleanup EXIT
  trap 'exit 130' INT TERM
}

pg_scratch_cleanup() {
  if [ "$pg_keep" = 1 ]; then
    pg_cluster_stop fast
    echo "== kept $tmp${pg_cluster_home:+ (cluster in $pg_cluster_home)}" >&2
  else
    pg_cluster_stop   # immediate: the data is thrown away
    rm -rf "$tmp"
    pg_cluster_remove
  fi
}
