-- Coverage on geography (metres on the spheroid): the same question as coverage_4526.sql with
-- EPSG:4326 points cast to geography; ST_DWithin uses the GiST index on stations(geom::geography).
SELECT count(*) AS buildings, sum(b.households) AS households
FROM buildings AS b
WHERE EXISTS (SELECT 1 FROM stations AS s WHERE ST_DWithin(s.geom::geography, b.pos::geography, 800));
