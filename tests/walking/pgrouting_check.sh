#!/usr/bin/env bash
# An independent cross-check of Gridmap's walking distances against pgRouting, on the demo
# district: per building, the walking distance to its nearest station (snap to the road + along
# the network + snap to the station) and which station, from
#   gridmap analyze coverage --mode walking --buildings all --format json
# and from the same network rebuilt in PostGIS by the same rules (network.sql: walkable roads,
# noding at crossings and touches, the 0.5 m vertex-to-line join, snapping within --max-snap)
# and walked with pgr_dijkstraCost (route.sql). compare.py prints the counts, the median and
# largest difference and the worst 10, and exits non-zero when they disagree (over 1 m, or another
# nearest station that is not a tie).
#
# Usage: tests/walking/pgrouting_check.sh GRIDMAP_BINARY [--work DIR] [--keep]
#   --work DIR  scratch folder (default: a new folder under $TMPDIR or /tmp), removed on exit
#   --keep      leave the scratch folder (cluster stopped) for inspection
#
# A throwaway PostgreSQL 15 cluster (initdb in the scratch folder, Unix socket only, fsync off),
# as bench/postgis/run.sh does; as root, cluster and server belong to the Debian user postgres
# (or nobody). Needs postgresql-15, postgresql-15-postgis-3, postgresql-15-pgrouting and gdal-bin
# (ogr2ogr): installed through scripts/deps when missing. Timings of each stage go to stderr as
# "timing <stage> <seconds>".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pgbin=/usr/lib/postgresql/15/bin
TOL=0.5        # Gridmap's node tolerance (NetworkOptions::node_tolerance_m)
MAX_SNAP=250   # --max-snap, Gridmap's default; passed to both sides

die() { echo "pgrouting_check: $*" >&2; exit 2; }
log() { echo "$*" >&2; }
now() { date +%s.%N; }
timing() { log "timing $1 $(python3 -c "print(f'{$3 - $2:.2f}')")"; }

gridmap=""
work_arg=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --work) [ $# -ge 2 ] || die "--work needs a value"; work_arg=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$gridmap" ] || die "one gridmap binary only"; gridmap=$1; shift ;;
  esac
done
[ -n "$gridmap" ] && [ -x "$gridmap" ] || die "usage: pgrouting_check.sh GRIDMAP_BINARY [--work DIR] [--keep]"

t=$(now)
if [ ! -f /usr/share/postgresql/15/extension/postgis.control ] ||
   [ ! -f /usr/share/postgresql/15/extension/pgrouting.control ] || ! command -v ogr2ogr >/dev/null; then
  log "== installing PostgreSQL 15, PostGIS and pgRouting (scripts/deps)"
  "$root/scripts/deps" postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting gdal-bin >&2
fi
timing install "$t" "$(now)"
grep -q PostgreSQL <<<"$(ogr2ogr --formats)" || die "this ogr2ogr has no PostgreSQL driver"

# ---- the scratch folder and the cluster -----------------------------------------------------
server_user=$(id -un)
if [ "$(id -u)" = 0 ]; then
  if id -u postgres >/dev/null 2>&1; then server_user=postgres; else server_user=nobody; fi
  as_server() { (cd / && runuser -u "$server_user" -- "$@"); }
else
  as_server() { "$@"; }
fi
if [ -n "$work_arg" ]; then mkdir -p "$work_arg"; tmp=$(mktemp -d "$(cd "$work_arg" && pwd)/pgr.XXXXXX")
else tmp=$(mktemp -d "${TMPDIR:-/tmp}/gridmap-pgr.XXXXXX"); fi
srv=$tmp
cluster_up=0
cleanup() {
  if [ "$cluster_up" = 1 ]; then
    as_server "$pgbin/pg_ctl" -D "$srv/cluster" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [ "$keep" = 1 ]; then log "== kept $tmp"; else rm -rf "$tmp"; fi
  [ "$srv" = "$tmp" ] || rm -rf "$srv"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$server_user" != "$(id -un)" ]; then chmod 755 "$tmp"; fi
# The server user must reach the folder, and a socket path has at most 107 bytes.
if ! as_server test -x "$tmp" || [ $(( ${#tmp} + 40 )) -gt 107 ]; then
  srv=$(mktemp -d /tmp/gridmap-pgr.XXXXXX)
  chmod 755 "$srv"
fi
mkdir -p "$srv/cluster" "$srv/socket"
[ "$server_user" = "$(id -un)" ] || chown "$server_user" "$srv/cluster" "$srv/socket"

t=$(now)
as_server "$pgbin/initdb" -D "$srv/cluster" -U check -A trust -E UTF8 --no-locale --no-sync \
  >"$tmp/initdb.log" 2>&1 || { tail -n 20 "$tmp/initdb.log" >&2; die "initdb failed"; }
cat >>"$srv/cluster/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$srv/socket'
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
work_mem = 64MB
EOF
cluster_up=1
as_server "$pgbin/pg_ctl" -D "$srv/cluster" -l "$srv/cluster/server.log" -w -t 60 start >/dev/null ||
  { tail -n 20 "$srv/cluster/server.log" >&2; die "the server does not start"; }
export PGHOST=$srv/socket PGUSER=check PGDATABASE=postgres
export PGOPTIONS="-c client_min_messages=warning"
psql_q() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"; }
psql_q -c "CREATE DATABASE walk" >/dev/null
export PGDATABASE=walk
psql_q -c "CREATE EXTENSION postgis; CREATE EXTENSION pgrouting" >/dev/null
timing cluster_start "$t" "$(now)"
log "== PostgreSQL $(psql_q -c 'SHOW server_version' | cut -d' ' -f1), PostGIS $(psql_q -c 'SELECT postgis_lib_version()'), pgRouting $(psql_q -c 'SELECT pgr_version()')"

# ---- the demo district, imported by Gridmap, and Gridmap's answer ---------------------------
t=$(now)
db=$tmp/demo.sqlite
for layer in buildings stations roads; do
  "$gridmap" import "$root/data/demo/$layer.geojson" --layer "$layer" --db "$db" >"$tmp/import.log" 2>&1 ||
    { cat "$tmp/import.log" >&2; die "gridmap import $layer failed"; }
done
timing gridmap_import "$t" "$(now)"
t=$(now)
"$gridmap" analyze coverage --db "$db" --mode walking --max-snap "$MAX_SNAP" --buildings all --format json \
  >"$tmp/gridmap.json" 2>"$tmp/gridmap.log" || { cat "$tmp/gridmap.log" >&2; die "gridmap analyze failed"; }
timing gridmap_walking "$t" "$(now)"

# The same stored features into PostGIS (fids kept, lon/lat as stored, the buildings' point on
# surface as pos_lon / pos_lat: the points are input here, not under test).
t=$(now)
pg="PG:host='$srv/socket' user=check dbname=walk"
for layer in roads stations buildings; do
  select=()
  [ "$layer" = buildings ] && select=(-select pos_lon,pos_lat)
  ogr2ogr -f PostgreSQL "$pg" "$db" "$layer" -nln "src_$layer" -preserve_fid -lco FID=fid \
    -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=NONE -nlt GEOMETRY "${select[@]}" 2>"$tmp/ogr2ogr.log" ||
    { cat "$tmp/ogr2ogr.log" >&2; die "ogr2ogr $layer failed"; }
  # The SQLite driver reads osm_id as a 32-bit integer and warns on larger ids; no other column
  # is affected and osm_id is not used here.
  grep -v "Integer overflow occurred when trying to set 32bit field" "$tmp/ogr2ogr.log" >&2 || true
done
timing pg_load "$t" "$(now)"

t=$(now)
# Which roads are walked: the check's own reading of config/walkability.json, as a view.
mapfile -t road_columns < <(psql_q -c "SELECT column_name FROM information_schema.columns WHERE table_name = 'src_roads'")
python3 "$here/walkable_view.py" "$root/config/walkability.json" "${road_columns[@]}" >"$tmp/walkable.sql" ||
  die "cannot read config/walkability.json into a view"
psql_q -f "$tmp/walkable.sql" >/dev/null
log "   walked: $(psql_q -c 'SELECT count(*) FROM walkable_roads') of $(psql_q -c 'SELECT count(*) FROM src_roads') road features"
psql_q -v tol="$TOL" -v max_snap="$MAX_SNAP" -f "$here/network.sql" >/dev/null
timing pg_network "$t" "$(now)"
log "   network: $(psql_q -c "SELECT count(*) || ' edges, ' || (SELECT count(*) FROM node) || ' nodes, '
  || round(sum(length)::numeric / 1000, 3) || ' km; '
  || (SELECT count(*) FROM link WHERE kind = 'touch' AND b_vid IS NULL) || ' vertex touches inside another segment (within $TOL m), '
  || (SELECT count(*) FROM link WHERE kind = 'cross') || ' crossings' FROM edge")"
t=$(now)
psql_q -f "$here/route.sql" >/dev/null
timing pg_routing "$t" "$(now)"
psql_q -c "\\copy walk TO '$tmp/pgrouting.csv' WITH (FORMAT csv, HEADER)"

python3 "$here/compare.py" "$tmp/gridmap.json" "$tmp/pgrouting.csv"
