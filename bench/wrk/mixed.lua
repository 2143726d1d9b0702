-- A mixed load of what grid workers' phones ask for: vector tiles at z14–16, a page of the
-- buildings in a small box, and "what is here" at a point, all at random places in a district.
-- Usage: wrk -t2 -c32 -d10s --latency -s bench/wrk/mixed.lua http://HOST:PORT -- MINLON MINLAT MAXLON MAXLAT
-- At the end it prints one line: "mixed: requests N errors E non2xx B p50_ms X p99_ms Y".
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

local minlon, minlat, maxlon, maxlat
function init(args)
  math.randomseed(seed * 7919)
  minlon, minlat, maxlon, maxlat = tonumber(args[1]), tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  if not maxlat then error("mixed.lua needs MINLON MINLAT MAXLON MAXLAT after --") end
end

local function tile(lon, lat, z)
  local n = 2 ^ z
  local x = math.floor((lon + 180) / 360 * n)
  local r = math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
  return x, y
end

function request()
  local lon = minlon + math.random() * (maxlon - minlon)
  local lat = minlat + math.random() * (maxlat - minlat)
  local pick = math.random()
  if pick < 0.4 then
    local z = math.random(14, 16)
    local x, y = tile(lon, lat, z)
    return wrk.format("GET", string.format("/tiles/buildings,roads/%d/%d/%d.mvt", z, x, y))
  elseif pick < 0.7 then
    local d = 0.001  -- about 100 m
    return wrk.format("GET", string.format("/collections/buildings/items?bbox=%.6f,%.6f,%.6f,%.6f&limit=100",
                                           lon - d, lat - d, lon + d, lat + d))
  else
    return wrk.format("GET", string.format("/query/at?lon=%.6f&lat=%.6f", lon, lat))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("mixed: requests %d errors %d non2xx %d p50_ms %.2f p99_ms %.2f\n",
                         summary.requests, e.connect + e.read + e.write + e.timeout, e.status,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
