-- The other three layers, after ogr2ogr (EPSG:4326, column "geom"): Gridmap's column names,
-- GiST indexes, statistics. Stations also get their position in the survey's metric CRS
-- (EPSG:4526, CGCS2000 3-degree Gauss-Kruger zone 38) and a GiST index on it and on the
-- geography cast, for the two forms of the coverage query.
ALTER TABLE grid_cells RENAME COLUMN "网格编码" TO code;
ALTER TABLE grid_cells RENAME COLUMN "网格名称" TO name;
ALTER TABLE grid_cells RENAME COLUMN "社区" TO community;
ALTER TABLE grid_cells RENAME COLUMN "街道" TO street;
ALTER TABLE grid_cells RENAME COLUMN "网格员" TO worker;
CREATE INDEX grid_cells_geom_idx ON grid_cells USING gist (geom);

ALTER TABLE stations RENAME COLUMN "名称" TO name;
ALTER TABLE stations RENAME COLUMN "类型" TO type;
ALTER TABLE stations RENAME COLUMN "面积" TO floor_area_m2;
ALTER TABLE stations
  ADD COLUMN geom_4526 geometry(Point, 4526) GENERATED ALWAYS AS (ST_Transform(geom, 4526)) STORED;
CREATE INDEX stations_geom_idx ON stations USING gist (geom);
CREATE INDEX stations_geom_4526_idx ON stations USING gist (geom_4526);
CREATE INDEX stations_geog_idx ON stations USING gist ((geom::geography));

ALTER TABLE roads RENAME COLUMN "名称" TO name;
ALTER TABLE roads RENAME COLUMN "等级" TO type;
CREATE INDEX roads_geom_idx ON roads USING gist (geom);

VACUUM ANALYZE grid_cells;
VACUUM ANALYZE stations;
VACUUM ANALYZE roads;
