-- Walking distances over the network of network.sql with pgRouting: split.sql makes every
-- snapped station and building a vertex, then pgr_dijkstraCost runs from every station's vertex
-- to every building's, undirected.
-- Output: table walk (building fid, station fid, metres: snap + along the network + snap) for
-- every pair that is connected.

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
