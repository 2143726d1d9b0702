#!/usr/bin/env bash
# The PostGIS peer of Gridmap's benchmarks: loads the synthetic city into a throwaway
# PostgreSQL 15 + PostGIS cluster and measures the same work Gridmap does, on the same data, in
# the same run. Prints one tab-separated line per figure on stdout,
#   key <TAB> value <TAB> unit <TAB> description
# and progress on stderr, so: bench/postgis/run.sh --city DIR --work DIR > postgis.tsv
#
# Usage: bench/postgis/run.sh --city DIR --work DIR [--runs R] [--duration S] [--threads T]
#                             [--keep]
#   --city DIR      the city from gridmap-synth (buildings, grid_cells, stations, roads .shp)
#   --work DIR      scratch folder; the cluster and all temporary files go in a new folder
#                   inside it, removed on exit (also on Ctrl-C)
#   --runs R        measured runs per single-query figure, after one warm-up (default 5)
#   --duration S    seconds per pgbench throughput load (default 10)
#   --threads T     pgbench threads (-j) for the throughput loads (default 2)
#   --keep          leave the temporary folder (cluster stopped) for inspection
#
# The cluster (scripts/lib/pg_cluster.sh, which says how it runs as root): initdb into the work
# folder, listening on a free 127.0.0.1 port and on a Unix socket in the work folder (the clients
# use the socket). Settings: shared_buffers 256MB, work_mem 64MB, fsync off (a throwaway
# cluster), jit off (compiling the PostGIS functions, which declare high costs, added 0.2-0.4 s
# to the coverage query here and saved nothing), autovacuum off (the script runs VACUUM ANALYZE
# itself, so nothing starts in the middle of a measurement).
#
# The load (timed once, not a median): ogr2ogr copies each shapefile into PostGIS reprojected to
# EPSG:4326 (what Gridmap stores; GBK text decoded through the .cpg), then load_*.sql renames the
# columns to Gridmap's names, creates the GiST indexes and runs ANALYZE:
#   load_s          buildings.shp: ogr2ogr + GiST index + ANALYZE (the counterpart of
#                   `gridmap import --layer buildings`)
#   load_derived_s  load_best_case.sql: a Web Mercator copy of the polygons (geom_3857) and the
#                   point on surface per building (pos, pos_4526), GiST index, VACUUM ANALYZE
#   load_layers_s   grid_cells, stations, roads
# Columns keep Gridmap's names: buildings 名称 层数 户数 人口 用途 -> name floors households
# population use (integers as integer), grid_cells 网格编码 -> code etc., stations 类型 -> type.
# SRIDs: geom is EPSG:4326 in every table; buildings.geom_3857 is Web Mercator, buildings.pos
# (EPSG:4326) and pos_4526 are the point on surface, stations.geom_4526 is the survey CRS
# (CGCS2000 3-degree Gauss-Kruger zone 38, metres). The geometries are stored as the shapefile
# has them (ogr2ogr does not repair the 960 invalid bow-ties; the queries here accept them).
#
# The measurements. Every figure comes from pgbench (-n, -M prepared: the statements are
# prepared once per connection, as a tile server does), driving the queries in this folder
# through the Unix socket:
#   a. MVT tiles (mvt_3857.sql, the best case, and mvt_transform.sql): the tile holding lon 114.3,
#      lat 30.6 and a near-square block around it, 5 tiles at z14, 10 at z15, 20 at z16 (the
#      block of bench/tile_bench.cpp; the list is printed as mvt_zZ_tiles). Per tile one pgbench
#      -t R+1 on one connection; the per-transaction log (-l) gives each execution's latency,
#      the first (warm-up, and the statement's first execution) is dropped, the tile's figure is
#      the median of the other R, and the zoom's figure the median over its tiles. The query is
#      wrapped in length(...): the tile is built in full in the database but only its length
#      crosses the socket, as in Gridmap's in-process benchmark that does not send the tile
#      anywhere. Features (non-empty ST_AsMVTGeom rows, what ST_AsMVT encodes), bytes and the
#      buildings whose box meets the tile (no buffer) are counted per tile by separate, untimed
#      queries.
#   b. Random z16 tiles: pgbench -c 2 and -c 8 (-j T) for S seconds each, uniform over the z16
#      tiles covering the buildings' extent, the full tile sent to the client (bytea as text,
#      as pgbench reads every result); tps without connection time. One warm-up load first.
#   c. Bbox GeoJSON, 1 km x 1 km around lon 114.3, lat 30.6 (half sides 500/111320 degrees of
#      latitude and 500/(111320 cos 30.6°) of longitude): median of R executions after one, the
#      FeatureCollection built in the database and wrapped in length(...); and the latency
#      average of pgbench -c 1 for S seconds with the whole FeatureCollection sent to the client.
#   d. Point in polygon: the grid cell holding a random point in the buildings' extent,
#      pgbench -c 2 and -c 8 for S seconds each after a warm-up.
#   e. Coverage: buildings whose point on surface lies within 800 m of a station, and their
#      households; once in EPSG:4526 (planar metres, coverage_s: the faster, the peer's best
#      case) and once on geography (spheroid metres). Median of R executions after one.
# Parallel query: on this 2-core machine a parallel Gather makes single tiles slower (partial
# MVTs are built by the workers and merged) and the coverage join 1.7-2x faster, so every
# measurement runs with max_parallel_workers_per_gather 0 except coverage (PostgreSQL's default
# of 2). The environment variables TILE_WORKERS and COVERAGE_WORKERS override the two settings.
#
# Needs the Debian packages postgresql-15, postgresql-15-postgis-3 and gdal-bin; installs
# PostGIS with scripts/deps when it is missing. No network otherwise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
script_start=$(date +%s.%N)
load_avg=$(cut -d' ' -f1-3 /proc/loadavg)

# max_parallel_workers_per_gather for tiles, bbox and point queries, and for the coverage join
# (the environment may override them, to compare).
TILE_WORKERS=${TILE_WORKERS:-0}
COVERAGE_WORKERS=${COVERAGE_WORKERS:-2}
LON=114.3 LAT=30.6   # the centre of the tile blocks and of the bbox
TILE_BLOCKS="14:5 15:10 16:20"

city=""
work_arg=""
runs=5
duration=10
threads=2
keep=0

die() { echo "bench/postgis/run.sh: $*" >&2; exit 2; }
log() { echo "$*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --city) [ $# -ge 2 ] || die "--city needs a value"; city=$2; shift 2 ;;
    --work) [ $# -ge 2 ] || die "--work needs a value"; work_arg=$2; shift 2 ;;
    --runs) [ $# -ge 2 ] || die "--runs needs a value"; runs=$2; shift 2 ;;
    --duration) [ $# -ge 2 ] || die "--duration needs a value"; duration=$2; shift 2 ;;
    --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[ -n "$city" ] || die "--city is required (see --help)"
[ -n "$work_arg" ] || die "--work is required (see --help)"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive whole number, not \"$runs\""
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || die "--duration wants a positive whole number of seconds, not \"$duration\""
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "--threads wants a positive whole number, not \"$threads\""
for layer in buildings grid_cells stations roads; do
  [ -f "$city/$layer.shp" ] || die "$city/$layer.shp is missing (make the city with gridmap-synth)"
done
city=$(cd "$city" && pwd)
command -v ogr2ogr >/dev/null || die "ogr2ogr is missing: install gdal-bin (scripts/deps gdal-bin)"
grep -q PostgreSQL <<<"$(ogr2ogr --formats)" || die "this ogr2ogr has no PostgreSQL driver"
[ -x /usr/lib/postgresql/15/bin/pgbench ] || die "pgbench is missing: install postgresql-15 (and postgresql-contrib)"
if [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
  log "== installing PostGIS (postgresql-15-postgis-3)"
  "$root/scripts/deps" postgresql-15-postgis-3 >&2
fi

# ---------------------------------------------------------------------------------------------
# The throwaway cluster (scripts/lib/pg_cluster.sh)
# ---------------------------------------------------------------------------------------------

. "$root/scripts/lib/pg_cluster.sh"
pg_scratch "$work_arg" postgis "$keep"

log "== initdb ($pg_server_user) for $tmp"
pg_cluster_start "$tmp" bench tcp <<<"$pg_bench_settings
max_connections = 30"
sock=$PGHOST port=$PGPORT
log "== PostgreSQL on 127.0.0.1:$port and $sock"
psql_q -c "CREATE DATABASE city" >/dev/null
export PGDATABASE=city
psql_q -c "CREATE EXTENSION postgis" >/dev/null

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# Reads numbers, one a line; prints their median.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ms and count: a number rounded for the report.
ms() { awk '{ printf "%.2f\n", $1 }'; }
count() { awk '{ printf "%.0f\n", $1 }'; }

# emit KEY VALUE UNIT DESCRIPTION: one result line on stdout.
emit() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4"; }

# A query file as one statement: no comment or blank lines, no final semicolon. (pgbench turns
# every :name into a parameter, comments included, so the comments must go.)
query_body() { grep -v -e '^[[:space:]]*--' -e '^[[:space:]]*$' "$here/$1" | sed '$ s/;[[:space:]]*$//'; }

# pgbench_script NAME QUERY_FILE MODE [\set line ...]: a pgbench script in $tmp. MODE full sends
# the result to the client; bytes (bytea) and text (json) wrap the query in length(...), so the
# result is built in full in the database and only its length is sent.
pgbench_script() {
  local name=$1 file=$2 mode=$3; shift 3
  {
    local line
    for line in "$@"; do echo "$line"; done
    case "$mode" in
      full) query_body "$file"; echo ";" ;;
      bytes) echo "SELECT length(("; query_body "$file"; echo "));" ;;
      text) echo "SELECT length(("; query_body "$file"; echo ")::text);" ;;
      *) die "pgbench_script: unknown mode $mode" ;;
    esac
  } >"$tmp/$name.pgbench"
}

# run_pgbench LOGNAME [pgbench options]: fails loudly; leaves the report in $tmp/LOGNAME.txt.
run_pgbench() {
  local name=$1; shift
  if ! "$pg_bin/pgbench" -n -M prepared "$@" >"$tmp/$name.txt" 2>&1 ||
     grep -q 'number of failed transactions: [1-9]' "$tmp/$name.txt"; then
    tail -n 20 "$tmp/$name.txt" >&2
    die "pgbench failed ($name)"
  fi
}

# times_ms NAME SCRIPT [-D var=value ...]: R+1 executions on one connection; prints the
# latencies in ms of executions 2..R+1, one a line.
times_ms() {
  local name=$1 script=$2; shift 2
  rm -f "$tmp/txlog".*
  run_pgbench "$name" -c 1 -j 1 -t $((runs + 1)) -f "$tmp/$script.pgbench" -l --log-prefix="$tmp/txlog" "$@"
  # Log line: client transaction_no latency_us script_no epoch epoch_us
  cat "$tmp/txlog".* | awk 'NR > 1 { printf "%.3f\n", $3 / 1000 }'
  rm -f "$tmp/txlog".*
}

# throughput NAME SCRIPT CLIENTS [-D ...]: tps of a pgbench load of $duration s.
throughput() {
  local name=$1 script=$2 clients=$3; shift 3
  local j=$threads
  [ "$j" -le "$clients" ] || j=$clients
  run_pgbench "$name" -c "$clients" -j "$j" -T "$duration" -f "$tmp/$script.pgbench" "$@"
  awk '/^tps = / { printf "%.1f\n", $3 }' "$tmp/$name.txt"
}

latency_avg() { awk '/^latency average = / { print $4 }' "$tmp/$1.txt"; }

workers() { echo "-c client_min_messages=warning -c max_parallel_workers_per_gather=$1"; }

# ---------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------

emit postgres_version "$(psql_q -c 'SHOW server_version' | cut -d' ' -f1)" "" "PostgreSQL server"
emit postgis_version "$(psql_q -c 'SELECT postgis_lib_version()')" "" "PostGIS"
emit geos_version "$(psql_q -c 'SELECT postgis_geos_version()' | cut -d- -f1)" "" "GEOS used by PostGIS"
emit proj_version "$(psql_q -c 'SELECT postgis_proj_version()' | cut -d' ' -f1)" "" "PROJ used by PostGIS"
emit gdal_version "$(ogr2ogr --version | sed 's/^GDAL \([^,]*\),.*/\1/')" "" "GDAL of the ogr2ogr that loads the shapefiles"
emit load_average_start "$load_avg" "" "load average at start (1, 5, 15 min), $(nproc) cores"
emit runs "$runs" "" "measured runs per single-query figure, after one warm-up"
emit duration "$duration" "s" "pgbench -T per throughput load"

# ogr2ogr into the cluster: EPSG:4326, column geom, fid as key, integers as integer (not
# numeric(n,0), which ST_AsMVT would write as strings), COPY, one transaction, no index yet.
ogr_load() {  # LAYER [ogr2ogr options]
  local layer=$1; shift
  ogr2ogr -f PostgreSQL "PG:host='$sock' port=$port user=bench dbname=city" "$city/$layer.shp" \
    -nln "$layer" -t_srs EPSG:4326 -lco GEOMETRY_NAME=geom -lco FID=fid -lco SPATIAL_INDEX=NONE \
    -lco PRECISION=NO -gt unlimited --config PG_USE_COPY YES "$@" >"$tmp/ogr-$layer.log" 2>&1 ||
    { tail -n 20 "$tmp/ogr-$layer.log" >&2; die "ogr2ogr failed on $layer"; }
}

log "== load: buildings.shp -> PostGIS (EPSG:4326), GiST index, ANALYZE"
t0=$(now)
ogr_load buildings -nlt PROMOTE_TO_MULTI
psql_q -f "$here/load_buildings.sql" >/dev/null
load_s=$(elapsed "$t0")
t0=$(now)
psql_q -f "$here/load_best_case.sql" >/dev/null
load_derived_s=$(elapsed "$t0")
log "== load: grid_cells, stations, roads"
t0=$(now)
ogr_load grid_cells -nlt PROMOTE_TO_MULTI
ogr_load stations
ogr_load roads -nlt PROMOTE_TO_MULTI
psql_q -f "$here/load_layers.sql" >/dev/null
load_layers_s=$(elapsed "$t0")
psql_q -f "$here/helpers.sql" >/dev/null

read -r n_buildings n_invalid n_households < <(psql_q -F ' ' -c \
  "SELECT count(*), count(*) FILTER (WHERE NOT ST_IsValid(geom)), sum(households) FROM buildings")
read -r n_cells n_stations n_roads < <(psql_q -F ' ' -c \
  "SELECT (SELECT count(*) FROM grid_cells), (SELECT count(*) FROM stations), (SELECT count(*) FROM roads)")
[ -n "$n_buildings" ] && [ -n "$n_roads" ] || die "the loaded tables cannot be read"
db_mb=$(psql_q -c "SELECT round(pg_total_relation_size('buildings') / 1048576.0)")
emit load_s "$load_s" s "buildings.shp ($n_buildings polygons) -> PostGIS: ogr2ogr -t_srs EPSG:4326 + GiST index + ANALYZE, one run"
emit load_derived_s "$load_derived_s" s "buildings: add geom_3857 + point on surface (4326, 4526) columns, GiST on geom_3857, VACUUM ANALYZE, one run"
emit load_layers_s "$load_layers_s" s "grid_cells ($n_cells), stations ($n_stations), roads ($n_roads): ogr2ogr + GiST indexes + VACUUM ANALYZE, one run"
emit buildings_mb "$db_mb" MB "buildings table with its indexes (4326 + 3857 geometries, points)"
emit buildings_invalid "$n_invalid" polygons "buildings stored invalid (not repaired, as ogr2ogr copies them)"
emit buildings_households "$n_households" households "sum of households over all buildings"

# The buildings' extent in lon/lat, the z16 tiles covering it.
read -r minlon minlat maxlon maxlat < <(psql_q -F ' ' -c \
  "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)::geometry AS e FROM buildings) AS x")
read -r x0 x1 y0 y1 < <(psql_q -F ' ' -c \
  "SELECT peer_tile_x($minlon, 16), peer_tile_x($maxlon, 16), peer_tile_y($maxlat, 16), peer_tile_y($minlat, 16)")
[ -n "$y1" ] || die "no extent for the buildings"
ntiles=$(( (x1 - x0 + 1) * (y1 - y0 + 1) ))

# ---------------------------------------------------------------------------------------------
# a. MVT tiles around the centre
# ---------------------------------------------------------------------------------------------

pgbench_script mvt_3857_len mvt_3857.sql bytes
pgbench_script mvt_transform_len mvt_transform.sql bytes
export PGOPTIONS; PGOPTIONS=$(workers "$TILE_WORKERS")

# Untimed facts of one tile: features encoded, bytes, buildings whose box meets the tile, and
# whether both setups give the same bytes.
tile_facts() {  # Z X Y
  local body3857 bodytr
  body3857=$(query_body mvt_3857.sql | sed "s/:z/$1/g; s/:x/$2/g; s/:y/$3/g")
  bodytr=$(query_body mvt_transform.sql | sed "s/:z/$1/g; s/:x/$2/g; s/:y/$3/g")
  psql_q -F ' ' -c "
    SELECT (SELECT count(*) FROM buildings AS b
             WHERE b.geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096)
               AND ST_AsMVTGeom(b.geom_3857, ST_TileEnvelope($1, $2, $3), 4096, 64, true) IS NOT NULL),
           length(a.tile),
           (SELECT count(*) FROM buildings AS b WHERE b.geom_3857 && ST_TileEnvelope($1, $2, $3)),
           a.tile = c.tile
    FROM ($body3857) AS a(tile), ($bodytr) AS c(tile)"
}

for block in $TILE_BLOCKS; do
  z=${block%%:*} count=${block#*:}
  log "== MVT z$z: $count tiles, $runs runs each after one warm-up"
  tiles=()
  while read -r tx ty; do tiles+=("$tx/$ty"); done < <(psql_q -F ' ' -c \
    "SELECT tx, ty FROM peer_tile_block($LON, $LAT, $z, $count) ORDER BY ord")
  : >"$tmp/z$z.best" ; : >"$tmp/z$z.tr"; : >"$tmp/z$z.facts"
  list=""
  for t in "${tiles[@]}"; do
    tx=${t%/*} ty=${t#*/}
    list+="${list:+ }$z/$tx/$ty"
    best=$(times_ms mvt "mvt_3857_len" -D z="$z" -D x="$tx" -D y="$ty" | median)
    tr=$(times_ms mvt "mvt_transform_len" -D z="$z" -D x="$tx" -D y="$ty" | median)
    read -r feats bytes inbox same < <(tile_facts "$z" "$tx" "$ty")
    [ -n "$same" ] || die "tile $z/$tx/$ty: counting its features failed"
    [ "$same" = t ] || log "   warning: tile $z/$tx/$ty differs between the 3857 column and ST_Transform"
    echo "$best" >>"$tmp/z$z.best"; echo "$tr" >>"$tmp/z$z.tr"
    echo "$feats $bytes $inbox" >>"$tmp/z$z.facts"
    log "   $z/$tx/$ty  ${best} ms (3857 column)  ${tr} ms (ST_Transform)  $feats features  $bytes bytes  $inbox in box"
  done
  emit "mvt_z${z}_tiles" "$list" tiles "the $count tiles at z$z (z/x/y), nearest to lon $LON lat $LAT first"
  emit "mvt_z${z}_ms" "$(median <"$tmp/z$z.best" | ms)" ms "ST_AsMVT buildings from the precomputed EPSG:3857 column (best case), median over $count tiles of each tile's median of $runs"
  emit "mvt_z${z}_ms_transform" "$(median <"$tmp/z$z.tr" | ms)" ms "ST_AsMVT buildings from the EPSG:4326 column with ST_Transform in the query, median over $count tiles"
  emit "mvt_z${z}_features" "$(awk '{ print $1 }' "$tmp/z$z.facts" | median | count)" features "features encoded per tile (non-empty ST_AsMVTGeom), median over $count tiles"
  emit "mvt_z${z}_bytes" "$(awk '{ print $2 }' "$tmp/z$z.facts" | median | count)" bytes "tile size (uncompressed), median over $count tiles"
  emit "mvt_z${z}_in_box" "$(awk '{ print $3 }' "$tmp/z$z.facts" | median | count)" features "buildings whose box meets the tile (no buffer), median over $count tiles"
done

# ---------------------------------------------------------------------------------------------
# b. Random z16 tiles under pgbench
# ---------------------------------------------------------------------------------------------

log "== random z16 tiles: $ntiles tiles (x $x0-$x1, y $y0-$y1), ${duration} s per load"
rand_tile=("\\set z 16" "\\set x random(:x0, :x1)" "\\set y random(:y0, :y1)")
pgbench_script mvt_3857_rand mvt_3857.sql full "${rand_tile[@]}"
pgbench_script mvt_transform_rand mvt_transform.sql full "${rand_tile[@]}"
tile_range=(-D x0="$x0" -D x1="$x1" -D y0="$y0" -D y1="$y1")
for setup in 3857 transform; do
  run_pgbench "warm-rand-$setup" -c 2 -j 2 -T 2 -f "$tmp/mvt_${setup}_rand.pgbench" "${tile_range[@]}"
  for c in 2 8; do
    tps=$(throughput "rand-$setup-c$c" "mvt_${setup}_rand" "$c" "${tile_range[@]}")
    log "   $setup, $c clients: $tps tiles/s"
    if [ "$setup" = 3857 ]; then
      emit "random_z16_c${c}_tps" "$tps" tiles/s "random z16 tiles (3857 column), pgbench -c $c, ${duration} s, uniform over the $ntiles tiles covering the city (x $x0-$x1, y $y0-$y1)"
    else
      emit "random_z16_c${c}_tps_transform" "$tps" tiles/s "random z16 tiles, ST_Transform in the query, pgbench -c $c, ${duration} s"
    fi
  done
done

# ---------------------------------------------------------------------------------------------
# c. Bbox GeoJSON, 1 km²
# ---------------------------------------------------------------------------------------------

read -r bminlon bminlat bmaxlon bmaxlat < <(awk -v lon="$LON" -v lat="$LAT" 'BEGIN { pi = atan2(0, -1)
  dlat = 500 / 111320; dlon = 500 / (111320 * cos(lat * pi / 180))
  printf "%.6f %.6f %.6f %.6f\n", lon - dlon, lat - dlat, lon + dlon, lat + dlat }')
bbox_vars=(-D minlon="$bminlon" -D minlat="$bminlat" -D maxlon="$bmaxlon" -D maxlat="$bmaxlat")
log "== bbox GeoJSON ($bminlon,$bminlat,$bmaxlon,$bmaxlat)"
pgbench_script bbox_len bbox.sql text
pgbench_script bbox_full bbox.sql full
bbox_ms=$(times_ms bbox bbox_len "${bbox_vars[@]}" | median | ms)
read -r bbox_n bbox_bytes < <(psql_q -F ' ' -c "
  SELECT (SELECT count(*) FROM buildings WHERE ST_Intersects(geom, ST_MakeEnvelope($bminlon, $bminlat, $bmaxlon, $bmaxlat, 4326))),
         length(($(query_body bbox.sql | sed "s/:minlon/$bminlon/g; s/:minlat/$bminlat/g; s/:maxlon/$bmaxlon/g; s/:maxlat/$bmaxlat/g"))::text)")
[ -n "$bbox_bytes" ] || die "the bbox query failed"
run_pgbench warm-bbox -c 1 -j 1 -T 2 -f "$tmp/bbox_full.pgbench" "${bbox_vars[@]}"
throughput bbox-c1 bbox_full 1 "${bbox_vars[@]}" >/dev/null
bbox_c1=$(latency_avg bbox-c1 | ms)
log "   $bbox_n features, $bbox_bytes bytes: $bbox_ms ms in the database, $bbox_c1 ms under pgbench -c 1"
emit bbox "$bminlon,$bminlat,$bmaxlon,$bmaxlat" lon/lat "the 1 km² box around lon $LON lat $LAT"
emit bbox_ms "$bbox_ms" ms "bbox FeatureCollection built in the database (json_agg, ST_AsGeoJSON 7 decimals), median of $runs"
emit bbox_features "$bbox_n" features "buildings meeting the bbox (ST_Intersects)"
emit bbox_bytes "$bbox_bytes" bytes "FeatureCollection size"
emit bbox_pgbench_c1_ms "$bbox_c1" ms "bbox FeatureCollection sent to the client, pgbench -c 1 for ${duration} s, latency average"

# ---------------------------------------------------------------------------------------------
# d. Point in polygon
# ---------------------------------------------------------------------------------------------

log "== point in polygon: random points in the buildings' extent, ${duration} s per load"
pgbench_script pip pip.sql full \
  "\\set lon :minlon + (:maxlon - :minlon) * random(0, 999999) / 1000000.0" \
  "\\set lat :minlat + (:maxlat - :minlat) * random(0, 999999) / 1000000.0"
pip_vars=(-D minlon="$minlon" -D minlat="$minlat" -D maxlon="$maxlon" -D maxlat="$maxlat")
run_pgbench warm-pip -c 2 -j 2 -T 2 -f "$tmp/pip.pgbench" "${pip_vars[@]}"
for c in 2 8; do
  qps=$(throughput "pip-c$c" pip "$c" "${pip_vars[@]}")
  log "   $c clients: $qps q/s"
  emit "pip_c${c}_qps" "$qps" q/s "grid cell holding a random point (ST_Intersects, GiST), pgbench -c $c, ${duration} s"
done

# ---------------------------------------------------------------------------------------------
# e. Coverage
# ---------------------------------------------------------------------------------------------

PGOPTIONS=$(workers "$COVERAGE_WORKERS")
for variant in 4526 geography; do
  log "== coverage, $variant: $runs runs after one warm-up"
  pgbench_script "coverage_$variant" "coverage_$variant.sql" full
  secs=$(times_ms "coverage-$variant" "coverage_$variant" | median | awk '{ printf "%.3f", $1 / 1000 }')
  read -r covered households < <(psql_q -F ' ' -f "$here/coverage_$variant.sql")
  [ -n "$households" ] || die "the coverage query ($variant) failed"
  log "   $secs s: $covered buildings, $households households"
  if [ "$variant" = 4526 ]; then
    emit coverage_s "$secs" s "buildings x stations within 800 m, ST_DWithin in EPSG:4526 (planar metres, the faster), median of $runs"
    emit coverage_buildings_covered "$covered" buildings "buildings whose point on surface is within 800 m of a station (EPSG:4526)"
    emit coverage_households_covered "$households" households "households of those buildings (EPSG:4526)"
  else
    emit coverage_s_geography "$secs" s "the same on geography (spheroid metres), median of $runs"
    emit coverage_buildings_covered_geography "$covered" buildings "buildings covered (geography)"
    emit coverage_households_covered_geography "$households" households "households covered (geography)"
  fi
done

emit total_s "$(elapsed "$script_start")" s "this script, start to end (cluster, load, all measurements)"
log "== done"
