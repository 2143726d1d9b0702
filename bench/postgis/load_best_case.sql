-- What a PostGIS user tuning for tiles and coverage adds to "buildings" (timed on its own as
-- load_derived_s in bench/postgis/run.sh):
--   geom_3857  the polygons already in Web Mercator, with a GiST index, so ST_AsMVT needs no
--              ST_Transform per feature (mvt_3857.sql, the peer's best case; mvt_transform.sql
--              transforms the EPSG:4326 column inside the query instead);
--   pos        the point on surface of each polygon (EPSG:4326), Gridmap's pos_lon/pos_lat;
--   pos_4526   the same point in the survey's metric CRS, for ST_DWithin in metres.
-- One ALTER TABLE computes all three in a single rewrite of the table. VACUUM ANALYZE then sets
-- the visibility map and hint bits and refreshes the statistics.
ALTER TABLE buildings
  ADD COLUMN geom_3857 geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
  ADD COLUMN pos geometry(Point, 4326) GENERATED ALWAYS AS (ST_PointOnSurface(geom)) STORED,
  ADD COLUMN pos_4526 geometry(Point, 4526)
    GENERATED ALWAYS AS (ST_Transform(ST_PointOnSurface(geom), 4526)) STORED;
CREATE INDEX buildings_geom_3857_idx ON buildings USING gist (geom_3857);
VACUUM ANALYZE buildings;
