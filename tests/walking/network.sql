-- The walking network of Gridmap's walking mode, rebuilt in PostGIS from the same rules
-- (geo/src/analysis/network_build.cpp, district.cpp, frame.cpp), written independently in SQL.
-- Input tables (ogr2ogr from the imported SpatiaLite database, fids kept):
--   src_roads(fid, geom)  src_stations(fid, geom)  src_buildings(fid, pos_lon, pos_lat, geom)
-- psql variables: tol (the node tolerance, 0.5 m), max_snap (metres, --max-snap).
-- Output tables: frame, edge (id, source, target, length, geom), snap (what, fid, edge, d, off).

-- The walkable roads: the view walkable_roads(fid, geom, lvl) is made before this file runs, by
-- walkable_view.py from config/walkability.json (the one place that decides which roads people
-- walk, and on which level: 0 the ground, 1 a bridge, -1 a tunnel); nothing below looks at
-- attributes. Lines on one level are noded as below; lines on different levels meet only where
-- one of them ends (a bridge joins the streets at its ends, not the street it passes over).

-- The plane: a transverse Mercator on GRS80, scale 1, centred on the extent of the buildings and
-- stations layers, as Gridmap's analyses measure (scale error under 1e-5 within 20 km). A
-- national zone would not do: the demo lies 1.5° from the nearest CGCS2000 3° central meridian
-- (120°E, EPSG:4549) and UTM 51N's (123°E), where lengths are off by 2.4e-4 and 6e-4 —
-- 0.2-0.5 m over a walk of 1 km, half the tolerance of the check.
CREATE TABLE frame AS
WITH e AS (
  SELECT ST_Extent(g) AS box FROM (
    SELECT geom AS g FROM src_buildings UNION ALL SELECT geom FROM src_stations) u)
SELECT format('+proj=tmerc +lat_0=%s +lon_0=%s +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs',
              (ST_YMin(box) + ST_YMax(box)) / 2, (ST_XMin(box) + ST_XMax(box)) / 2) AS proj
FROM e;
-- Registered under an SRID of its own: PostGIS caches a transformation by SRID, while
-- ST_Transform(geom, text) builds it again for every row (40 times slower here).
INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, proj4text)
SELECT 990001, 'gridmap_frame', 990001, proj FROM frame;

-- Lines: every part of every walkable road in metres, consecutive repeated points dropped,
-- parts with fewer than two distinct points skipped.
CREATE TABLE vtx AS
WITH part AS (
  SELECT row_number() OVER (ORDER BY r.fid, d.path) AS part_id, r.lvl,
         ST_Transform(d.geom, 990001) AS geom
  FROM walkable_roads r, LATERAL ST_Dump(r.geom) d
  WHERE GeometryType(d.geom) = 'LINESTRING'),
raw AS (
  SELECT part_id, lvl, p.path[1] AS n, ST_X(p.geom) AS x, ST_Y(p.geom) AS y
  FROM part, LATERAL ST_DumpPoints(part.geom) p),
lagged AS (
  SELECT *, lag(x) OVER w AS px, lag(y) OVER w AS py
  FROM raw WINDOW w AS (PARTITION BY part_id ORDER BY n)),
kept AS (
  SELECT part_id, lvl, x, y,
         row_number() OVER (PARTITION BY part_id ORDER BY n) - 1 AS idx,
         count(*) OVER (PARTITION BY part_id) AS cnt
  FROM lagged WHERE px IS NULL OR x <> px OR y <> py)
SELECT dense_rank() OVER (ORDER BY part_id)::int AS line_id, idx::int AS idx, cnt::int AS cnt, lvl, x, y
FROM kept WHERE cnt >= 2;
ALTER TABLE vtx ADD COLUMN vid bigserial PRIMARY KEY;
CREATE INDEX ON vtx (line_id, idx);

CREATE TABLE seg AS
SELECT row_number() OVER (ORDER BY a.line_id, a.idx) AS seg_id,
       a.line_id, a.lvl, a.idx, a.idx = 0 AS a_end, b.idx = b.cnt - 1 AS b_end,
       a.vid AS va, b.vid AS vb, a.x AS ax, a.y AS ay, b.x AS bx, b.y AS by,
       ST_MakeLine(ST_MakePoint(a.x, a.y), ST_MakePoint(b.x, b.y)) AS geom
FROM vtx a JOIN vtx b ON b.line_id = a.line_id AND b.idx = a.idx + 1;
CREATE INDEX ON seg USING gist (geom);
ANALYZE vtx; ANALYZE seg;

-- A candidate node at fraction t of segment (a, b): its first vertex when t·len is within the
-- tolerance of it, its second likewise, else a point inside the segment at param idx + t.
-- Always one row; declared as a table so that PostgreSQL inlines it into the joins below (a
-- function returning one record is called row by row: 8 s instead of 3.5 s on the benchmark city).
CREATE FUNCTION cand_at(va bigint, vb bigint, line int, idx int, ax float8, ay float8,
                        bx float8, by float8, t float8, px float8, py float8, tol float8)
RETURNS TABLE (vid bigint, line_id int, param float8, x float8, y float8)
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN t * l <= tol OR t <= 0 THEN va
              WHEN (1 - t) * l <= tol OR t >= 1 THEN vb END,
         line,
         CASE WHEN t * l <= tol OR t <= 0 THEN idx
              WHEN (1 - t) * l <= tol OR t >= 1 THEN idx + 1
              ELSE idx + t END,
         CASE WHEN t * l <= tol OR t <= 0 THEN ax WHEN (1 - t) * l <= tol OR t >= 1 THEN bx ELSE px END,
         CASE WHEN t * l <= tol OR t <= 0 THEN ay WHEN (1 - t) * l <= tol OR t >= 1 THEN by ELSE py END
  FROM (SELECT sqrt((bx - ax) ^ 2 + (by - ay) ^ 2) AS l) s
$$;

-- Pairs of segments that come within the tolerance, except neighbours on one line.
CREATE TABLE pair AS
SELECT a.seg_id AS sa, b.seg_id AS sb
FROM seg a JOIN seg b ON a.seg_id < b.seg_id AND ST_DWithin(a.geom, b.geom, :tol)
WHERE NOT (a.line_id = b.line_id AND abs(a.idx - b.idx) = 1);

-- Links: two candidates that are one node. Each side is a vertex (vid) or a point inside a
-- segment (vid null: line_id, param, x, y).
CREATE TABLE link (
  link_id bigserial PRIMARY KEY, kind text,
  a_vid bigint, a_line int, a_param float8, a_x float8, a_y float8,
  b_vid bigint, b_line int, b_param float8, b_x float8, b_y float8, pair_sa bigint, pair_sb bigint);

-- Touches: any vertex of one segment within the tolerance of the other segment (its ends and
-- its interior: the 0.5 m vertex-to-line join) joins the nearest point of that segment; between
-- lines on different levels only a vertex that ends its line does.
INSERT INTO link (kind, a_vid, a_line, a_param, a_x, a_y, b_vid, b_line, b_param, b_x, b_y, pair_sa, pair_sb)
SELECT 'touch', v.pv, v.pline, v.pidx, v.px, v.py, c.vid, c.line_id, c.param, c.x, c.y, p.sa, p.sb
FROM pair p
JOIN seg a ON a.seg_id = p.sa
JOIN seg b ON b.seg_id = p.sb
CROSS JOIN LATERAL (VALUES
  (a.va, a.line_id, a.idx,     a.a_end, a.ax, a.ay, b.va, b.vb, b.line_id, b.idx, b.ax, b.ay, b.bx, b.by),
  (a.vb, a.line_id, a.idx + 1, a.b_end, a.bx, a.by, b.va, b.vb, b.line_id, b.idx, b.ax, b.ay, b.bx, b.by),
  (b.va, b.line_id, b.idx,     b.a_end, b.ax, b.ay, a.va, a.vb, a.line_id, a.idx, a.ax, a.ay, a.bx, a.by),
  (b.vb, b.line_id, b.idx + 1, b.b_end, b.bx, b.by, a.va, a.vb, a.line_id, a.idx, a.ax, a.ay, a.bx, a.by))
  AS v(pv, pline, pidx, pend, px, py, ova, ovb, oline, oidx, o0x, o0y, o1x, o1y)
CROSS JOIN LATERAL (SELECT
  CASE WHEN (v.o1x - v.o0x) ^ 2 + (v.o1y - v.o0y) ^ 2 <= 0 THEN 0
       ELSE greatest(0, least(1, ((v.px - v.o0x) * (v.o1x - v.o0x) + (v.py - v.o0y) * (v.o1y - v.o0y))
                                 / ((v.o1x - v.o0x) ^ 2 + (v.o1y - v.o0y) ^ 2))) END AS t) pt
CROSS JOIN LATERAL (SELECT v.o0x + (v.o1x - v.o0x) * pt.t AS qx, v.o0y + (v.o1y - v.o0y) * pt.t AS qy) q
CROSS JOIN LATERAL cand_at(v.ova, v.ovb, v.oline, v.oidx, v.o0x, v.o0y, v.o1x, v.o1y, pt.t, q.qx, q.qy, :tol) c
WHERE sqrt((v.px - q.qx) ^ 2 + (v.py - q.qy) ^ 2) <= :tol
  AND (a.lvl = b.lvl OR v.pend);

-- The crossings below ask, per pair, whether it touched: an index keeps that a lookup (a scan
-- of every touch per pair took hours on the 200,000-building benchmark city).
CREATE INDEX ON link (pair_sa, pair_sb) WHERE kind = 'touch';
ANALYZE link;

-- Proper crossings (each segment strictly across the other's line) join both lines at the
-- crossing when they lie on one level, unless the pair already touched and the crossing is within the tolerance of an end
-- of either segment (the same junction drawn a little off).
INSERT INTO link (kind, a_vid, a_line, a_param, a_x, a_y, b_vid, b_line, b_param, b_x, b_y, pair_sa, pair_sb)
SELECT 'cross', ca.vid, ca.line_id, ca.param, ca.x, ca.y, cb.vid, cb.line_id, cb.param, cb.x, cb.y, p.sa, p.sb
FROM pair p
JOIN seg a ON a.seg_id = p.sa
JOIN seg b ON b.seg_id = p.sb
CROSS JOIN LATERAL (SELECT
  (a.bx - a.ax) * (b.ay - a.ay) - (a.by - a.ay) * (b.ax - a.ax) AS d1,
  (a.bx - a.ax) * (b.by - a.ay) - (a.by - a.ay) * (b.bx - a.ax) AS d2,
  (b.bx - b.ax) * (a.ay - b.ay) - (b.by - b.ay) * (a.ax - b.ax) AS d3,
  (b.bx - b.ax) * (a.by - b.ay) - (b.by - b.ay) * (a.bx - b.ax) AS d4) d
CROSS JOIN LATERAL (SELECT d.d3 / (d.d3 - d.d4) AS ta, d.d1 / (d.d1 - d.d2) AS tb
                    WHERE ((d.d1 > 0 AND d.d2 < 0) OR (d.d1 < 0 AND d.d2 > 0))
                      AND ((d.d3 > 0 AND d.d4 < 0) OR (d.d3 < 0 AND d.d4 > 0))) t
CROSS JOIN LATERAL (SELECT a.ax + (a.bx - a.ax) * t.ta AS x, a.ay + (a.by - a.ay) * t.ta AS y) x
CROSS JOIN LATERAL cand_at(a.va, a.vb, a.line_id, a.idx, a.ax, a.ay, a.bx, a.by, t.ta, x.x, x.y, :tol) ca
CROSS JOIN LATERAL cand_at(b.va, b.vb, b.line_id, b.idx, b.ax, b.ay, b.bx, b.by, t.tb, x.x, x.y, :tol) cb
WHERE a.lvl = b.lvl AND NOT (
  EXISTS (SELECT 1 FROM link l WHERE l.kind = 'touch' AND l.pair_sa = p.sa AND l.pair_sb = p.sb)
  AND least(sqrt((x.x - a.ax) ^ 2 + (x.y - a.ay) ^ 2), sqrt((x.x - a.bx) ^ 2 + (x.y - a.by) ^ 2),
            sqrt((x.x - b.ax) ^ 2 + (x.y - b.ay) ^ 2), sqrt((x.x - b.bx) ^ 2 + (x.y - b.by) ^ 2)) <= :tol);

-- Candidates: both ends of every line, every vertex a link names, every point inside a segment
-- a link names (each its own candidate, ids above the vertices').
CREATE TABLE cand AS
WITH big AS (SELECT max(vid) + 1 AS base FROM vtx)
SELECT v.vid AS cid, v.line_id, v.lvl, v.idx = 0 OR v.idx = v.cnt - 1 AS line_end, v.idx::float8 AS param, v.x, v.y
FROM vtx v
WHERE v.idx = 0 OR v.idx = v.cnt - 1
   OR v.vid IN (SELECT a_vid FROM link WHERE a_vid IS NOT NULL
                UNION SELECT b_vid FROM link WHERE b_vid IS NOT NULL)
UNION ALL
SELECT big.base + 2 * l.link_id, l.a_line, (SELECT lvl FROM vtx WHERE line_id = l.a_line LIMIT 1), false,
       l.a_param, l.a_x, l.a_y FROM link l, big WHERE l.a_vid IS NULL
UNION ALL
SELECT big.base + 2 * l.link_id + 1, l.b_line, (SELECT lvl FROM vtx WHERE line_id = l.b_line LIMIT 1), false,
       l.b_param, l.b_x, l.b_y FROM link l, big WHERE l.b_vid IS NULL;
ALTER TABLE cand ADD COLUMN geom geometry;
UPDATE cand SET geom = ST_MakePoint(x, y);
CREATE INDEX ON cand USING gist (geom);
ANALYZE cand;

-- One node per connected set of candidates: linked, or within the tolerance of each other
-- (transitively; pgr_connectedComponents does the closure) when their lines lie on one level or
-- either ends its line. A node sits at the mean of its candidates.
CREATE TABLE joins AS
WITH big AS (SELECT max(vid) + 1 AS base FROM vtx)
SELECT coalesce(l.a_vid, big.base + 2 * l.link_id) AS c1, coalesce(l.b_vid, big.base + 2 * l.link_id + 1) AS c2
FROM link l, big
UNION ALL
SELECT p.cid, q.cid FROM cand p JOIN cand q ON p.cid < q.cid AND ST_DWithin(p.geom, q.geom, :tol)
WHERE p.lvl = q.lvl OR p.line_end OR q.line_end;

CREATE TABLE cand_node AS
SELECT c.cid, coalesce(cc.component, c.cid) AS node
FROM cand c
LEFT JOIN pgr_connectedComponents(
  'SELECT row_number() OVER () AS id, c1 AS source, c2 AS target, 1.0::float8 AS cost, 1.0::float8 AS reverse_cost FROM joins'
) cc ON cc.node = c.cid;

CREATE TABLE node AS
SELECT n.node, avg(c.x) AS x, avg(c.y) AS y
FROM cand c JOIN cand_node n USING (cid) GROUP BY n.node;

-- Edges: every line cut at its candidates, in order; an edge runs from its first node's
-- position through the line's vertices between the cuts to its last node's position. A piece
-- whose ends are one node and that is at most twice the tolerance long is what merging left
-- behind and is dropped.
CREATE TABLE edge AS
WITH cut AS (
  SELECT c.line_id, c.param, n.node,
         lead(c.param) OVER w AS next_param, lead(n.node) OVER w AS next_node
  FROM cand c JOIN cand_node n USING (cid)
  WINDOW w AS (PARTITION BY c.line_id ORDER BY c.param, c.cid)),
piece AS (
  SELECT cut.line_id, cut.param, cut.node AS source, cut.next_node AS target,
         ST_MakeLine(ARRAY[ST_MakePoint(s.x, s.y)]
                     || coalesce((SELECT array_agg(ST_MakePoint(v.x, v.y) ORDER BY v.idx) FROM vtx v
                                  WHERE v.line_id = cut.line_id AND v.idx >= floor(cut.param) + 1
                                    AND v.idx < cut.next_param), '{}')
                     || ST_MakePoint(t.x, t.y)) AS geom
  FROM cut JOIN node s ON s.node = cut.node JOIN node t ON t.node = cut.next_node
  WHERE cut.next_param IS NOT NULL)
SELECT row_number() OVER (ORDER BY line_id, param) AS id, source, target, ST_Length(geom) AS length, geom
FROM piece
WHERE NOT (source = target AND ST_Length(geom) <= 2 * :tol);
CREATE INDEX ON edge USING gist (geom);
ANALYZE edge;

-- Stations (the first point of each) and buildings (their point on surface from the import,
-- pos_lon / pos_lat) join the nearest edge by a straight line, when it is within max_snap;
-- ties go to the lower edge id.
CREATE TABLE place AS
SELECT 's' AS what, fid, ST_SetSRID(ST_Transform(ST_SetSRID(ST_GeometryN(ST_Multi(geom), 1), 4326), 990001), 0) AS geom
FROM src_stations WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)
UNION ALL
SELECT 'b', fid, ST_SetSRID(ST_Transform(ST_SetSRID(ST_MakePoint(pos_lon, pos_lat), 4326), 990001), 0)
FROM src_buildings WHERE pos_lon IS NOT NULL AND pos_lat IS NOT NULL;

-- The nearest edge: the nearest distance from the index's nearest-neighbour search (<->), then
-- the edges at exactly that distance, the lower id first. A function, parallel safe and marked
-- costly, so that PostgreSQL spreads the places over both cores (a lateral join runs in one
-- process): on the benchmark city's 200,000 buildings 7 s, where ordering every edge within
-- max_snap by distance in a lateral join took 28 s.
CREATE FUNCTION nearest_edge(p geometry, max_snap float8) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE COST 10000 AS $$
  SELECT e.id
  FROM (SELECT e.geom <-> p AS d FROM edge e ORDER BY e.geom <-> p LIMIT 1) k
  CROSS JOIN LATERAL (SELECT e.id FROM edge e WHERE k.d <= max_snap AND ST_DWithin(e.geom, p, k.d)
                      ORDER BY ST_Distance(e.geom, p), e.id LIMIT 1) e
$$;
CREATE TABLE place_edge AS
SELECT p.what, p.fid, p.geom, nearest_edge(p.geom, :max_snap) AS edge FROM place p;

CREATE TABLE snap AS
SELECT p.what, p.fid, e.id AS edge, ST_Distance(e.geom, p.geom) AS d,
       CASE WHEN e.length > 0 THEN least(e.length, ST_LineLocatePoint(e.geom, p.geom) * e.length) ELSE 0 END AS off
FROM place_edge p JOIN edge e ON e.id = p.edge;
