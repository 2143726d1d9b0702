// gridmap-synth: a deterministic synthetic city for benchmarks and load tests.
//
// The city is a lattice of blocks between streets and lanes around lon 114.3, lat 30.6 (Wuhan),
// written the way survey departments deliver data: shapefiles in CGCS2000 3-degree
// Gauss-Krueger zone 38 with the zone number in front of the easting (EPSG:4526), attribute
// text in GBK with a .cpg. Every value comes from one seeded generator per block, so the same
// arguments give the same files, byte for byte.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_feature.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

namespace {

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

struct Options {
    std::int64_t buildings = 200000;
    int stations = 100;
    std::filesystem::path out = "city";
    std::string format = "shp";
    std::uint64_t seed = 1;
    bool quiet = false;
};

constexpr const char* k_usage =
    "usage: gridmap-synth [options]\n"
    "\n"
    "Writes a deterministic synthetic city around lon 114.3, lat 30.6 (Wuhan) in CGCS2000\n"
    "3-degree Gauss-Kruger zone 38 (EPSG:4526, 8-digit eastings), attribute text in GBK:\n"
    "buildings, grid_cells, stations and roads. The same arguments give the same files.\n"
    "\n"
    "options:\n"
    "  --buildings N     building polygons (default 200000, at most 5000000)\n"
    "  --stations N      service stations (default 100)\n"
    "  --out DIR         output folder, created if missing (default ./city)\n"
    "  --format shp|gpkg shapefiles with .prj and .cpg (default), or one GeoPackage per layer\n"
    "  --seed S          seed of the generator (default 1)\n"
    "  --quiet           no progress, only the summary\n"
    "  --help            show this help\n";

std::int64_t parse_count(std::string_view option, const std::string& text, std::int64_t min,
                         std::int64_t max) {
    std::size_t used = 0;
    long long v = 0;
    try {
        v = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || v < min || v > max) {
        throw std::invalid_argument(std::string(option) + " wants a whole number from " +
                                    std::to_string(min) + " to " + std::to_string(max) +
                                    ", not \"" + text + "\"");
    }
    return v;
}

std::optional<Options> parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::cout << k_usage;
            return std::nullopt;
        } else if (arg == "--buildings") {
            o.buildings = parse_count(arg, value(), 1, 5000000);  // shapefiles stop at 2 GB
        } else if (arg == "--stations") {
            o.stations = static_cast<int>(parse_count(arg, value(), 0, 100000));
        } else if (arg == "--out") {
            o.out = value();
        } else if (arg == "--format") {
            o.format = value();
            if (o.format != "shp" && o.format != "gpkg") {
                throw std::invalid_argument("--format is shp or gpkg, not \"" + o.format + "\"");
            }
        } else if (arg == "--seed") {
            o.seed = static_cast<std::uint64_t>(
                parse_count(arg, value(), 0, std::numeric_limits<std::int64_t>::max()));
        } else if (arg == "--quiet") {
            o.quiet = true;
        } else {
            throw std::invalid_argument("unknown option " + std::string(arg) + " (see --help)");
        }
    }
    return o;
}

// ---------------------------------------------------------------------------------------------
// Random numbers: SplitMix64, fully specified here so that no standard-library distribution
// (whose algorithms differ between implementations) can change the output.
// ---------------------------------------------------------------------------------------------

constexpr std::uint64_t mix(std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

constexpr std::uint64_t mix(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
    return mix(mix(mix(a) ^ b) ^ c);
}

class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(seed) {}

    std::uint64_t next() {
        m_state += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = m_state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, 1).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Uniform in [lo, hi], both included.
    int integer(int lo, int hi) {
        return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }
    bool chance(double p) { return uniform() < p; }
    /// An index drawn with the given relative weights.
    template <std::size_t N>
    std::size_t weighted(const std::array<double, N>& weights) {
        double total = 0;
        for (double w : weights) total += w;
        double r = uniform() * total;
        for (std::size_t i = 0; i < N; ++i) {
            if (r < weights[i]) return i;
            r -= weights[i];
        }
        return N - 1;
    }

private:
    std::uint64_t m_state;
};

// ---------------------------------------------------------------------------------------------
// Names (UTF-8 here; OGR recodes them to GBK on write)
// ---------------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 48> k_words = {
    "和平", "解放", "中山",   "友谊",   "民主", "胜利", "建设",   "幸福",  "光明", "人民",
    "青年", "新华", "东风",   "红旗",   "团结", "文化", "复兴",   "长江",  "东湖", "珞珈",
    "紫阳", "首义", "临江",   "望江",   "晴川", "白沙", "粮道",   "积玉",  "徐东", "秦园",
    "中北", "洪山", "南湖",   "杨园",   "四美", "八一", "工农",   "武珞",  "楚雄", "黄鹤",
    "汉阳", "沙湖", "水果湖", "小东门", "大成", "宝通", "卓刀泉", "石牌岭"};

constexpr std::array<std::string_view, 24> k_compound_words = {
    "幸福", "阳光", "锦绣", "翠微", "金桥", "银河", "玉兰", "丹枫", "碧水", "和美", "春晖", "康居",
    "怡景", "绿洲", "书香", "江景", "福星", "百瑞", "紫荆", "华府", "桂园", "梅苑", "松涛", "福安"};

constexpr std::array<std::string_view, 8> k_compound_suffixes = {"小区", "花园", "家园", "新村",
                                                                 "公寓", "苑",   "雅居", "名邸"};

constexpr std::array<std::string_view, 12> k_community_suffixes = {
    "", "东", "西", "南", "北", "新村", "花园", "里", "苑", "坊", "路", "湖"};

constexpr std::array<std::string_view, 4> k_commercial_suffixes = {"商厦", "广场", "购物中心",
                                                                   "市场"};
constexpr std::array<std::string_view, 3> k_office_suffixes = {"大厦", "中心", "科技园"};

std::string chinese_number(int n) {
    static constexpr std::array<std::string_view, 10> digits = {"零", "一", "二", "三", "四",
                                                                "五", "六", "七", "八", "九"};
    if (n < 10) return std::string(digits[static_cast<std::size_t>(n)]);
    if (n < 20) return "十" + (n % 10 ? std::string(digits[static_cast<std::size_t>(n % 10)]) : "");
    if (n < 100) {
        return std::string(digits[static_cast<std::size_t>(n / 10)]) + "十" +
               (n % 10 ? std::string(digits[static_cast<std::size_t>(n % 10)]) : "");
    }
    return std::to_string(n);
}

template <std::size_t N>
std::string_view pick(const std::array<std::string_view, N>& list, std::uint64_t k) {
    return list[static_cast<std::size_t>(k % N)];
}

// ---------------------------------------------------------------------------------------------
// Layout: lattice lines every 64 m (x) and 60 m (y). Every 8th line is an arterial road, every
// 4th a secondary road, every 2nd a branch road, the others lanes; each line is split into one
// segment per block side. Blocks are the lattice cells; a few 2x2 sites are superblocks without
// inner lanes for large commercial and office complexes.
// ---------------------------------------------------------------------------------------------

constexpr double k_pitch_x_m = 64.0;
constexpr double k_pitch_y_m = 60.0;
constexpr double k_setback_m = 2.0;
constexpr double k_superblock_share = 0.03;
constexpr double k_invalid_share = 0.005;
constexpr int k_street_region_cells = 32;  // a street (街道) covers 32 x 32 blocks, ~4 km²
constexpr double k_center_lon = 114.3;
constexpr double k_center_lat = 30.6;
// Blocks' average building count, used only to make the city roughly square.
constexpr double k_expected_buildings_per_block = 6.9;

enum class RoadClass { arterial, secondary, branch, lane };

RoadClass road_class(int line) {
    if (line % 8 == 0) return RoadClass::arterial;
    if (line % 4 == 0) return RoadClass::secondary;
    if (line % 2 == 0) return RoadClass::branch;
    return RoadClass::lane;
}

double half_width_m(RoadClass c) {
    switch (c) {
        case RoadClass::arterial:
            return 10.0;
        case RoadClass::secondary:
            return 7.0;
        case RoadClass::branch:
            return 5.0;
        case RoadClass::lane:
            return 3.0;
    }
    return 3.0;
}

const char* road_class_name(RoadClass c) {
    switch (c) {
        case RoadClass::arterial:
            return "主干路";
        case RoadClass::secondary:
            return "次干路";
        case RoadClass::branch:
            return "支路";
        case RoadClass::lane:
            return "街巷";
    }
    return "街巷";
}

/// Name of lattice line `line`; vertical lines run north-south (街), horizontal ones east-west
/// (路).
std::string road_name(int line, bool vertical) {
    const RoadClass c = road_class(line);
    const auto base_index = static_cast<std::size_t>(line / 2) % k_words.size();
    const int round = line / 2 / static_cast<int>(k_words.size());
    std::string name(k_words[vertical ? (base_index * 7 + 3) % k_words.size() : base_index]);
    if (round > 0) name += chinese_number(round + 1);
    if (c == RoadClass::lane) return name + (vertical ? "巷" : "里");
    if (c == RoadClass::arterial) return name + "大道";
    return name + (vertical ? "街" : "路");
}

struct Point {
    double x;
    double y;
};
using Ring = std::vector<Point>;

struct Building {
    std::vector<Ring> rings;  // outer ring first; lattice-local metres
    std::string name;
    int floors = 1;
    int households = 0;
    int population = 0;
    const char* use = "住宅";
    bool invalid = false;
};

struct Box {
    double x0, y0, x1, y1;
    double width() const { return x1 - x0; }
    double height() const { return y1 - y0; }
};

class Lattice {
public:
    Lattice(std::uint64_t seed, int nx) : m_seed(seed), m_nx(nx) {}

    int nx() const { return m_nx; }
    static double x(int i) { return i * k_pitch_x_m; }
    static double y(int j) { return j * k_pitch_y_m; }

    /// Whether the 2x2 site whose south-west block is (i, j) (both even) is a superblock.
    bool is_superblock(int i, int j) const {
        if (i % 2 != 0 || j % 2 != 0 || i + 1 >= m_nx) return false;
        Rng rng(mix(m_seed, 0x5B5B,
                    static_cast<std::uint64_t>(j) * 1000003ULL + static_cast<std::uint64_t>(i)));
        return rng.chance(k_superblock_share);
    }
    bool in_superblock(int i, int j) const { return is_superblock(i & ~1, j & ~1); }

    /// The buildable area of the blocks from (i0, j0) to (i1, j1), inside the road widths.
    static Box interior(int i0, int j0, int i1, int j1) {
        return {x(i0) + half_width_m(road_class(i0)) + k_setback_m,
                y(j0) + half_width_m(road_class(j0)) + k_setback_m,
                x(i1 + 1) - half_width_m(road_class(i1 + 1)) - k_setback_m,
                y(j1 + 1) - half_width_m(road_class(j1 + 1)) - k_setback_m};
    }

    /// The buildings of block (i, j); a superblock's buildings all belong to its south-west block.
    void generate(int i, int j, std::vector<Building>& out) const;

private:
    std::uint64_t m_seed;
    int m_nx;
};

// Shapes are made around the origin, counter-clockwise, then rotated and moved.
Ring rectangle(double w, double h) {
    return {{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}};
}

Ring l_shape(Rng& rng, double w, double h) {
    const double a = w * rng.uniform(0.35, 0.55);
    const double b = h * rng.uniform(0.35, 0.55);
    Ring r = {{-w / 2, -h / 2},       {w / 2, -h / 2},    {w / 2, h / 2 - b},
              {w / 2 - a, h / 2 - b}, {w / 2 - a, h / 2}, {-w / 2, h / 2}};
    const bool flip_x = rng.chance(0.5);
    const bool flip_y = rng.chance(0.5);
    for (auto& p : r) {
        if (flip_x) p.x = -p.x;
        if (flip_y) p.y = -p.y;
    }
    if (flip_x != flip_y) std::reverse(r.begin(), r.end());
    return r;
}

Ring t_shape(Rng& rng, double w, double h) {
    const double s = w * rng.uniform(0.35, 0.5);
    const double d = h * rng.uniform(0.35, 0.5);
    Ring r = {{-s / 2, -h / 2}, {s / 2, -h / 2}, {s / 2, h / 2 - d},  {w / 2, h / 2 - d},
              {w / 2, h / 2},   {-w / 2, h / 2}, {-w / 2, h / 2 - d}, {-s / 2, h / 2 - d}};
    if (rng.chance(0.5)) {
        for (auto& p : r) p.y = -p.y;
        std::reverse(r.begin(), r.end());
    }
    return r;
}

Ring u_shape(Rng& rng, double w, double h) {
    const double t = w * rng.uniform(0.25, 0.35);
    const double b = h * rng.uniform(0.3, 0.45);
    return {{-w / 2, -h / 2},    {w / 2, -h / 2},         {w / 2, h / 2},
            {w / 2 - t, h / 2},  {w / 2 - t, -h / 2 + b}, {-w / 2 + t, -h / 2 + b},
            {-w / 2 + t, h / 2}, {-w / 2, h / 2}};
}

Ring cross_shape(Rng& rng, double w, double h) {
    const double vb = w * rng.uniform(0.35, 0.5);
    const double hb = h * rng.uniform(0.35, 0.5);
    return {{-vb / 2, -h / 2}, {vb / 2, -h / 2}, {vb / 2, -hb / 2}, {w / 2, -hb / 2},
            {w / 2, hb / 2},   {vb / 2, hb / 2}, {vb / 2, h / 2},   {-vb / 2, h / 2},
            {-vb / 2, hb / 2}, {-w / 2, hb / 2}, {-w / 2, -hb / 2}, {-vb / 2, -hb / 2}};
}

/// A self-intersecting "bow-tie": the rectangle's top corners swapped.
Ring bow_tie(double w, double h) {
    return {{-w / 2, -h / 2}, {w / 2, -h / 2}, {-w / 2, h / 2}, {w / 2, h / 2}};
}

enum class Shape { rectangle, l_shape, t_shape, u_shape, cross, courtyard };

struct Footprint {
    std::vector<Ring> rings;
    double area_m2 = 0;
    bool invalid = false;
};

/// A building of kind `shape` with bounding box w x h (metres) placed in `lot`, turned by up to
/// `max_turn_deg` when it still fits; ~0.5% come out as bow-ties instead.
Footprint place(Rng& rng, Shape shape, double w, double h, const Box& lot, double max_turn_deg) {
    w = std::clamp(w, 1.0, lot.width());
    h = std::clamp(h, 1.0, lot.height());
    double turn = 0;
    if (max_turn_deg > 0) {
        turn = rng.uniform(-max_turn_deg, max_turn_deg) * std::numbers::pi / 180.0;
        const double c = std::fabs(std::cos(turn));
        const double s = std::fabs(std::sin(turn));
        const double bw = w * c + h * s;
        const double bh = w * s + h * c;
        const double scale = std::min({1.0, lot.width() / bw, lot.height() / bh});
        if (std::min(w, h) * scale >= 10.0) {
            w *= scale;
            h *= scale;
        } else {
            turn = 0;
        }
    }
    const double c = std::cos(turn);
    const double s = std::sin(turn);
    const double bw = w * std::fabs(c) + h * std::fabs(s);
    const double bh = w * std::fabs(s) + h * std::fabs(c);
    const double cx = lot.x0 + bw / 2 + rng.uniform() * std::max(0.0, lot.width() - bw);
    const double cy = lot.y0 + bh / 2 + rng.uniform() * std::max(0.0, lot.height() - bh);

    Footprint f;
    if (rng.chance(k_invalid_share)) {
        f.rings.push_back(bow_tie(w, h));
        f.invalid = true;
    } else {
        switch (shape) {
            case Shape::rectangle:
                f.rings.push_back(rectangle(w, h));
                break;
            case Shape::l_shape:
                f.rings.push_back(l_shape(rng, w, h));
                break;
            case Shape::t_shape:
                f.rings.push_back(t_shape(rng, w, h));
                break;
            case Shape::u_shape:
                f.rings.push_back(u_shape(rng, w, h));
                break;
            case Shape::cross:
                f.rings.push_back(cross_shape(rng, w, h));
                break;
            case Shape::courtyard: {
                f.rings.push_back(rectangle(w, h));
                const double mx = rng.uniform(7.0, std::max(7.0, (w - 8.0) / 2));
                const double my = rng.uniform(7.0, std::max(7.0, (h - 8.0) / 2));
                Ring hole = rectangle(w - 2 * mx, h - 2 * my);
                std::reverse(hole.begin(), hole.end());
                f.rings.push_back(std::move(hole));
                break;
            }
        }
    }
    for (auto& ring : f.rings) {
        double ring_area = 0;
        for (std::size_t k = 0; k < ring.size(); ++k) {
            const Point& a = ring[k];
            const Point& b = ring[(k + 1) % ring.size()];
            ring_area += a.x * b.y - b.x * a.y;
        }
        f.area_m2 += ring_area / 2;
        for (auto& p : ring) {
            const double x = p.x * c - p.y * s + cx;
            const double y = p.x * s + p.y * c + cy;
            p = {std::round(x * 1000) / 1000, std::round(y * 1000) / 1000};
        }
    }
    f.area_m2 = std::fabs(f.area_m2);
    return f;
}

/// Households of a dwelling from its footprint: ~90 m² gross per flat, at least one per floor.
int dwelling_households(Rng& rng, double footprint_m2, int floors) {
    const int per_floor = std::max(1, static_cast<int>(std::lround(footprint_m2 * 0.8 / 90.0)));
    const int vacant = rng.integer(0, std::max(0, per_floor * floors / 20));
    return std::max(1, per_floor * floors - vacant);
}

std::string compound_name(std::uint64_t h) {
    return std::string(pick(k_compound_words, h)) +
           std::string(pick(k_compound_suffixes, h / k_compound_words.size()));
}

std::vector<Box> lots(const Box& area, int cols, int rows) {
    std::vector<Box> out;
    const double w = area.width() / cols;
    const double h = area.height() / rows;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            out.push_back(
                {area.x0 + c * w, area.y0 + r * h, area.x0 + (c + 1) * w, area.y0 + (r + 1) * h});
        }
    }
    return out;
}

Box shrink(const Box& b, double m) { return {b.x0 + m, b.y0 + m, b.x1 - m, b.y1 - m}; }

void add(std::vector<Building>& out, Footprint f, std::string name, int floors, const char* use,
         int households, Rng& rng) {
    Building b;
    b.rings = std::move(f.rings);
    b.invalid = f.invalid;
    b.name = std::move(name);
    b.floors = floors;
    b.use = use;
    b.households = households;
    b.population =
        households > 0 ? static_cast<int>(std::lround(households * rng.uniform(2.2, 3.1))) : 0;
    out.push_back(std::move(b));
}

void Lattice::generate(int i, int j, std::vector<Building>& out) const {
    out.clear();
    const std::uint64_t key =
        static_cast<std::uint64_t>(j) * 1000003ULL + static_cast<std::uint64_t>(i);
    Rng rng(mix(m_seed, 0xB10C, key));

    if (in_superblock(i, j)) {
        if (i % 2 != 0 || j % 2 != 0) return;
        const bool office = rng.chance(0.5);
        const std::string base = std::string(pick(k_words, rng.next())) +
                                 std::string(office ? pick(k_office_suffixes, rng.next())
                                                    : pick(k_commercial_suffixes, rng.next()));
        const auto parts = lots(interior(i, j, i + 1, j + 1), 2, 2);
        const int count = rng.integer(2, 4);
        for (int k = 0; k < count; ++k) {
            const Box lot = shrink(parts[static_cast<std::size_t>(k)], 2.0);
            const double w = rng.uniform(30.0, std::min(60.0, lot.width()));
            const double h = rng.uniform(30.0, std::min(60.0, lot.height()));
            const Shape shape = rng.chance(0.5)   ? Shape::courtyard
                                : rng.chance(0.5) ? Shape::u_shape
                                                  : Shape::rectangle;
            auto f = place(rng, shape, w, h, lot, 0);
            const int floors = office ? rng.integer(12, 33) : rng.integer(3, 8);
            add(out, std::move(f), base + std::string(1, static_cast<char>('A' + k)) + "座", floors,
                office ? "办公" : "商业", 0, rng);
        }
        return;
    }

    const Box area = interior(i, j, i, j);
    // Block kinds: old low-rise streets, multi-storey estate, high-rise estate, shops, offices.
    const std::size_t kind = rng.weighted(std::array<double, 5>{40, 35, 8, 9, 8});
    switch (kind) {
        case 0: {  // 老街区: small houses on 4 x 3 lots, house numbers along the southern road
            const std::string road = road_name(j, false);
            const auto parts = lots(area, 4, 3);
            for (std::size_t k = 0; k < parts.size(); ++k) {
                if (!rng.chance(0.93)) continue;
                const Box lot = shrink(parts[k], 0.6);
                const double w = rng.uniform(10.0, std::max(10.0, lot.width()));
                const double h = rng.uniform(10.0, std::max(10.0, lot.height()));
                const double r = rng.uniform();
                const Shape shape = r < 0.7 ? Shape::rectangle : Shape::l_shape;
                auto f = place(rng, shape, w, h, lot, r < 0.25 ? 20.0 : 0.0);
                const std::string name =
                    road + std::to_string(i * 12 + static_cast<int>(k) + 1) + "号";
                if (rng.chance(0.15)) {
                    add(out, std::move(f), name, rng.integer(1, 3), "商业", 0, rng);
                } else {
                    const int floors = static_cast<int>(
                        1 + rng.weighted(std::array<double, 6>{10, 25, 25, 15, 15, 10}));
                    const int hh = dwelling_households(rng, f.area_m2, floors);
                    add(out, std::move(f), name, floors, "住宅", hh, rng);
                }
            }
            break;
        }
        case 1: {  // 多层小区: rows of 5-7 storey slabs facing south
            const std::string estate = compound_name(rng.next());
            const bool long_slabs = rng.chance(0.2);
            const auto parts = lots(area, long_slabs ? 1 : 2, 3);
            int n = 0;
            for (const Box& part : parts) {
                const Box lot = shrink(part, 1.0);
                const double w = rng.uniform(std::min(lot.width(), long_slabs ? 30.0 : 14.0),
                                             std::min(60.0, lot.width()));
                const double h = rng.uniform(10.0, std::min(12.5, lot.height()));
                const double r = rng.uniform();
                const Shape shape = r < 0.7 ? Shape::rectangle : Shape::l_shape;
                auto f = place(rng, shape, w, h, lot, r > 0.9 ? 8.0 : 0.0);
                const int floors = rng.chance(0.85) ? rng.integer(5, 7) : rng.integer(8, 11);
                const int hh = dwelling_households(rng, f.area_m2, floors);
                add(out, std::move(f), estate + std::to_string(++n) + "栋", floors, "住宅", hh,
                    rng);
            }
            break;
        }
        case 2: {  // 高层小区: point towers
            const std::string estate = compound_name(rng.next());
            int n = 0;
            for (const Box& part : lots(area, 2, 2)) {
                const Box lot = shrink(part, 1.5);
                const double w = rng.uniform(15.0, std::max(15.0, lot.width()));
                const double h = rng.uniform(15.0, std::max(15.0, lot.height()));
                const double r = rng.uniform();
                const Shape shape = r < 0.35  ? Shape::cross
                                    : r < 0.7 ? Shape::t_shape
                                              : Shape::rectangle;
                auto f = place(rng, shape, w, h, lot, 0);
                const int floors = rng.integer(18, 33);
                const int hh = floors * rng.integer(2, 3);
                add(out, std::move(f), estate + std::to_string(++n) + "栋", floors, "住宅", hh,
                    rng);
            }
            break;
        }
        case 3: {  // 商业: one or two larger buildings
            const std::string base = std::string(pick(k_words, rng.next())) +
                                     std::string(pick(k_commercial_suffixes, rng.next()));
            const int count = rng.chance(0.6) ? 1 : 2;
            const auto parts = lots(area, count, 1);
            for (int k = 0; k < count; ++k) {
                const Box lot = shrink(parts[static_cast<std::size_t>(k)], 1.0);
                const double w =
                    rng.uniform(std::min(20.0, lot.width()), std::min(60.0, lot.width()));
                const double h =
                    rng.uniform(std::min(20.0, lot.height()), std::min(60.0, lot.height()));
                const double r = rng.uniform();
                Shape shape = r < 0.3   ? Shape::u_shape
                              : r < 0.6 ? Shape::courtyard
                              : r < 0.8 ? Shape::l_shape
                                        : Shape::rectangle;
                if (shape == Shape::courtyard && std::min(w, h) < 24.0) shape = Shape::rectangle;
                auto f = place(rng, shape, w, h, lot, 0);
                add(out, std::move(f), count == 1 ? base : base + std::to_string(k + 1) + "号楼",
                    rng.integer(1, 6), "商业", 0, rng);
            }
            break;
        }
        default: {  // 办公: one tower
            const std::string name = std::string(pick(k_words, rng.next())) +
                                     std::string(pick(k_office_suffixes, rng.next()));
            const Box lot = shrink(area, 2.0);
            const double w = rng.uniform(20.0, std::min(40.0, lot.width()));
            const double h = rng.uniform(20.0, std::min(40.0, lot.height()));
            const double r = rng.uniform();
            Shape shape = r < 0.25   ? Shape::t_shape
                          : r < 0.45 ? Shape::cross
                          : r < 0.65 ? Shape::courtyard
                                     : Shape::rectangle;
            if (shape == Shape::courtyard && std::min(w, h) < 24.0) shape = Shape::rectangle;
            auto f = place(rng, shape, w, h, lot, rng.chance(0.2) ? 15.0 : 0.0);
            add(out, std::move(f), name, rng.integer(10, 33), "办公", 0, rng);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Administrative division: streets (街道) of 32 x 32 blocks; inside each, strips two blocks high
// are cut west to east into grid cells (网格) of ~300-500 households, and consecutive grid cells
// are grouped into communities (社区) of ~1,000-3,000 households.
// ---------------------------------------------------------------------------------------------

struct GridCell {
    int i0 = 0, i1 = 0, j = 0;  // blocks i0..i1 of rows j and j+1
    std::int64_t households = 0;
    int community = 0;  // index into Division::communities
    int number = 0;     // within the community
};

struct Community {
    std::string name;
    std::string code;
    int street = 0;
};

struct Street {
    std::string name;
    std::string code;
};

struct Division {
    std::vector<Street> streets;
    std::vector<Community> communities;
    std::vector<GridCell> cells;
};

/// Cuts a run of weights (households) into consecutive parts near `target`, preferring parts within
/// [lo, hi]; returns each part's end (exclusive). `can_cut(k)` says whether a part may end after k.
template <typename CanCut>
std::vector<std::size_t> partition(const std::vector<std::int64_t>& weights, double lo,
                                   double target, double hi, CanCut can_cut) {
    auto cost = [&](double x) {
        return std::fabs(x - target) + 3 * std::max(0.0, lo - x) + 3 * std::max(0.0, x - hi);
    };
    std::vector<std::size_t> ends;
    std::vector<double> sums;
    double sum = 0;
    for (std::size_t k = 0; k < weights.size(); ++k) {
        sum += static_cast<double>(weights[k]);
        if (k + 1 == weights.size()) break;
        if (!can_cut(k)) continue;
        if (cost(sum) < cost(sum + static_cast<double>(weights[k + 1]))) {
            ends.push_back(k + 1);
            sums.push_back(sum);
            sum = 0;
        }
    }
    // The tail joins the part before it when that is closer to the norm.
    if (!ends.empty() && cost(sums.back() + sum) <= cost(sums.back()) + cost(sum)) ends.pop_back();
    ends.push_back(weights.size());
    return ends;
}

Division divide(const Lattice& lattice, int ny, const std::vector<std::int64_t>& block_households) {
    const int nx = lattice.nx();
    auto households = [&](int i, int j) {
        return block_households[static_cast<std::size_t>(j) * static_cast<std::size_t>(nx) +
                                static_cast<std::size_t>(i)];
    };
    Division d;
    for (int rj = 0; rj < ny; rj += k_street_region_cells) {
        for (int ri = 0; ri < nx; ri += k_street_region_cells) {
            const int ri1 = std::min(nx, ri + k_street_region_cells);
            const int rj1 = std::min(ny, rj + k_street_region_cells);
            const auto street_index = static_cast<int>(d.streets.size());
            const int street_no = street_index + 1;
            char code[24];
            std::snprintf(code, sizeof code, "420106%03d", street_no);
            const int round = street_index / static_cast<int>(k_words.size());
            d.streets.push_back(
                {std::string(
                     k_words[static_cast<std::size_t>(street_index * 5 + 11) % k_words.size()]) +
                     (round > 0 ? chinese_number(round + 1) : "") + "街道",
                 code});

            // Grid cells: each strip of two block rows, cut west to east between block columns.
            const std::size_t first_cell = d.cells.size();
            for (int j = rj; j < rj1; j += 2) {
                std::vector<std::int64_t> columns;
                for (int i = ri; i < ri1; ++i)
                    columns.push_back(households(i, j) + households(i, j + 1));
                // A superblock is never cut through.
                const auto ends = partition(columns, 300, 400, 500, [&](std::size_t k) {
                    const int i = ri + static_cast<int>(k);
                    return !(i % 2 == 0 && lattice.in_superblock(i, j));
                });
                std::size_t begin = 0;
                for (std::size_t end : ends) {
                    GridCell cell;
                    cell.i0 = ri + static_cast<int>(begin);
                    cell.i1 = ri + static_cast<int>(end) - 1;
                    cell.j = j;
                    for (std::size_t k = begin; k < end; ++k) cell.households += columns[k];
                    d.cells.push_back(cell);
                    begin = end;
                }
            }

            // Communities: consecutive grid cells of the street.
            std::vector<std::int64_t> cell_households;
            for (std::size_t c = first_cell; c < d.cells.size(); ++c) {
                cell_households.push_back(d.cells[c].households);
            }
            const auto ends =
                partition(cell_households, 1000, 2000, 3000, [](std::size_t) { return true; });
            std::size_t begin = 0;
            int community_no = 0;
            for (std::size_t end : ends) {
                const auto index = static_cast<int>(d.communities.size());
                const auto global = static_cast<std::uint64_t>(index);
                std::string name =
                    std::string(pick(k_words, global * 13 + 5)) +
                    std::string(pick(k_community_suffixes, global / k_words.size())) + "社区";
                char ccode[40];
                std::snprintf(ccode, sizeof ccode, "%s-%03d", code, ++community_no);
                d.communities.push_back({std::move(name), ccode, street_index});
                int n = 0;
                for (std::size_t c = first_cell + begin; c < first_cell + end; ++c) {
                    d.cells[c].community = index;
                    d.cells[c].number = ++n;
                }
                begin = end;
            }
        }
    }
    return d;
}

// ---------------------------------------------------------------------------------------------
// Output through OGR
// ---------------------------------------------------------------------------------------------

/// Collects GDAL messages so that a warning while writing (a truncated value, say) fails the run
/// instead of scrolling past.
class GdalMessages {
public:
    GdalMessages() { CPLPushErrorHandlerEx(&GdalMessages::handler, this); }
    ~GdalMessages() { CPLPopErrorHandler(); }
    GdalMessages(const GdalMessages&) = delete;
    GdalMessages& operator=(const GdalMessages&) = delete;

    void check(const std::string& what) {
        if (m_messages.empty()) return;
        std::string text = what + ": GDAL reported";
        for (const auto& m : m_messages) text += "\n  " + m;
        m_messages.clear();
        throw std::runtime_error(text);
    }

private:
    static void CPL_STDCALL handler(CPLErr level, CPLErrorNum, const char* message) {
        auto* self = static_cast<GdalMessages*>(CPLGetErrorHandlerUserData());
        if (level >= CE_Warning && self->m_messages.size() < 20)
            self->m_messages.emplace_back(message);
    }
    std::vector<std::string> m_messages;
};

struct FieldSpec {
    const char* name;
    OGRFieldType type;
    int width;
    int precision = 0;
};

class LayerFile {
public:
    LayerFile(const std::filesystem::path& dir, const std::string& name, const Options& o,
              OGRSpatialReference& srs, OGRwkbGeometryType type,
              const std::vector<FieldSpec>& fields)
        : m_gpkg(o.format == "gpkg") {
        const char* driver_name = m_gpkg ? "GPKG" : "ESRI Shapefile";
        GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(driver_name);
        if (!driver)
            throw std::runtime_error(std::string("GDAL has no ") + driver_name + " driver");
        m_path = dir / (name + (m_gpkg ? ".gpkg" : ".shp"));
        if (std::filesystem::exists(m_path)) {
            CPLPushErrorHandler(CPLQuietErrorHandler);
            driver->Delete(m_path.c_str());
            CPLPopErrorHandler();
            std::filesystem::remove(m_path);
        }
        m_ds.reset(driver->Create(m_path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!m_ds)
            throw std::runtime_error("cannot create " + m_path.string() + ": " +
                                     CPLGetLastErrorMsg());
        CPLStringList options;
        if (m_gpkg) {
            options.SetNameValue("SPATIAL_INDEX", "YES");
        } else {
            options.SetNameValue("ENCODING", "CP936");
            options.SetNameValue("SPATIAL_INDEX", "NO");
            // A fixed DBF date keeps the output identical from run to run.
            options.SetNameValue("DBF_DATE_LAST_UPDATE", "2024-01-01");
        }
        m_layer = m_ds->CreateLayer(name.c_str(), &srs, type, options.List());
        if (!m_layer)
            throw std::runtime_error("cannot create layer " + name + ": " + CPLGetLastErrorMsg());
        for (const auto& f : fields) {
            OGRFieldDefn defn(f.name, f.type);
            defn.SetWidth(f.width);
            defn.SetPrecision(f.precision);
            if (m_layer->CreateField(&defn) != OGRERR_NONE) {
                throw std::runtime_error("cannot create field " + std::string(f.name) + " in " +
                                         name);
            }
        }
        if (m_gpkg && m_layer->StartTransaction() != OGRERR_NONE) {
            throw std::runtime_error("cannot start a transaction on " + m_path.string());
        }
        m_feature.reset(OGRFeature::CreateFeature(m_layer->GetLayerDefn()));
    }

    OGRFeature& feature() { return *m_feature; }

    void write(std::unique_ptr<OGRGeometry> geometry) {
        m_feature->SetFID(OGRNullFID);
        m_feature->SetGeometryDirectly(geometry.release());
        if (m_layer->CreateFeature(m_feature.get()) != OGRERR_NONE) {
            throw std::runtime_error("cannot write a feature to " + m_path.string() + ": " +
                                     CPLGetLastErrorMsg());
        }
        ++m_count;
    }

    std::int64_t close() {
        if (m_gpkg && m_layer->CommitTransaction() != OGRERR_NONE) {
            throw std::runtime_error("cannot commit " + m_path.string());
        }
        m_feature.reset();
        m_ds.reset();  // flushes; failures surface through GdalMessages
        return m_count;
    }

private:
    bool m_gpkg;
    std::filesystem::path m_path;
    GDALDatasetUniquePtr m_ds;
    OGRLayer* m_layer = nullptr;
    OGRFeatureUniquePtr m_feature;
    std::int64_t m_count = 0;
};

/// Shapefiles want clockwise outer rings and counter-clockwise holes.
std::unique_ptr<OGRPolygon> polygon(const std::vector<Ring>& rings, double dx, double dy) {
    auto poly = std::make_unique<OGRPolygon>();
    for (std::size_t r = 0; r < rings.size(); ++r) {
        const Ring& ring = rings[r];
        double twice_area = 0;
        for (std::size_t k = 0; k < ring.size(); ++k) {
            const Point& a = ring[k];
            const Point& b = ring[(k + 1) % ring.size()];
            twice_area += a.x * b.y - b.x * a.y;
        }
        const bool reverse = r == 0 ? twice_area > 0 : twice_area < 0;
        auto lr = std::make_unique<OGRLinearRing>();
        const int n = static_cast<int>(ring.size());
        lr->setNumPoints(n + 1, FALSE);
        for (int k = 0; k < n; ++k) {
            const Point& p = ring[static_cast<std::size_t>(reverse ? n - 1 - k : k)];
            lr->setPoint(k, p.x + dx, p.y + dy);
        }
        lr->setPoint(n, lr->getX(0), lr->getY(0));
        poly->addRingDirectly(lr.release());
    }
    return poly;
}

class Progress {
public:
    Progress(bool quiet, std::string what, std::int64_t total)
        : m_quiet(quiet),
          m_tty(isatty(STDERR_FILENO) == 1),
          m_what(std::move(what)),
          m_total(total) {}

    void update(std::int64_t done) {
        if (m_quiet || m_total <= 0) return;
        const int percent = static_cast<int>(done * 100 / m_total);
        if (m_tty) {
            if (percent == m_last) return;
            std::fprintf(stderr, "\r%-12s %3d%%", m_what.c_str(), percent);
            if (done == m_total) std::fputc('\n', stderr);
        } else {
            if (percent / 25 == m_last / 25 && done != m_total) return;
            if (done == m_total && m_last == 100) return;
            std::fprintf(stderr, "%-12s %3d%%\n", m_what.c_str(), percent);
        }
        m_last = percent;
    }

private:
    bool m_quiet;
    bool m_tty;
    std::string m_what;
    std::int64_t m_total;
    int m_last = -1;
};

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

struct Summary {
    std::int64_t buildings = 0, invalid = 0, with_hole = 0, households = 0, population = 0;
    std::int64_t grid_cells = 0, communities = 0, streets = 0, stations = 0, roads = 0;
    int nx = 0, ny = 0;
    double min_lon = 0, min_lat = 0, max_lon = 0, max_lat = 0;
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
};

Summary run(const Options& o) {
    GDALAllRegister();
    // GeoPackages stamp the time of writing; a fixed one keeps the output reproducible.
    CPLSetConfigOption("OGR_CURRENT_DATE", "2024-01-01T00:00:00.000Z");
    GdalMessages messages;

    OGRSpatialReference gk;
    OGRSpatialReference geographic;
    if (gk.importFromEPSG(4526) != OGRERR_NONE || geographic.importFromEPSG(4490) != OGRERR_NONE) {
        throw std::runtime_error("PROJ does not know EPSG:4526 or EPSG:4490");
    }
    gk.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    geographic.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> to_gk(
        OGRCreateCoordinateTransformation(&geographic, &gk));
    std::unique_ptr<OGRCoordinateTransformation> to_geo(
        OGRCreateCoordinateTransformation(&gk, &geographic));
    if (!to_gk || !to_geo)
        throw std::runtime_error("cannot transform between EPSG:4490 and EPSG:4526");
    messages.check("setting up the coordinate systems");

    // Pass 1: every block's buildings, counted until N, to size the city and divide it.
    const int nx = std::max(
        2, 2 * static_cast<int>(
                   std::ceil(std::sqrt(static_cast<double>(o.buildings) /
                                       k_expected_buildings_per_block * k_pitch_y_m / k_pitch_x_m) /
                             2)));
    const Lattice lattice(o.seed, nx);
    std::vector<std::int64_t> block_households;
    std::vector<int> block_take;  // buildings taken from each block (the last one may be cut)
    std::vector<Building> scratch;
    std::int64_t total = 0;
    for (int j = 0; total < o.buildings; ++j) {
        for (int i = 0; i < nx; ++i) {
            lattice.generate(i, j, scratch);
            const auto take = static_cast<int>(std::min<std::int64_t>(
                static_cast<std::int64_t>(scratch.size()), o.buildings - total));
            std::int64_t hh = 0;
            for (int k = 0; k < take; ++k) hh += scratch[static_cast<std::size_t>(k)].households;
            block_households.push_back(hh);
            block_take.push_back(take);
            total += take;
        }
    }
    int ny = static_cast<int>(block_take.size()) / nx;
    if (ny % 2 != 0) ++ny;
    block_households.resize(static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny), 0);
    block_take.resize(block_households.size(), 0);
    const Division division = divide(lattice, ny, block_households);

    // The lattice is centred on the city centre, on whole metres.
    double cx = k_center_lon;
    double cy = k_center_lat;
    if (!to_gk->Transform(1, &cx, &cy)) throw std::runtime_error("cannot project the city centre");
    const double x0 = std::round(cx - Lattice::x(nx) / 2);
    const double y0 = std::round(cy - Lattice::y(ny) / 2);

    Summary s;
    s.nx = nx;
    s.ny = ny;
    s.min_x = x0;
    s.min_y = y0;
    s.max_x = x0 + Lattice::x(nx);
    s.max_y = y0 + Lattice::y(ny);
    {
        double xs[4] = {s.min_x, s.max_x, s.max_x, s.min_x};
        double ys[4] = {s.min_y, s.min_y, s.max_y, s.max_y};
        if (!to_geo->Transform(4, xs, ys)) throw std::runtime_error("cannot unproject the extent");
        s.min_lon = *std::min_element(xs, xs + 4);
        s.max_lon = *std::max_element(xs, xs + 4);
        s.min_lat = *std::min_element(ys, ys + 4);
        s.max_lat = *std::max_element(ys, ys + 4);
    }
    std::filesystem::create_directories(o.out);

    // Buildings (pass 2: the same blocks again, now written).
    {
        LayerFile file(o.out, "buildings", o, gk, wkbPolygon,
                       {{"名称", OFTString, 60},
                        {"层数", OFTInteger, 4},
                        {"户数", OFTInteger, 6},
                        {"人口", OFTInteger, 7},
                        {"用途", OFTString, 8}});
        Progress progress(o.quiet, "buildings", o.buildings);
        OGRFeature& f = file.feature();
        for (std::size_t b = 0; b < block_take.size(); ++b) {
            if (block_take[b] == 0) continue;
            const int i = static_cast<int>(b % static_cast<std::size_t>(nx));
            const int j = static_cast<int>(b / static_cast<std::size_t>(nx));
            lattice.generate(i, j, scratch);
            for (int k = 0; k < block_take[b]; ++k) {
                const Building& bld = scratch[static_cast<std::size_t>(k)];
                f.SetField(0, bld.name.c_str());
                f.SetField(1, bld.floors);
                f.SetField(2, bld.households);
                f.SetField(3, bld.population);
                f.SetField(4, bld.use);
                file.write(polygon(bld.rings, x0, y0));
                s.invalid += bld.invalid ? 1 : 0;
                s.with_hole += bld.rings.size() > 1 ? 1 : 0;
                s.households += bld.households;
                s.population += bld.population;
            }
            progress.update(s.buildings += block_take[b]);
        }
        file.close();
        messages.check("writing buildings");
    }

    // Grid cells.
    std::vector<int> block_cell(block_take.size(), 0);
    {
        LayerFile file(o.out, "grid_cells", o, gk, wkbPolygon,
                       {{"网格编码", OFTString, 20},
                        {"网格名称", OFTString, 60},
                        {"社区", OFTString, 40},
                        {"街道", OFTString, 40},
                        {"网格员", OFTString, 20}});
        OGRFeature& f = file.feature();
        int worker = 0;
        for (std::size_t c = 0; c < division.cells.size(); ++c) {
            const GridCell& cell = division.cells[c];
            const Community& community =
                division.communities[static_cast<std::size_t>(cell.community)];
            const Street& street = division.streets[static_cast<std::size_t>(community.street)];
            char code[40];
            std::snprintf(code, sizeof code, "%s-%02d", community.code.c_str(), cell.number);
            char worker_name[32];
            std::snprintf(worker_name, sizeof worker_name, "网格员%04d", ++worker);
            f.SetField(0, code);
            f.SetField(1, (community.name + "第" + std::to_string(cell.number) + "网格").c_str());
            f.SetField(2, community.name.c_str());
            f.SetField(3, street.name.c_str());
            f.SetField(4, worker_name);
            const Box box{Lattice::x(cell.i0), Lattice::y(cell.j), Lattice::x(cell.i1 + 1),
                          Lattice::y(cell.j + 2)};
            file.write(
                polygon({{{box.x0, box.y0}, {box.x1, box.y0}, {box.x1, box.y1}, {box.x0, box.y1}}},
                        x0, y0));
            for (int j = cell.j; j < cell.j + 2; ++j) {
                for (int i = cell.i0; i <= cell.i1; ++i) {
                    block_cell[static_cast<std::size_t>(j) * static_cast<std::size_t>(nx) +
                               static_cast<std::size_t>(i)] = static_cast<int>(c);
                }
            }
        }
        s.grid_cells = file.close();
        s.communities = static_cast<std::int64_t>(division.communities.size());
        s.streets = static_cast<std::int64_t>(division.streets.size());
        messages.check("writing grid_cells");
    }

    // Stations: spread evenly over the built-up rows, by the road at a block's south-west corner.
    {
        LayerFile file(
            o.out, "stations", o, gk, wkbPoint,
            {{"名称", OFTString, 60}, {"类型", OFTString, 20}, {"面积", OFTReal, 10, 1}});
        OGRFeature& f = file.feature();
        constexpr std::array<std::string_view, 4> types = {"社区服务站", "卫生服务站", "警务室",
                                                           "养老服务站"};
        constexpr std::array<std::string_view, 4> short_names = {"服务站", "卫生服务站", "警务室",
                                                                 "养老服务站"};
        // Floor-area minimums of the standards, and a typical upper end.
        constexpr std::array<double, 4> minimum = {150, 150, 50, 200};
        constexpr std::array<double, 4> maximum = {600, 400, 150, 500};
        int built_rows = 0;
        for (std::size_t b = 0; b < block_take.size(); ++b) {
            if (block_take[b] > 0)
                built_rows = static_cast<int>(b / static_cast<std::size_t>(nx)) + 1;
        }
        const int across = std::max(1, static_cast<int>(std::lround(std::sqrt(
                                           o.stations * static_cast<double>(nx) / built_rows))));
        const int down = (o.stations + across - 1) / across;
        Rng rng(mix(o.seed, 0x57A7));
        for (int n = 0; n < o.stations; ++n) {
            const int a = n % across;
            const int d = n / across;
            const int i =
                std::clamp(static_cast<int>((a + rng.uniform(0.2, 0.8)) * nx / across), 0, nx - 1);
            const int j =
                std::clamp(static_cast<int>((d + rng.uniform(0.2, 0.8)) * built_rows / down), 0,
                           built_rows - 1);
            const std::size_t type = rng.weighted(std::array<double, 4>{35, 25, 20, 20});
            const Community& community = division.communities[static_cast<std::size_t>(
                division
                    .cells[static_cast<std::size_t>(
                        block_cell[static_cast<std::size_t>(j) * static_cast<std::size_t>(nx) +
                                   static_cast<std::size_t>(i)])]
                    .community)];
            // About one in ten falls short of its standard, so that checks have something to find.
            const double area = rng.chance(0.1) ? rng.uniform(0.5, 0.95) * minimum[type]
                                                : rng.uniform(minimum[type], maximum[type]);
            f.SetField(0, (community.name + std::string(short_names[type])).c_str());
            f.SetField(1, std::string(types[type]).c_str());
            f.SetField(2, std::round(area * 10) / 10);
            const Box in = Lattice::interior(i, j, i, j);
            file.write(std::make_unique<OGRPoint>(x0 + in.x0 + rng.uniform(1, 6),
                                                  y0 + in.y0 + rng.uniform(1, 6)));
        }
        s.stations = file.close();
        messages.check("writing stations");
    }

    // Roads: every lattice line, one segment per block side; no lanes inside superblocks.
    {
        LayerFile file(o.out, "roads", o, gk, wkbLineString,
                       {{"名称", OFTString, 40}, {"等级", OFTString, 10}});
        OGRFeature& f = file.feature();
        auto segment = [&](double ax, double ay, double bx, double by) {
            auto line = std::make_unique<OGRLineString>();
            line->setNumPoints(2, FALSE);
            line->setPoint(0, x0 + ax, y0 + ay);
            line->setPoint(1, x0 + bx, y0 + by);
            file.write(std::move(line));
        };
        for (int i = 0; i <= nx; ++i) {
            f.SetField(0, road_name(i, true).c_str());
            f.SetField(1, road_class_name(road_class(i)));
            for (int j = 0; j < ny; ++j) {
                if (i % 2 == 1 && lattice.in_superblock(i - 1, j)) continue;
                segment(Lattice::x(i), Lattice::y(j), Lattice::x(i), Lattice::y(j + 1));
            }
        }
        for (int j = 0; j <= ny; ++j) {
            f.SetField(0, road_name(j, false).c_str());
            f.SetField(1, road_class_name(road_class(j)));
            for (int i = 0; i < nx; ++i) {
                if (j % 2 == 1 && lattice.in_superblock(i, j - 1)) continue;
                segment(Lattice::x(i), Lattice::y(j), Lattice::x(i + 1), Lattice::y(j));
            }
        }
        s.roads = file.close();
        messages.check("writing roads");
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const auto options = parse_args(argc, argv);
        if (!options) return 0;
        const auto started = std::chrono::steady_clock::now();
        const Summary s = run(*options);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const std::string ext = options->format == "gpkg" ? ".gpkg" : ".shp";
        std::printf("synthetic city in %s (%s, EPSG:4526, %s, seed %llu)\n", options->out.c_str(),
                    options->format.c_str(), options->format == "gpkg" ? "UTF-8" : "GBK",
                    static_cast<unsigned long long>(options->seed));
        std::printf(
            "  buildings%-5s %9lld polygons (%lld with a courtyard, %lld invalid bow-ties)\n",
            ext.c_str(), static_cast<long long>(s.buildings), static_cast<long long>(s.with_hole),
            static_cast<long long>(s.invalid));
        std::printf("                  %9lld households, %lld residents\n",
                    static_cast<long long>(s.households), static_cast<long long>(s.population));
        std::printf("  grid_cells%-4s %9lld cells in %lld communities and %lld streets\n",
                    ext.c_str(), static_cast<long long>(s.grid_cells),
                    static_cast<long long>(s.communities), static_cast<long long>(s.streets));
        std::printf("  stations%-6s %9lld points\n", ext.c_str(),
                    static_cast<long long>(s.stations));
        std::printf("  roads%-9s %9lld segments\n", ext.c_str(), static_cast<long long>(s.roads));
        std::printf("  blocks          %9d x %d of 64 m x 60 m\n", s.nx, s.ny);
        std::printf("  extent          lon %.6f .. %.6f, lat %.6f .. %.6f\n", s.min_lon, s.max_lon,
                    s.min_lat, s.max_lat);
        std::printf(
            "                  EPSG:4526 x %.0f .. %.0f, y %.0f .. %.0f (%.1f km x %.1f km)\n",
            s.min_x, s.max_x, s.min_y, s.max_y, (s.max_x - s.min_x) / 1000,
            (s.max_y - s.min_y) / 1000);
        std::printf("  time            %9.2f s\n", seconds);
        return 0;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "gridmap-synth: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gridmap-synth: %s\n", e.what());
        return 1;
    }
}
