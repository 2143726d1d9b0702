-- The buildings meeting a lon/lat box as one GeoJSON FeatureCollection, built in the database:
-- ST_Intersects with the box (GiST index on geom), 7 decimals as Gridmap writes them, the five
-- attributes as properties, the fid as feature id. Variables: minlon, minlat, maxlon, maxlat.
SELECT json_build_object(
         'type', 'FeatureCollection',
         'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'id', b.fid,
           'geometry', ST_AsGeoJSON(b.geom, 7)::json,
           'properties', json_build_object('name', b.name, 'floors', b.floors,
                                           'households', b.households,
                                           'population', b.population, 'use', b.use))),
           '[]'::json))
FROM buildings AS b
WHERE ST_Intersects(b.geom, ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326));
