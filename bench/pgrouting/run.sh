#!/usr/bin/env bash
# The pgRouting peer of Gridmap's walking coverage: the same answer as
#   gridmap analyze coverage --mode walking --minutes M --speed S
# on the same database, computed in a throwaway PostgreSQL 15 cluster with PostGIS and
# pgRouting. Prints one tab-separated line per figure on stdout,
#   key <TAB> value <TAB> unit <TAB> description
# and progress on stderr, like bench/postgis/run.sh, so:
#   bench/pgrouting/run.sh --db city.sqlite --work DIR > pgrouting.tsv
#
# Usage: bench/pgrouting/run.sh --db FILE --work DIR [--runs R] [--minutes M] [--speed S]
#                               [--max-snap METRES] [--keep]
#   --db FILE          a Gridmap database with roads, stations and buildings (read only)
#   --work DIR         scratch folder; the cluster and temporary files go in a new folder
#                      inside it, removed on exit (also on Ctrl-C)
#   --runs R           measured runs after one warm-up (default 5)
#   --minutes M, --speed S   the walk: M minutes at S metres a minute (default 10 and 60)
#   --max-snap METRES  the farthest a building or station snaps to a road (Gridmap's default, 250)
#   --keep             leave the temporary folder (cluster stopped) for inspection
#
# The rules are the cross-check's, in one place: tests/walking/pg_network.sh loads the layers
# (ogr2ogr from the Gridmap database: fids, lon/lat and the buildings' points on surface as
# Gridmap stored them) and builds the network with network.sql (walkable roads by
# config/walkability.json, noding at crossings and touches within 0.5 m, buildings and stations
# snapped to the nearest edge within max-snap); split.sql makes every station a vertex; then
# coverage.sql here walks from all stations at once: pgr_drivingDistance from one origin joined
# to every station by its snap, bounded by the radius, and each building's walk from the nearer
# end of its street.
#
# Timed: the load once (ogr2ogr of the three layers, VACUUM ANALYZE: Gridmap's import); then per
# run, in a fresh copy of the loaded database (CREATE DATABASE ... TEMPLATE, not timed), the
# network build (walkable view + network.sql) and the routing and coverage (split.sql +
# coverage.sql), each as psql from start to end. One warm-up run, then R; medians reported.
# Settings as the PostGIS peer's (shared_buffers 256MB, work_mem 64MB, fsync off, jit off,
# autovacuum off: network.sql runs ANALYZE on what it builds), with PostgreSQL's default of 2
# parallel workers per query, as on these 2 cores the spatial joins of the build use them.
#
# Needs the Debian packages postgresql-15, postgresql-15-postgis-3, postgresql-15-pgrouting and
# gdal-bin; installs them with scripts/deps when missing. No network otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
script_start=$(date +%s.%N)
load_avg=$(cut -d' ' -f1-3 /proc/loadavg)
TOL=0.5   # Gridmap's node tolerance (NetworkOptions::node_tolerance_m)

db=""
work_arg=""
runs=5
minutes=10
speed=60
max_snap=250
keep=0

die() { echo "bench/pgrouting/run.sh: $*" >&2; exit 2; }
log() { echo "$*" >&2; }
number() { [[ "$2" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "$1 wants a number, not \"$2\""; }

while [ $# -gt 0 ]; do
  case "$1" in
    --db) [ $# -ge 2 ] || die "--db needs a value"; db=$2; shift 2 ;;
    --work) [ $# -ge 2 ] || die "--work needs a value"; work_arg=$2; shift 2 ;;
    --runs) [ $# -ge 2 ] || die "--runs needs a value"; runs=$2; shift 2 ;;
    --minutes) [ $# -ge 2 ] || die "--minutes needs a value"; minutes=$2; shift 2 ;;
    --speed) [ $# -ge 2 ] || die "--speed needs a value"; speed=$2; shift 2 ;;
    --max-snap) [ $# -ge 2 ] || die "--max-snap needs a value"; max_snap=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[ -n "$db" ] && [ -f "$db" ] || die "--db FILE is required: a Gridmap database (see --help)"
[ -n "$work_arg" ] || die "--work is required (see --help)"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive whole number, not \"$runs\""
number --minutes "$minutes"; number --speed "$speed"; number --max-snap "$max_snap"
radius=$(awk -v m="$minutes" -v s="$speed" 'BEGIN { print m * s }')
db=$(cd "$(dirname "$db")" && pwd)/$(basename "$db")

# ---- the throwaway cluster (scripts/lib/pg_cluster.sh) -------------------------------------
. "$root/scripts/lib/pg_cluster.sh"
. "$root/tests/walking/pg_network.sh"
walk_require
pg_scratch "$work_arg" pgrouting "$keep"
pg_cluster_start "$tmp" bench <<<"$pg_bench_settings"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f", lo, hi }'; }
emit() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4"; }

# ---- the load, once ------------------------------------------------------------------------
psql_q -c "CREATE DATABASE loaded" >/dev/null
export PGDATABASE=loaded
psql_q -c "CREATE EXTENSION postgis; CREATE EXTENSION pgrouting" >/dev/null
emit postgres_version "$(psql_q -c 'SHOW server_version' | cut -d' ' -f1)" "" "PostgreSQL server"
emit postgis_version "$(psql_q -c 'SELECT postgis_lib_version()')" "" "PostGIS"
emit pgrouting_version "$(psql_q -c 'SELECT pgr_version()')" "" "pgRouting"
emit load_average_start "$load_avg" "" "load average at start (1, 5, 15 min), $(nproc) cores"
emit runs "$runs" "" "measured runs after one warm-up"
emit radius_m "$radius" m "$minutes min × $speed m/min; max-snap $max_snap m"

log "== load: roads, stations, buildings from $(basename "$db") (ogr2ogr)"
t0=$(now)
walk_load "$db" "$tmp"
psql_q -c "VACUUM ANALYZE src_roads" -c "VACUUM ANALYZE src_stations" -c "VACUUM ANALYZE src_buildings" >/dev/null
emit load_s "$(elapsed "$t0")" s "ogr2ogr of roads, stations and buildings (points on surface, households) + VACUUM ANALYZE, one run"

# ---- the runs ------------------------------------------------------------------------------
: >"$tmp/build" ; : >"$tmp/route"; : >"$tmp/total"
for ((r = 0; r <= runs; r++)); do
  PGDATABASE=postgres psql_q -c "CREATE DATABASE walk TEMPLATE loaded" >/dev/null
  export PGDATABASE=walk
  t0=$(now)
  walk_network "$TOL" "$max_snap" "$tmp"
  build=$(elapsed "$t0")
  t0=$(now)
  psql_q -v split_at=s -f "$root/tests/walking/split.sql" >/dev/null
  result=$(psql_q -F ' ' -v radius="$radius" -f "$here/coverage.sql")
  route=$(elapsed "$t0")
  read -r n_buildings n_households covered households_covered <<<"$result"
  [ -n "$households_covered" ] || die "coverage.sql gave no result"
  if [ "$r" = 0 ]; then
    read -r n_edges n_nodes km walked n_roads snapped < <(psql_q -F ' ' -c "
      SELECT (SELECT count(*) FROM edge), (SELECT count(*) FROM node),
             (SELECT round(sum(length)::numeric / 1000, 1) FROM edge),
             (SELECT count(*) FROM walkable_roads), (SELECT count(*) FROM src_roads),
             (SELECT count(*) FROM snap WHERE what = 'b')")
    log "   network: $n_edges edges, $n_nodes nodes, $km km from $walked of $n_roads roads; $snapped buildings snapped"
    log "   warm-up: build $build s, routing and coverage $route s: $covered buildings, $households_covered households"
  else
    echo "$build" >>"$tmp/build"; echo "$route" >>"$tmp/route"
    awk -v a="$build" -v b="$route" 'BEGIN { printf "%.3f\n", a + b }' >>"$tmp/total"
    log "   run $r/$runs: build $build s, routing and coverage $route s"
  fi
  export PGDATABASE=postgres
  psql_q -c "DROP DATABASE walk" >/dev/null
done

emit build_s "$(median <"$tmp/build")" s "network build: walkable view + network.sql (noding, edges, snapping buildings and stations), median of $runs"
emit build_range "$(range <"$tmp/build")" s "network build, min–max"
emit route_s "$(median <"$tmp/route")" s "routing and coverage: split.sql at the stations + coverage.sql (pgr_drivingDistance bounded by $radius m), median of $runs"
emit route_range "$(range <"$tmp/route")" s "routing and coverage, min–max"
emit total_s "$(median <"$tmp/total")" s "network build + routing and coverage, median of $runs"
emit total_range "$(range <"$tmp/total")" s "build + routing, min–max"
emit network "$n_edges edges, $n_nodes nodes, $km km" "" "the network built in PostGIS from $walked of $n_roads road features"
emit buildings "$n_buildings" buildings "buildings in the database"
emit buildings_snapped "$snapped" buildings "buildings within $max_snap m of a walkable road"
emit households "$n_households" households "households in the database"
emit buildings_covered "$covered" buildings "buildings whose walk to the nearest station is within $radius m"
emit households_covered "$households_covered" households "households of those buildings"
emit script_s "$(elapsed "$script_start")" s "this script, start to end (cluster, load, warm-up and runs)"
log "== pgRouting peer done"
