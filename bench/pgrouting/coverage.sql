-- Walking coverage with pgRouting, the peer of `gridmap analyze coverage --mode walking`: every
-- building's walk to its nearest station (straight onto its street + along the network +
-- straight off to the station) and whether it is within the radius; the buildings and
-- households covered.
-- Input: network.sql's edge and snap, split.sql's stop, route_edge and snap_vertex made with
-- split_at = s (every station a vertex of the graph).
-- psql variable radius (metres: minutes × speed).
-- Output (one row): buildings, households, buildings_covered, households_covered.
--
-- One bounded search rather than one per station: a source vertex of its own is joined to every
-- station's vertex by a one-way edge as long as that station's snap, and pgr_drivingDistance
-- from it, bounded by the radius, gives every vertex within reach its walk from the nearest
-- station. A building's street is cut only at stations, so its walk enters the street from one of
-- the street's ends or stops: the least of (walk to that point + along the street to the
-- building) + its own snap. Buildings are not made vertices (200,000 splits would cost more than
-- the search).

SELECT greatest(max(source), max(target)) + 1 AS origin, max(id) AS last_edge FROM route_edge \gset

CREATE TABLE reach AS
SELECT node AS vertex, agg_cost
FROM pgr_drivingDistance(
  format($q$
    SELECT id, source, target, cost, cost AS reverse_cost FROM route_edge
    UNION ALL
    SELECT %2$s + row_number() OVER (ORDER BY vertex), %1$s, vertex, min(d), -1
    FROM snap_vertex WHERE what = 's' GROUP BY vertex$q$, :origin, :last_edge),
  :origin, :radius, directed => true);
CREATE INDEX ON reach (vertex);

WITH entry AS (  -- where a walk can enter each street: its ends and its stops
  SELECT id AS edge, 0::float8 AS off, source AS vertex FROM edge
  UNION ALL SELECT id, length, target FROM edge
  UNION ALL SELECT edge, off, vertex FROM stop),
walk AS (
  SELECT s.fid, s.d + min(r.agg_cost + abs(s.off - e.off)) AS metres
  FROM snap s
  JOIN entry e ON e.edge = s.edge
  JOIN reach r ON r.vertex = e.vertex
  WHERE s.what = 'b'
  GROUP BY s.fid, s.d)
SELECT count(*) AS buildings, sum(b.households) AS households,
       count(*) FILTER (WHERE w.metres <= :radius) AS buildings_covered,
       coalesce(sum(b.households) FILTER (WHERE w.metres <= :radius), 0) AS households_covered
FROM src_buildings b
LEFT JOIN walk w ON w.fid = b.fid;
