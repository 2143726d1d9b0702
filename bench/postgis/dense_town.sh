#!/usr/bin/env bash
# PostGIS ST_AsMVT on the dense town of gridmap-dense-tile-bench (issue 10), for comparison.
#
# Usage: bench/postgis/dense_town.sh --db TOWN.sqlite --tiles "12/3348/1682 13/6697/3365 …"
#                                    [--runs 5] [--work DIR]
#
# Starts a throw-away PostgreSQL 15 + PostGIS cluster in a temporary folder (as the Debian user
# "postgres" when run as root), copies layer "buildings" of the Gridmap database made by
# gridmap-dense-tile-bench into it with ogr2ogr, reprojected to EPSG:3857 (PostGIS's best case:
# no ST_Transform per query) with a GiST index, then builds each tile with
# ST_AsMVT(ST_AsMVTGeom(…)) (extent 4096, buffer 64, every attribute) once unmeasured and
# --runs times measured. Prints per tile: median ms, min ms, max ms, bytes, features.
set -euo pipefail
pgbin=/usr/lib/postgresql/15/bin
db="" tiles="" runs=5 work=${TMPDIR:-/tmp}
die() { echo "dense_town.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db=$2; shift 2 ;;
    --tiles) tiles=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -f "$db" ] || die "--db FILE is required (made by gridmap-dense-tile-bench)"
[ -n "$tiles" ] || die "--tiles is required"
[ -f /usr/share/postgresql/15/extension/postgis.control ] || die "PostGIS for PostgreSQL 15 is missing"

tmp=$(mktemp -d "$work/pg-dense.XXXXXX")
if [ "$(id -u)" = 0 ]; then
  chown postgres "$tmp"
  as_server() { (cd / && runuser -u postgres -- "$@"); }
else
  as_server() { "$@"; }
fi
cleanup() {
  as_server "$pgbin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

as_server "$pgbin/initdb" -D "$tmp/data" -A trust -U gridmap >/dev/null
as_server "$pgbin/pg_ctl" -D "$tmp/data" -w -l "$tmp/log" \
  -o "-k $tmp -c listen_addresses='' -c shared_buffers=256MB -c jit=off" start >/dev/null
export PGHOST=$tmp PGUSER=gridmap PGDATABASE=postgres
psql -qX -c "CREATE EXTENSION postgis" >/dev/null
ogr2ogr -f PostgreSQL "PG:host=$tmp user=gridmap dbname=postgres" "$db" buildings \
  -t_srs EPSG:3857 -nln buildings -lco GEOMETRY_NAME=geom -lco FID=fid -lco SPATIAL_INDEX=GIST \
  -nlt MULTIPOLYGON
psql -qX -c "ANALYZE buildings" >/dev/null

for t in $tiles; do
  IFS=/ read -r z x y <<<"$t"
  sql="SELECT length(ST_AsMVT(q, 'buildings', 4096, 'geom', 'fid')), count(*) FROM (
         SELECT b.fid, b.name, b.address, b.floors, b.households, b.use,
                ST_AsMVTGeom(b.geom, ST_TileEnvelope($z, $x, $y), 4096, 64, true) AS geom
         FROM buildings AS b
         WHERE b.geom && ST_TileEnvelope($z, $x, $y, margin => 64.0 / 4096)) AS q
       WHERE q.geom IS NOT NULL"
  psql -qXAt -c "$sql" >/dev/null
  ms=()
  for ((i = 0; i < runs; i++)); do
    out=$(psql -qXAt -c '\timing on' -c "$sql")
    ms+=("$(grep -o 'Time: [0-9.]*' <<<"$out" | cut -d' ' -f2)")
    row=$(head -n 1 <<<"$out")
  done
  sorted=$(printf '%s\n' "${ms[@]}" | sort -g)
  median=$(sed -n "$(( (runs + 1) / 2 ))p" <<<"$sorted")
  echo "$t median_ms=$median min_ms=$(head -n 1 <<<"$sorted") max_ms=$(tail -n 1 <<<"$sorted") bytes|features=$row"
done
