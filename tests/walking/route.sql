-- Walking distances over the network of network.sql with pgRouting: every edge holding snapped
-- stations or buildings is split at their points (pgRouting 3.4.2's many-to-many
-- pgr_withPointsCost mis-costs some pairs, so the points become vertices of the graph), then
-- pgr_dijkstraCost from every station's vertex to every building's, undirected.
-- Output: table walk (building fid, station fid, metres: snap + along the network + snap) for
-- every pair that is connected.

-- The vertex of each distinct snap position: an end of its edge at offset 0 or the full length,
-- else a new vertex numbered after the nodes.
CREATE TABLE stop AS
WITH pos AS (
  SELECT DISTINCT s.edge, s.off FROM snap s),
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

CREATE TABLE snap_vertex AS
SELECT s.what, s.fid, s.d, t.vertex FROM snap s JOIN stop t ON t.edge = s.edge AND t.off = s.off;

CREATE TABLE walk AS
WITH st AS (SELECT * FROM snap_vertex WHERE what = 's'),
     bd AS (SELECT * FROM snap_vertex WHERE what = 'b'),
     cost AS (
       SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost(
         'SELECT id, source, target, cost, cost AS reverse_cost FROM route_edge',
         ARRAY(SELECT DISTINCT vertex FROM st), ARRAY(SELECT DISTINCT vertex FROM bd), directed => false)
       UNION ALL  -- a station and a building at one point: pgRouting leaves such pairs out
       SELECT DISTINCT st.vertex, st.vertex, 0 FROM st JOIN bd ON bd.vertex = st.vertex)
SELECT bd.fid AS building, st.fid AS station, st.d + c.agg_cost + bd.d AS metres
FROM cost c JOIN st ON st.vertex = c.start_vid JOIN bd ON bd.vertex = c.end_vid;
