-- MVT tile z/x/y of the buildings layer from the precomputed Web Mercator column geom_3857 (the
-- peer's best case): the features whose box meets the tile grown by the 64-unit buffer (GiST
-- index on geom_3857), clipped and quantised by ST_AsMVTGeom (extent 4096, buffer 64, clip on),
-- with Gridmap's attribute keys and the fid as feature id. Variables: z, x, y (pgbench style).
SELECT ST_AsMVT(t, 'buildings', 4096, 'geom', 'fid')
FROM (
  SELECT b.fid, b.name, b.floors, b.households, b.population, b.use,
         ST_AsMVTGeom(b.geom_3857, ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom
  FROM buildings AS b
  WHERE b.geom_3857 && ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096)
) AS t;
