-- Part of the timed load of buildings.shp (bench/postgis/run.sh): after ogr2ogr has copied the
-- shapefile into the table "buildings" (EPSG:4326, MultiPolygon, column "geom"), give the columns
-- the names Gridmap gives them (so MVT and GeoJSON carry the same keys), add the GiST index a
-- PostGIS user would create, and gather planner statistics.
ALTER TABLE buildings RENAME COLUMN "名称" TO name;
ALTER TABLE buildings RENAME COLUMN "层数" TO floors;
ALTER TABLE buildings RENAME COLUMN "户数" TO households;
ALTER TABLE buildings RENAME COLUMN "人口" TO population;
ALTER TABLE buildings RENAME COLUMN "用途" TO use;
CREATE INDEX buildings_geom_idx ON buildings USING gist (geom);
ANALYZE buildings;
