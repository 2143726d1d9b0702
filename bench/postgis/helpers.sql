-- Helpers for bench/postgis/run.sh (untimed).

-- The XYZ tile column and row holding a longitude or latitude at zoom z (as in
-- bench/tile_bench.cpp's tile_at).
CREATE FUNCTION peer_tile_x(lon float8, z int) RETURNS int LANGUAGE sql IMMUTABLE
  RETURN floor((lon + 180) / 360 * 2 ^ z)::int;
CREATE FUNCTION peer_tile_y(lat float8, z int) RETURNS int LANGUAGE sql IMMUTABLE
  RETURN floor((1 - asinh(tan(radians(lat))) / pi()) / 2 * 2 ^ z)::int;

-- n distinct tiles in a near-square block around the tile holding (lon, lat), the same block as
-- block() in bench/tile_bench.cpp: the offsets of the smallest square of radius r with at least
-- n tiles, nearest to the centre first (dx² + dy²), ties in row order (dy, then dx). For the
-- counts used here (5, 10, 20) this is also "Chebyshev distance, then Euclidean".
CREATE FUNCTION peer_tile_block(lon float8, lat float8, z int, n int)
RETURNS TABLE (ord int, tz int, tx int, ty int) LANGUAGE sql IMMUTABLE AS $$
  WITH c AS (
    SELECT peer_tile_x(lon, z) AS cx, peer_tile_y(lat, z) AS cy, ceil((sqrt(n) - 1) / 2)::int AS r
  )
  SELECT (row_number() OVER (ORDER BY dx * dx + dy * dy, dy, dx))::int, z, cx + dx, cy + dy
  FROM c, generate_series(-r, r) AS dy, generate_series(-r, r) AS dx
  ORDER BY 1
  LIMIT n
$$;
