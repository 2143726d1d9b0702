-- The same tile as mvt_3857.sql from the EPSG:4326 column (what Gridmap stores): the tile box
-- grown by the buffer is transformed once to EPSG:4326 for the GiST index on geom, every feature
-- is transformed to EPSG:4326 -> 3857 inside the query. Variables: z, x, y.
SELECT ST_AsMVT(t, 'buildings', 4096, 'geom', 'fid')
FROM (
  SELECT b.fid, b.name, b.floors, b.households, b.population, b.use,
         ST_AsMVTGeom(ST_Transform(b.geom, 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom
  FROM buildings AS b
  WHERE b.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326)
) AS t;
