#!/usr/bin/env bash
# The MapServer peer of Gridmap's PNG benchmark: MapServer 8 `map2img` draws the same tiles as
# gridmap-tile-bench --format png, from the city's buildings.shp, in the same run. Prints one
# tab-separated line per figure on stdout,
#   key <TAB> value <TAB> unit <TAB> description
# and progress on stderr, so: bench/mapserver/run.sh --city DIR --work DIR > mapserver.tsv
#
# Usage: bench/mapserver/run.sh --city DIR --work DIR [--runs R] [--tiles 14:5,16:20] [--keep]
#   --city DIR      the city from gridmap-synth (buildings.shp, EPSG:4526, GBK attributes)
#   --work DIR      scratch folder; the shapefile copy, its index, the mapfile and the tiles go in
#                   a new folder inside it, removed on exit (also on Ctrl-C)
#   --runs R        measured runs per tile, after one warm-up (default 5)
#   --tiles LIST    zoom:count blocks (default 14:5,16:20, as scripts/bench's png benchmark)
#   --keep          leave the temporary folder (mapfile, tiles) for inspection
#
# Setup (untimed except shptree_s): buildings.shp/.shx/.dbf/.prj/.cpg are copied into the work
# folder and `shptree` writes the quadtree index (.qix) next to the copy, which map2img then
# uses for every extent query. The mapfile is buildings.map.in (in this folder) with the copy's
# folder filled in, converted to GBK so that its 用途 class values match the DBF's bytes. A
# MapServer config file with only MS_MAP_PATTERN "." goes with it (MAPSERVER_CONFIG_FILE;
# without one, MapServer 8 reports an error on every run). The PNG is AGG, RGB, MapServer's
# default zlib level.
#
# Tiles: per zoom, `count` distinct tiles in a near-square block around the tile holding lon
# 114.3, lat 30.6, nearest first: the block() of bench/tile_bench.cpp, the same list as
# gridmap-tile-bench and bench/postgis/run.sh (printed as png_zZ_tiles). Each tile is drawn by
#   map2img -m buildings.map -e MINX MINY MAXX MAXY -s 256 256 -o tile.png
# with the tile's EPSG:3857 bounds moved half a pixel inwards: MapServer's extent runs from pixel
# centre to pixel centre, a tile's bounds from pixel edge to pixel edge (mapserv's WMS does the
# same conversion). The timing is the whole map2img process (fork, exec, dynamic loading of
# libmapserver and its libraries, mapfile parsing, projection setup, opening the shapefile and
# its index, drawing, PNG encoding and writing), read from bash's $EPOCHREALTIME around it: one
# process per tile, as the design brief's figure was measured. Every tile gets one unmeasured
# run, then R measured runs; the tile's figure is the median of its R, the zoom's figure the
# median over its tiles.
#
# Fixed cost per process: after every measured tile run, map2img draws an empty extent with the
# same mapfile (a z16 tile 40 tiles east of the centre, about 24 km, outside the city), so the
# empty runs see the same moment of the machine as the tiles. Their median is everything a
# request costs apart from reading and drawing the features, and png_zZ_ms_net subtracts it (per
# tile: its median less the median of the empty runs next to it; per zoom: median over tiles).
# map2img_start_ms is `map2img -v` alone (process start and library loading, no mapfile), R runs
# after one.
#
# Needs the Debian package mapserver-bin (map2img, shptree) and iconv (libc-bin) and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
script_start=$EPOCHREALTIME
load_avg=$(cut -d' ' -f1-3 /proc/loadavg)
LON=114.3 LAT=30.6          # the centre of the tile blocks
EMPTY_DX=40                 # the empty extent: the z16 tile this many tiles east of the centre

city=""
work_arg=""
runs=5
tiles_arg=14:5,16:20
keep=0

die() { echo "bench/mapserver/run.sh: $*" >&2; exit 2; }
log() { echo "$*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --city) [ $# -ge 2 ] || die "--city needs a value"; city=$2; shift 2 ;;
    --work) [ $# -ge 2 ] || die "--work needs a value"; work_arg=$2; shift 2 ;;
    --runs) [ $# -ge 2 ] || die "--runs needs a value"; runs=$2; shift 2 ;;
    --tiles) [ $# -ge 2 ] || die "--tiles needs a value"; tiles_arg=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[ -n "$city" ] || die "--city is required (see --help)"
[ -n "$work_arg" ] || die "--work is required (see --help)"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive whole number, not \"$runs\""
[[ "$tiles_arg" =~ ^[0-9]+:[1-9][0-9]*(,[0-9]+:[1-9][0-9]*)*$ ]] || die "--tiles wants z:count,z:count, not \"$tiles_arg\""
for ext in shp shx dbf prj cpg; do
  [ -f "$city/buildings.$ext" ] || die "$city/buildings.$ext is missing (make the city with gridmap-synth)"
done
for tool in map2img shptree; do
  command -v "$tool" >/dev/null || die "$tool is missing: install mapserver-bin (scripts/deps mapserver-bin)"
done
command -v iconv >/dev/null || die "iconv is missing"
command -v python3 >/dev/null || die "python3 is missing"

mkdir -p "$work_arg"
tmp=$(mktemp -d "$(cd "$work_arg" && pwd)/mapserver.XXXXXX")
cleanup() { if [ "$keep" = 1 ]; then log "== kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

emit() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4"; }
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ms() { awk '{ printf "%.2f\n", $1 }'; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# Data, index, mapfile
# ---------------------------------------------------------------------------------------------

log "== MapServer peer in $tmp (load $load_avg)"
mkdir -p "$tmp/data" "$tmp/out"
for ext in shp shx dbf prj cpg; do cp "$city/buildings.$ext" "$tmp/data/"; done
t0=$EPOCHREALTIME
shptree "$tmp/data/buildings.shp" >"$tmp/shptree.log" 2>&1 || { cat "$tmp/shptree.log" >&2; die "shptree failed"; }
shptree_s=$(since "$t0")
[ -f "$tmp/data/buildings.qix" ] || die "shptree wrote no buildings.qix"
log "   shptree: ${shptree_s} s"

encoding=$(tr -d '\r\n ' <"$city/buildings.cpg")
mapfile=$tmp/buildings.map
sed "s|@SHAPEPATH@|$tmp/data|" "$here/buildings.map.in" | iconv -f UTF-8 -t "$encoding" >"$mapfile" ||
  die "could not write the mapfile in $encoding"
printf 'CONFIG\n  ENV\n    MS_MAP_PATTERN "."\n  END\nEND\n' >"$tmp/mapserver.conf"
export MAPSERVER_CONFIG_FILE=$tmp/mapserver.conf

version=$(map2img -v | sed -n 's/^MapServer version \([^ ]*\).*/\1/p')
[ -n "$version" ] || die "map2img -v printed no version"

# ---------------------------------------------------------------------------------------------
# Tiles: "z x y minx miny maxx maxy" per line, the block of bench/tile_bench.cpp per zoom, the
# bounds half a pixel inside the tile (MapServer's pixel-centre extent). The empty extent is
# printed last, as zoom "empty".
# ---------------------------------------------------------------------------------------------

python3 - "$LON" "$LAT" "$tiles_arg" "$EMPTY_DX" >"$tmp/tiles.txt" <<'EOF'
import math, sys
lon, lat, blocks, empty_dx = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
R = 20037508.342789244

def tile_at(z):
    n = 2.0 ** z
    x = math.floor((lon + 180.0) / 360.0 * n)
    y = math.floor((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y

def block(cx, cy, count):  # bench/tile_bench.cpp block(): grow the square, nearest first (stable)
    r, offsets = 0, []
    while len(offsets) < count:
        offsets = [(dx, dy) for dy in range(-r, r + 1) for dx in range(-r, r + 1)]
        r += 1
    offsets.sort(key=lambda o: o[0] * o[0] + o[1] * o[1])
    return [(cx + dx, cy + dy) for dx, dy in offsets[:count]]

def line(label, z, x, y):
    size = 2 * R / 2 ** z
    half = size / 256 / 2
    minx, maxy = -R + x * size, R - y * size
    print(label, z, x, y, f"{minx + half:.6f} {maxy - size + half:.6f} {minx + size - half:.6f} {maxy - half:.6f}")

for b in blocks.split(","):
    z, count = (int(v) for v in b.split(":"))
    for x, y in block(*tile_at(z), count):
        line(z, z, x, y)
x, y = tile_at(16)
line("empty", 16, x + empty_dx, y)
EOF
read -r _ ez ex ey eminx eminy emaxx emaxy < <(grep '^empty ' "$tmp/tiles.txt")

# draw OUT MINX MINY MAXX MAXY: one map2img process; sets took_ms. Any message on stderr or a
# missing image stops the script.
took_ms=""
draw() {
  local out=$1; shift
  rm -f "$out"
  local s=$EPOCHREALTIME
  map2img -m "$mapfile" -e "$@" -s 256 256 -o "$out" 2>"$tmp/map2img.err" || true
  local e=$EPOCHREALTIME
  if [ -s "$tmp/map2img.err" ] || [ ! -s "$out" ]; then
    cat "$tmp/map2img.err" >&2
    die "map2img failed for extent $* (mapfile $mapfile)"
  fi
  took_ms=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
}

# Process start alone.
map2img -v >/dev/null
: >"$tmp/start.ms"
for ((i = 0; i < runs; i++)); do
  s=$EPOCHREALTIME; map2img -v >/dev/null; e=$EPOCHREALTIME
  awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$tmp/start.ms"
done
start_ms=$(median <"$tmp/start.ms" | ms)
log "   map2img -v alone: $start_ms ms"

# The empty extent's warm-up.
draw "$tmp/out/empty.png" "$eminx" "$eminy" "$emaxx" "$emaxy"

zooms=$(awk '$1 != "empty" { print $1 }' "$tmp/tiles.txt" | uniq)
: >"$tmp/empty-all.ms"
for z in $zooms; do
  n=$(awk -v z="$z" '$1 == z' "$tmp/tiles.txt" | wc -l)
  log "== PNG z$z: $n tiles, $runs runs each after one warm-up, each followed by an empty-extent run"
  : >"$tmp/z$z.ms"; : >"$tmp/z$z.net"; : >"$tmp/z$z.kb"; : >"$tmp/z$z.empty"
  list=""
  while read -r _ tz tx ty minx miny maxx maxy; do
    out=$tmp/out/$tz-$tx-$ty.png
    list+="${list:+ }$tz/$tx/$ty"
    draw "$out" "$minx" "$miny" "$maxx" "$maxy"   # warm-up
    : >"$tmp/tile.ms"; : >"$tmp/tile.empty"
    for ((i = 0; i < runs; i++)); do
      draw "$out" "$minx" "$miny" "$maxx" "$maxy"
      echo "$took_ms" >>"$tmp/tile.ms"
      draw "$tmp/out/empty.png" "$eminx" "$eminy" "$emaxx" "$emaxy"
      echo "$took_ms" >>"$tmp/tile.empty"
    done
    tms=$(median <"$tmp/tile.ms")
    tem=$(median <"$tmp/tile.empty")
    kb=$(awk -v b="$(stat -c %s "$out")" 'BEGIN { printf "%.1f", b / 1024 }')
    echo "$tms" >>"$tmp/z$z.ms"
    awk -v a="$tms" -v b="$tem" 'BEGIN { printf "%.3f\n", a - b }' >>"$tmp/z$z.net"
    echo "$kb" >>"$tmp/z$z.kb"
    cat "$tmp/tile.empty" >>"$tmp/z$z.empty"
    log "   z$tz/$tx/$ty  $(ms <<<"$tms") ms (empty extent next to it $(ms <<<"$tem") ms)  $kb KB"
  done < <(awk -v z="$z" '$1 == z' "$tmp/tiles.txt")
  cat "$tmp/z$z.empty" >>"$tmp/empty-all.ms"
  emit "png_z${z}_tiles" "$list" tiles "the $n tiles at z$z (z/x/y), nearest to lon $LON lat $LAT first"
  emit "png_z${z}_ms" "$(median <"$tmp/z$z.ms" | ms)" ms "map2img whole process per tile, median over $n tiles of each tile's median of $runs"
  emit "png_z${z}_ms_min" "$(sort -g "$tmp/z$z.ms" | head -n 1 | ms)" ms "the fastest tile's median at z$z"
  emit "png_z${z}_ms_max" "$(sort -g "$tmp/z$z.ms" | tail -n 1 | ms)" ms "the slowest tile's median at z$z"
  emit "png_z${z}_empty_ms" "$(median <"$tmp/z$z.empty" | ms)" ms "map2img on the empty extent, median of the $((n * runs)) runs interleaved with the z$z tiles"
  emit "png_z${z}_ms_net" "$(median <"$tmp/z$z.net" | ms)" ms "per tile its median less the median of the empty-extent runs next to it, median over $n tiles (reading and drawing the features, PNG bytes beyond a blank tile)"
  emit "png_z${z}_kb" "$(median <"$tmp/z$z.kb")" KB "PNG size, median over $n tiles"
  emit "png_z${z}_kb_max" "$(sort -g "$tmp/z$z.kb" | tail -n 1)" KB "PNG size, largest tile at z$z"
done

emit empty_ms "$(median <"$tmp/empty-all.ms" | ms)" ms "map2img on an empty extent (z16/$ex/$ey, outside the city): process start, mapfile, projections, shapefile and index opened, blank PNG written; median of all interleaved runs"
emit map2img_start_ms "$start_ms" ms "map2img -v alone (process start and library loading, no mapfile), median of $runs after one"
emit shptree_s "$shptree_s" s "shptree on buildings.shp (the .qix quadtree index), one run"
emit mapserver_version "$version" "" "map2img -v"
emit load_average_start "$load_avg" "" "load average (1, 5, 15 min) when this script started"
emit total_s "$(since "$script_start")" s "this script, start to end"
log "== done"
