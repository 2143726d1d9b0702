# Gridmap's walking network rebuilt in PostGIS, for the pgRouting cross-check
# (tests/walking/pgrouting_check.sh) and the pgRouting peer of the benchmarks
# (bench/pgrouting/run.sh): both load the same layers the same way and build the network with
# the one SQL definition of its rules (network.sql). Sourced, not run; needs a running cluster
# (scripts/lib/pg_cluster.sh: PGHOST, PGUSER, PGDATABASE and psql_q) with PostGIS and pgRouting
# in PGDATABASE, and the caller's die().
#
#   walk_require                  installs PostgreSQL 15, PostGIS, pgRouting and ogr2ogr
#                                 (scripts/deps) when any is missing
#   walk_load GRIDMAP_DB SCRATCH  roads, stations and buildings of a Gridmap database into
#                                 src_roads, src_stations, src_buildings: fids kept, lon/lat as
#                                 stored, for buildings only their point on surface (pos_lon,
#                                 pos_lat: input here, not under test) and households
#   walk_network TOL MAX_SNAP SCRATCH
#                                 the view walkable_roads (walkable_view.py's reading of
#                                 config/walkability.json), then network.sql: tables frame, edge,
#                                 node, snap, ... (see its header)

walk_sql_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

walk_require() {
  if [ ! -f /usr/share/postgresql/15/extension/postgis.control ] ||
     [ ! -f /usr/share/postgresql/15/extension/pgrouting.control ] || ! command -v ogr2ogr >/dev/null; then
    echo "== installing PostgreSQL 15, PostGIS and pgRouting (scripts/deps)" >&2
    "$walk_sql_dir/../../scripts/deps" postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting gdal-bin >&2
  fi
  grep -q PostgreSQL <<<"$(ogr2ogr --formats)" || die "this ogr2ogr has no PostgreSQL driver"
}

walk_load() {
  local db=$1 scratch=$2 layer
  local pg="PG:host='$PGHOST' port=${PGPORT:-5432} user=$PGUSER dbname=$PGDATABASE"
  for layer in roads stations buildings; do
    local select=()
    [ "$layer" = buildings ] && select=(-select pos_lon,pos_lat,households)
    ogr2ogr -f PostgreSQL "$pg" "$db" "$layer" -nln "src_$layer" -preserve_fid -lco FID=fid \
      -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=NONE -nlt GEOMETRY -gt unlimited "${select[@]}" \
      2>"$scratch/ogr2ogr.log" || { cat "$scratch/ogr2ogr.log" >&2; die "ogr2ogr $layer failed"; }
    # The SQLite driver reads osm_id as a 32-bit integer and warns on larger ids; no other column
    # is affected and osm_id is not used here.
    grep -v "Integer overflow occurred when trying to set 32bit field" "$scratch/ogr2ogr.log" >&2 || true
  done
}

walk_network() {
  local tol=$1 max_snap=$2 scratch=$3
  local -a columns
  mapfile -t columns < <(psql_q -c "SELECT column_name FROM information_schema.columns WHERE table_name = 'src_roads'")
  python3 "$walk_sql_dir/walkable_view.py" "$walk_sql_dir/../../config/walkability.json" "${columns[@]}" \
    >"$scratch/walkable.sql" || die "cannot read config/walkability.json into a view"
  psql_q -f "$scratch/walkable.sql" >/dev/null
  psql_q -v tol="$tol" -v max_snap="$max_snap" -f "$walk_sql_dir/network.sql" >/dev/null
}
