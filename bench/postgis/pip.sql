-- Point in polygon: the grid cell holding a lon/lat point (ST_Intersects, GiST index on
-- grid_cells.geom). Variables: lon, lat.
SELECT g.code, g.name
FROM grid_cells AS g
WHERE ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326));
