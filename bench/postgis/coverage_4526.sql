-- Coverage in the survey's metric CRS (EPSG:4526, planar metres): the buildings whose point on
-- surface lies within 800 m of at least one station, and their households. ST_DWithin on
-- geometry uses the GiST index on stations.geom_4526.
SELECT count(*) AS buildings, sum(b.households) AS households
FROM buildings AS b
WHERE EXISTS (SELECT 1 FROM stations AS s WHERE ST_DWithin(s.geom_4526, b.pos_4526, 800));
