#!/usr/bin/env bash
# An independent cross-check of Gridmap's walking distances against pgRouting, on the demo
# district: per building, the walking distance to its nearest station (snap to the road + along
# the network + snap to the station) and which station, from
#   gridmap analyze coverage --mode walking --buildings all --format json
# and from the same network rebuilt in PostGIS by the same rules (network.sql: walkable roads,
# noding at crossings and touches, the 0.5 m vertex-to-line join, snapping within --max-snap)
# and walked with pgr_dijkstraCost (split.sql, route.sql). compare.py prints the counts, the
# median and largest difference and the worst 10, and exits non-zero when they disagree (over
# 1 m, or another nearest station that is not a tie).
#
# Usage: tests/walking/pgrouting_check.sh GRIDMAP_BINARY [--work DIR] [--keep]
#   --work DIR  scratch folder (default: a new folder under $TMPDIR or /tmp), removed on exit
#   --keep      leave the scratch folder (cluster stopped) for inspection
#
# A throwaway PostgreSQL 15 cluster (scripts/lib/pg_cluster.sh, as the benchmarks' peers use:
# initdb for the scratch folder, Unix socket only, fsync off; as root, cluster and server belong
# to the Debian user postgres or nobody); the layers and the network are loaded and built as
# the benchmark's pgRouting peer does (pg_network.sh). Needs postgresql-15,
# postgresql-15-postgis-3, postgresql-15-pgrouting and gdal-bin (ogr2ogr): installed through
# scripts/deps when missing. Timings of each stage go to stderr as
# "timing <stage> <seconds>".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
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
. "$root/scripts/lib/pg_cluster.sh"
. "$here/pg_network.sh"
walk_require
timing install "$t" "$(now)"

# ---- the scratch folder and the cluster (scripts/lib/pg_cluster.sh) ------------------------
pg_scratch "${work_arg:-${TMPDIR:-/tmp}}" gridmap-pgr "$keep"

t=$(now)
pg_cluster_start "$tmp" check <<<"work_mem = 64MB"
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
walk_load "$db" "$tmp"
timing pg_load "$t" "$(now)"

t=$(now)
# Which roads are walked: the check's own reading of config/walkability.json, as a view; then
# the network by the same rules (network.sql).
walk_network "$TOL" "$MAX_SNAP" "$tmp"
log "   walked: $(psql_q -c 'SELECT count(*) FROM walkable_roads') of $(psql_q -c 'SELECT count(*) FROM src_roads') road features"
timing pg_network "$t" "$(now)"
log "   network: $(psql_q -c "SELECT count(*) || ' edges, ' || (SELECT count(*) FROM node) || ' nodes, '
  || round(sum(length)::numeric / 1000, 3) || ' km; '
  || (SELECT count(*) FROM link WHERE kind = 'touch' AND b_vid IS NULL) || ' vertex touches inside another segment (within $TOL m), '
  || (SELECT count(*) FROM link WHERE kind = 'cross') || ' crossings' FROM edge")"
t=$(now)
psql_q -f "$here/split.sql" >/dev/null
psql_q -f "$here/route.sql" >/dev/null
timing pg_routing "$t" "$(now)"
psql_q -c "\\copy walk TO '$tmp/pgrouting.csv' WITH (FORMAT csv, HEADER)"

python3 "$here/compare.py" "$tmp/gridmap.json" "$tmp/pgrouting.csv"
