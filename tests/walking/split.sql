-- The graph pgRouting walks: the edges of network.sql split at snap points, so that the points
-- are vertices of the graph (pgRouting 3.4.2's many-to-many pgr_withPointsCost mis-costs some
-- pairs, so the points are not left to it).
-- psql variable split_at: which snap points become vertices, 's' (stations) and/or 'b'
-- (buildings); default 'sb'. The cross-check (route.sql) splits at both; the benchmark
-- (bench/pgrouting/coverage.sql) at the stations only and walks onto the buildings' edges itself.
-- Output tables: stop (edge, off, vertex), route_edge (id, source, target, cost: undirected),
-- snap_vertex (what, fid, d, vertex) for the split points.
\if :{?split_at}
\else
\set split_at sb
\endif

-- The vertex of each distinct snap position: an end of its edge at offset 0 or the full length,
-- else a new vertex numbered after the nodes.
CREATE TABLE stop AS
WITH pos AS (
  SELECT DISTINCT s.edge, s.off FROM snap s WHERE position(s.what IN :'split_at') > 0),
base AS (SELECT max(n) + 1 AS b FROM (SELECT max(source) AS n FROM edge UNION ALL SELECT max(target) FROM edge) m)
SELECT p.edge, p.off,
       CASE WHEN p.off <= 0 THEN e.source
            WHEN p.off >= e.length THEN e.target
            ELSE base.b + row_number() OVER (ORDER BY p.edge, p.off) END AS vertex
FROM pos p JOIN edge e ON e.id = p.edge, base;

-- Edges with stops inside are replaced by the pieces between consecutive stops.
CREATE TABLE route_edge AS
WITH inner_stop AS (
  SELECT s.edge, s.off, s.vertex FROM stop s JOIN edge e ON e.id = s.edge
  WHERE s.off > 0 AND s.off < e.length),
chain AS (
  SELECT e.id AS edge, 0::float8 AS off, e.source AS vertex FROM edge e WHERE e.id IN (SELECT edge FROM inner_stop)
  UNION ALL SELECT edge, off, vertex FROM inner_stop
  UNION ALL SELECT e.id, e.length, e.target FROM edge e WHERE e.id IN (SELECT edge FROM inner_stop)),
piece AS (
  SELECT vertex AS source, lead(vertex) OVER w AS target, lead(off) OVER w - off AS cost
  FROM chain WINDOW w AS (PARTITION BY edge ORDER BY off))
SELECT row_number() OVER () AS id, source, target, cost FROM (
  SELECT source, target, cost FROM piece WHERE target IS NOT NULL
  UNION ALL
  SELECT source, target, length FROM edge WHERE id NOT IN (SELECT edge FROM inner_stop)) x;

-- The vertex of each split point's station or building.
CREATE TABLE snap_vertex AS
SELECT s.what, s.fid, s.d, t.vertex FROM snap s JOIN stop t ON t.edge = s.edge AND t.off = s.off
WHERE position(s.what IN :'split_at') > 0;
