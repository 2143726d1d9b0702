#include "geo/style/style.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "geo/error.hpp"
#include "geo/text/encoding.hpp"

namespace geo::style {

using nlohmann::json;

namespace detail {

enum class Op : std::uint8_t {
    literal, get, has, zoom, geometry_type,
    interpolate, step, match, case_, coalesce,
    eq, ne, lt, le, gt, ge, in, not_, all, any,
    add, sub, mul, div, min, max,
};

// What a context expects of an expression; decides how literal strings are read.
enum class Type : std::uint8_t { any, number, color, boolean };

struct Literal {
    enum class Kind : std::uint8_t { null, boolean, number, string, color } kind = Kind::null;
    bool b = false;
    double n = 0;
    std::string s;
    Color c;
};

struct Expr {
    Op op = Op::literal;
    Literal lit;                              // literal; `in`: a text haystack
    std::size_t key = 0;                      // get, has
    double base = 1;                          // interpolate: exponential base (1 = linear)
    std::vector<double> stops;                // interpolate, step
    std::vector<std::vector<Literal>> labels;  // match: the labels of each branch
    std::vector<Literal> set;                 // in: an array haystack
    bool text_haystack = false;               // in: `lit` holds a text haystack
    std::vector<Expr> args;
    bool reads_feature = false;
};

enum class Prop : std::uint8_t {
    background_color, background_opacity,
    fill_color, fill_opacity, fill_outline_color,
    line_color, line_width, line_opacity,
    circle_color, circle_radius, circle_opacity,
    circle_stroke_color, circle_stroke_width, circle_stroke_opacity,
    count,
};

struct PropInfo {
    std::string_view name;
    LayerType layer;
    Type type;
};

constexpr std::array<PropInfo, static_cast<std::size_t>(Prop::count)> k_props{{
    {"background-color", LayerType::background, Type::color},
    {"background-opacity", LayerType::background, Type::number},
    {"fill-color", LayerType::fill, Type::color},
    {"fill-opacity", LayerType::fill, Type::number},
    {"fill-outline-color", LayerType::fill, Type::color},
    {"line-color", LayerType::line, Type::color},
    {"line-width", LayerType::line, Type::number},
    {"line-opacity", LayerType::line, Type::number},
    {"circle-color", LayerType::circle, Type::color},
    {"circle-radius", LayerType::circle, Type::number},
    {"circle-opacity", LayerType::circle, Type::number},
    {"circle-stroke-color", LayerType::circle, Type::color},
    {"circle-stroke-width", LayerType::circle, Type::number},
    {"circle-stroke-opacity", LayerType::circle, Type::number},
}};

struct RuleExprs {
    std::optional<Expr> filter;
    std::array<std::optional<Expr>, static_cast<std::size_t>(Prop::count)> paint;
};

}  // namespace detail

namespace {

using detail::Expr;
using detail::Literal;
using detail::Op;
using detail::Prop;
using detail::Type;

// ---------------------------------------------------------------------------------------------
// Colours

std::string lower_trimmed(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::optional<Color> parse_hex(std::string_view h) {
    if (h.size() != 3 && h.size() != 4 && h.size() != 6 && h.size() != 8) return std::nullopt;
    std::array<int, 8> d{};
    for (std::size_t i = 0; i < h.size(); ++i) {
        d[i] = hex_digit(h[i]);
        if (d[i] < 0) return std::nullopt;
    }
    const auto one = [&](std::size_t i) { return (d[i] * 17) / 255.0; };
    const auto two = [&](std::size_t i) { return (d[i] * 16 + d[i + 1]) / 255.0; };
    switch (h.size()) {
        case 3: return Color{one(0), one(1), one(2), 1};
        case 4: return Color{one(0), one(1), one(2), one(3)};
        case 6: return Color{two(0), two(2), two(4), 1};
        case 8: return Color{two(0), two(2), two(4), two(6)};
        default: return std::nullopt;
    }
}

// The arguments of rgb()/hsl(): numbers, each optionally with a '%', separated by commas,
// blanks or a '/' before alpha.
bool parse_css_args(std::string_view s, std::vector<std::pair<double, bool>>& out) {
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '/' || s[i] == '\t')) ++i;
        if (i == s.size()) break;
        double v = 0;
        const auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
        if (ec != std::errc{} || !std::isfinite(v)) return false;
        i = static_cast<std::size_t>(ptr - s.data());
        bool percent = false;
        if (i < s.size() && s[i] == '%') {
            percent = true;
            ++i;
        } else if (s.substr(i).starts_with("deg")) {
            i += 3;
        }
        out.emplace_back(v, percent);
        if (i < s.size() && s[i] != ' ' && s[i] != ',' && s[i] != '/' && s[i] != '\t') return false;
    }
    return true;
}

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

std::optional<Color> parse_function_color(std::string_view name, std::string_view inner) {
    std::vector<std::pair<double, bool>> a;
    if (!parse_css_args(inner, a) || a.size() < 3 || a.size() > 4) return std::nullopt;
    const bool want_alpha = name.ends_with('a');
    if (want_alpha != (a.size() == 4)) return std::nullopt;
    const double alpha = a.size() == 4 ? clamp01(a[3].second ? a[3].first / 100.0 : a[3].first) : 1.0;
    if (name.starts_with("rgb")) {
        const auto channel = [](const std::pair<double, bool>& v) {
            return clamp01(v.second ? v.first / 100.0 : v.first / 255.0);
        };
        return Color{channel(a[0]), channel(a[1]), channel(a[2]), alpha};
    }
    if (a[0].second || !a[1].second || !a[2].second) return std::nullopt;
    const double h = std::fmod(std::fmod(a[0].first, 360.0) + 360.0, 360.0) / 360.0;
    const double s = clamp01(a[1].first / 100.0);
    const double l = clamp01(a[2].first / 100.0);
    const double m2 = l <= 0.5 ? l * (s + 1) : l + s - l * s;
    const double m1 = l * 2 - m2;
    const auto hue = [&](double t) {
        if (t < 0) t += 1;
        if (t > 1) t -= 1;
        if (t * 6 < 1) return m1 + (m2 - m1) * t * 6;
        if (t * 2 < 1) return m2;
        if (t * 3 < 2) return m1 + (m2 - m1) * (2.0 / 3.0 - t) * 6;
        return m1;
    };
    return Color{hue(h + 1.0 / 3.0), hue(h), hue(h - 1.0 / 3.0), alpha};
}

struct NamedColor {
    std::string_view name;
    std::string_view hex;
};

constexpr std::array<NamedColor, 20> k_named{{
    {"black", "000000"}, {"white", "ffffff"}, {"red", "ff0000"}, {"green", "008000"},
    {"blue", "0000ff"}, {"yellow", "ffff00"}, {"gray", "808080"}, {"grey", "808080"},
    {"silver", "c0c0c0"}, {"maroon", "800000"}, {"purple", "800080"}, {"fuchsia", "ff00ff"},
    {"lime", "00ff00"}, {"olive", "808000"}, {"navy", "000080"}, {"teal", "008080"},
    {"aqua", "00ffff"}, {"orange", "ffa500"}, {"cyan", "00ffff"}, {"magenta", "ff00ff"},
}};

}  // namespace

std::optional<Color> parse_color(std::string_view text) {
    const std::string s = lower_trimmed(text);
    if (s.empty()) return std::nullopt;
    if (s[0] == '#') return parse_hex(std::string_view(s).substr(1));
    if (s == "transparent") return Color{0, 0, 0, 0};
    const auto open = s.find('(');
    if (open != std::string::npos) {
        if (s.back() != ')') return std::nullopt;
        const std::string_view name = std::string_view(s).substr(0, open);
        if (name != "rgb" && name != "rgba" && name != "hsl" && name != "hsla") return std::nullopt;
        return parse_function_color(name, std::string_view(s).substr(open + 1, s.size() - open - 2));
    }
    for (const auto& n : k_named) {
        if (n.name == s) return parse_hex(n.hex);
    }
    return std::nullopt;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Evaluation

struct Val {
    enum class Kind : std::uint8_t { null, boolean, number, string, color } kind = Kind::null;
    bool b = false;
    double n = 0;
    std::string_view s;
    Color c;

    static Val boolean(bool v) {
        Val r;
        r.kind = Kind::boolean;
        r.b = v;
        return r;
    }
    static Val number(double v) {
        Val r;
        r.kind = Kind::number;
        r.n = v;
        return r;
    }
    static Val color(const Color& v) {
        Val r;
        r.kind = Kind::color;
        r.c = v;
        return r;
    }
};

Val from_literal(const Literal& l) {
    Val v;
    switch (l.kind) {
        case Literal::Kind::null: break;
        case Literal::Kind::boolean: v = Val::boolean(l.b); break;
        case Literal::Kind::number: v = Val::number(l.n); break;
        case Literal::Kind::string:
            v.kind = Val::Kind::string;
            v.s = l.s;
            break;
        case Literal::Kind::color: v = Val::color(l.c); break;
    }
    return v;
}

Val from_value(const Value* value) {
    if (!value) return {};
    if (const auto* i = std::get_if<std::int64_t>(value)) return Val::number(static_cast<double>(*i));
    if (const auto* d = std::get_if<double>(value)) return Val::number(*d);
    if (const auto* s = std::get_if<std::string>(value)) {
        Val v;
        v.kind = Val::Kind::string;
        v.s = *s;
        return v;
    }
    return {};
}

bool equal(const Val& a, const Val& b) {
    if (a.kind != b.kind) return false;
    switch (a.kind) {
        case Val::Kind::null: return true;
        case Val::Kind::boolean: return a.b == b.b;
        case Val::Kind::number: return a.n == b.n;
        case Val::Kind::string: return a.s == b.s;
        case Val::Kind::color: return a.c == b.c;
    }
    return false;
}

bool equal(const Val& a, const Literal& l) {
    switch (l.kind) {
        case Literal::Kind::null: return a.kind == Val::Kind::null;
        case Literal::Kind::boolean: return a.kind == Val::Kind::boolean && a.b == l.b;
        case Literal::Kind::number: return a.kind == Val::Kind::number && a.n == l.n;
        case Literal::Kind::string: return a.kind == Val::Kind::string && a.s == l.s;
        case Literal::Kind::color: return a.kind == Val::Kind::color && a.c == l.c;
    }
    return false;
}

std::optional<Color> to_color(const Val& v) {
    if (v.kind == Val::Kind::color) return v.c;
    if (v.kind == Val::Kind::string) return parse_color(v.s);
    return std::nullopt;
}

Color lerp(const Color& a, const Color& b, double t) {
    return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t, a.a + (b.a - a.a) * t};
}

class Evaluator {
public:
    Evaluator(double zoom, const FeatureData* feature) : m_zoom(zoom), m_feature(feature) {}

    Val eval(const Expr& e) const {
        switch (e.op) {
            case Op::literal: return from_literal(e.lit);
            case Op::get: return m_feature ? from_value(m_feature->value(e.key)) : Val{};
            case Op::has: return Val::boolean(m_feature && m_feature->value(e.key) != nullptr);
            case Op::zoom: return Val::number(m_zoom);
            case Op::geometry_type: return geometry_type();
            case Op::interpolate: return interpolate(e);
            case Op::step: return step(e);
            case Op::match: {
                const Val in = eval(e.args[0]);
                for (std::size_t i = 0; i < e.labels.size(); ++i) {
                    for (const auto& label : e.labels[i]) {
                        if (equal(in, label)) return eval(e.args[1 + i]);
                    }
                }
                return eval(e.args.back());
            }
            case Op::case_: {
                for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
                    if (truthy(eval(e.args[i]))) return eval(e.args[i + 1]);
                }
                return eval(e.args.back());
            }
            case Op::coalesce: {
                for (const auto& a : e.args) {
                    Val v = eval(a);
                    if (v.kind != Val::Kind::null) return v;
                }
                return {};
            }
            case Op::eq: return Val::boolean(equal(eval(e.args[0]), eval(e.args[1])));
            case Op::ne: return Val::boolean(!equal(eval(e.args[0]), eval(e.args[1])));
            case Op::lt:
            case Op::le:
            case Op::gt:
            case Op::ge: return Val::boolean(compare(e.op, eval(e.args[0]), eval(e.args[1])));
            case Op::in: {
                const Val needle = eval(e.args[0]);
                if (e.text_haystack) {
                    return Val::boolean(needle.kind == Val::Kind::string &&
                                        std::string_view(e.lit.s).find(needle.s) != std::string_view::npos);
                }
                return Val::boolean(std::any_of(e.set.begin(), e.set.end(),
                                                [&](const Literal& l) { return equal(needle, l); }));
            }
            case Op::not_: return Val::boolean(!truthy(eval(e.args[0])));
            case Op::all:
                return Val::boolean(std::all_of(e.args.begin(), e.args.end(),
                                                [&](const Expr& a) { return truthy(eval(a)); }));
            case Op::any:
                return Val::boolean(std::any_of(e.args.begin(), e.args.end(),
                                                [&](const Expr& a) { return truthy(eval(a)); }));
            case Op::add:
            case Op::sub:
            case Op::mul:
            case Op::div:
            case Op::min:
            case Op::max: return arithmetic(e);
        }
        return {};
    }

    static bool truthy(const Val& v) { return v.kind == Val::Kind::boolean && v.b; }

private:
    Val geometry_type() const {
        Val v;
        if (!m_feature) return v;
        switch (m_feature->geometry()) {
            case GeometryKind::unknown: return v;
            case GeometryKind::point: v.s = "Point"; break;
            case GeometryKind::line: v.s = "LineString"; break;
            case GeometryKind::polygon: v.s = "Polygon"; break;
        }
        v.kind = Val::Kind::string;
        return v;
    }

    static bool compare(Op op, const Val& a, const Val& b) {
        int c = 0;
        if (a.kind == Val::Kind::number && b.kind == Val::Kind::number) {
            if (std::isnan(a.n) || std::isnan(b.n)) return false;
            c = a.n < b.n ? -1 : (a.n > b.n ? 1 : 0);
        } else if (a.kind == Val::Kind::string && b.kind == Val::Kind::string) {
            c = a.s.compare(b.s);
        } else {
            return false;
        }
        switch (op) {
            case Op::lt: return c < 0;
            case Op::le: return c <= 0;
            case Op::gt: return c > 0;
            default: return c >= 0;
        }
    }

    Val interpolate(const Expr& e) const {
        const Val in = eval(e.args[0]);
        if (in.kind != Val::Kind::number || std::isnan(in.n)) return {};
        const double x = in.n;
        const auto& s = e.stops;
        if (x <= s.front()) return eval(e.args[1]);
        if (x >= s.back()) return eval(e.args.back());
        const std::size_t i =
            static_cast<std::size_t>(std::upper_bound(s.begin(), s.end(), x) - s.begin()) - 1;
        const double span = s[i + 1] - s[i];
        const double t = e.base == 1 ? (x - s[i]) / span
                                     : (std::pow(e.base, x - s[i]) - 1) / (std::pow(e.base, span) - 1);
        const Val a = eval(e.args[1 + i]);
        const Val b = eval(e.args[2 + i]);
        if (a.kind == Val::Kind::number && b.kind == Val::Kind::number) return Val::number(a.n + (b.n - a.n) * t);
        const auto ca = to_color(a);
        const auto cb = to_color(b);
        if (ca && cb) return Val::color(lerp(*ca, *cb, t));
        return {};
    }

    Val step(const Expr& e) const {
        const Val in = eval(e.args[0]);
        if (in.kind != Val::Kind::number || std::isnan(in.n)) return {};
        const auto& s = e.stops;
        const std::size_t i = static_cast<std::size_t>(std::upper_bound(s.begin(), s.end(), in.n) - s.begin());
        return eval(e.args[1 + i]);
    }

    Val arithmetic(const Expr& e) const {
        double acc = 0;
        for (std::size_t i = 0; i < e.args.size(); ++i) {
            const Val v = eval(e.args[i]);
            if (v.kind != Val::Kind::number) return {};
            if (i == 0) {
                acc = e.op == Op::sub && e.args.size() == 1 ? -v.n : v.n;
                continue;
            }
            switch (e.op) {
                case Op::add: acc += v.n; break;
                case Op::sub: acc -= v.n; break;
                case Op::mul: acc *= v.n; break;
                case Op::div: acc /= v.n; break;
                case Op::min: acc = std::min(acc, v.n); break;
                case Op::max: acc = std::max(acc, v.n); break;
                default: break;
            }
        }
        return Val::number(acc);
    }

    double m_zoom;
    const FeatureData* m_feature;
};

// ---------------------------------------------------------------------------------------------
// Parsing

constexpr int k_max_depth = 32;

struct ParseFailure {
    std::string why;
};

std::string brief(const json& j) {
    std::string s = j.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

class Parser {
public:
    explicit Parser(Style& style) : m_style(style) {}

    // A paint value: a constant, an expression or a legacy function object. Throws ParseFailure.
    Expr value(const json& j, Type type) {
        if (j.is_object()) return function(j, type);
        return expr(j, type, 0);
    }

    Expr filter(const json& j, int depth) {
        if (depth > k_max_depth) throw ParseFailure{"nested too deeply"};
        if (!j.is_array() || j.empty() || !j[0].is_string()) return expr(j, Type::boolean, depth);
        const std::string op = j[0];
        if (op == "all" || op == "any" || op == "none") {
            Expr e;
            e.op = op == "all" ? Op::all : Op::any;
            for (std::size_t i = 1; i < j.size(); ++i) e.args.push_back(filter(j[i], depth + 1));
            finish(e);
            return op == "none" ? negate(std::move(e)) : e;
        }
        const bool key_first = j.size() >= 2 && j[1].is_string();
        if ((op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") && j.size() == 3 &&
            key_first && !j[2].is_array()) {
            Expr e;
            e.op = comparison(op);
            e.args.push_back(legacy_key(j[1]));
            e.args.push_back(literal(j[2], Type::any));
            finish(e);
            return e;
        }
        if ((op == "in" && key_first && (j.size() < 3 || !j[2].is_array())) || op == "!in") {
            if (!key_first) throw ParseFailure{"\"!in\" needs a field name"};
            Expr e;
            e.op = Op::in;
            e.args.push_back(legacy_key(j[1]));
            for (std::size_t i = 2; i < j.size(); ++i) e.set.push_back(literal(j[i], Type::any).lit);
            finish(e);
            return op == "!in" ? negate(std::move(e)) : e;
        }
        if (op == "!has") {
            if (j.size() != 2 || !j[1].is_string()) throw ParseFailure{"\"!has\" needs one field name"};
            Expr e;
            e.op = Op::has;
            e.key = key(j[1].get<std::string>());
            e.reads_feature = true;
            return negate(std::move(e));
        }
        return expr(j, Type::boolean, depth);
    }

    std::vector<std::string> take_notes() { return std::exchange(m_notes, {}); }

private:
    std::size_t key(const std::string& name) {
        const auto [it, added] = m_keys.try_emplace(name, m_style.keys.size());
        if (added) m_style.keys.push_back(name);
        return it->second;
    }

    static Op comparison(const std::string& op) {
        if (op == "==") return Op::eq;
        if (op == "!=") return Op::ne;
        if (op == "<") return Op::lt;
        if (op == "<=") return Op::le;
        if (op == ">") return Op::gt;
        return Op::ge;
    }

    static void finish(Expr& e) {
        for (const auto& a : e.args) e.reads_feature = e.reads_feature || a.reads_feature;
    }

    static Expr negate(Expr inner) {
        Expr e;
        e.op = Op::not_;
        e.reads_feature = inner.reads_feature;
        e.args.push_back(std::move(inner));
        return e;
    }

    Expr legacy_key(const json& j) {
        const std::string name = j;
        Expr e;
        if (name == "$type") {
            e.op = Op::geometry_type;
        } else if (name == "$id") {
            throw ParseFailure{"the \"$id\" filter key is not supported"};
        } else {
            e.op = Op::get;
            e.key = key(name);
        }
        e.reads_feature = true;
        return e;
    }

    static Expr literal(const json& j, Type type) {
        Expr e;
        Literal& l = e.lit;
        if (j.is_null()) {
            l.kind = Literal::Kind::null;
        } else if (j.is_boolean()) {
            l.kind = Literal::Kind::boolean;
            l.b = j.get<bool>();
        } else if (j.is_number()) {
            if (type == Type::color) throw ParseFailure{"a number is not a colour: " + brief(j)};
            l.kind = Literal::Kind::number;
            l.n = j.get<double>();
        } else if (j.is_string()) {
            if (type == Type::color) {
                const auto c = parse_color(j.get<std::string>());
                if (!c) throw ParseFailure{"not a colour: " + brief(j)};
                l.kind = Literal::Kind::color;
                l.c = *c;
            } else {
                l.kind = Literal::Kind::string;
                l.s = j.get<std::string>();
            }
        } else {
            throw ParseFailure{"not a constant: " + brief(j)};
        }
        if (type == Type::number && l.kind != Literal::Kind::number && l.kind != Literal::Kind::null) {
            throw ParseFailure{"not a number: " + brief(j)};
        }
        return e;
    }

    static void arity(const json& j, std::size_t min, std::size_t max) {
        const std::size_t n = j.size() - 1;
        if (n < min || n > max) {
            throw ParseFailure{"wrong number of arguments to \"" + j[0].get<std::string>() + "\": " + brief(j)};
        }
    }

    static std::vector<Literal> labels(const json& j) {
        std::vector<Literal> out;
        const auto one = [&](const json& v) {
            if (!v.is_string() && !v.is_number()) throw ParseFailure{"match labels are texts or numbers: " + brief(v)};
            out.push_back(literal(v, Type::any).lit);
        };
        if (j.is_array()) {
            if (j.empty()) throw ParseFailure{"empty match label list"};
            for (const auto& v : j) one(v);
        } else {
            one(j);
        }
        return out;
    }

    // Reads ["linear"] or ["exponential", base]; returns the base.
    double interpolation(const json& j) {
        if (!j.is_array() || j.empty() || !j[0].is_string()) throw ParseFailure{"bad interpolation type " + brief(j)};
        const std::string kind = j[0];
        if (kind == "linear" && j.size() == 1) return 1;
        if (kind == "exponential" && j.size() == 2 && j[1].is_number()) {
            const double base = j[1];
            if (!(base > 0) || !std::isfinite(base)) throw ParseFailure{"bad exponential base " + brief(j)};
            return base;
        }
        if (kind == "cubic-bezier") {
            m_notes.push_back("cubic-bezier interpolation drawn as linear");
            return 1;
        }
        throw ParseFailure{"unsupported interpolation " + brief(j)};
    }

    Expr expr(const json& j, Type type, int depth) {
        if (depth > k_max_depth) throw ParseFailure{"nested too deeply"};
        if (!j.is_array()) return literal(j, type);
        if (j.empty() || !j[0].is_string()) throw ParseFailure{"an expression starts with its name: " + brief(j)};
        const std::string op = j[0];
        Expr e;
        const auto sub = [&](const json& a, Type t) { e.args.push_back(expr(a, t, depth + 1)); };

        if (op == "literal") {
            arity(j, 1, 1);
            if (j[1].is_array() || j[1].is_object()) throw ParseFailure{"array literals only as the list of \"in\""};
            return literal(j[1], type);
        } else if (op == "get" || op == "has") {
            arity(j, 1, 1);
            if (!j[1].is_string()) throw ParseFailure{"\"" + op + "\" takes a field name: " + brief(j)};
            e.op = op == "get" ? Op::get : Op::has;
            e.key = key(j[1].get<std::string>());
            e.reads_feature = true;
            return e;
        } else if (op == "zoom") {
            arity(j, 0, 0);
            e.op = Op::zoom;
            return e;
        } else if (op == "geometry-type") {
            arity(j, 0, 0);
            e.op = Op::geometry_type;
            e.reads_feature = true;
            return e;
        } else if (op == "interpolate" || op == "interpolate-hcl" || op == "interpolate-lab") {
            if (j.size() < 5 || j.size() % 2 != 1) throw ParseFailure{"\"interpolate\" needs stop/value pairs: " + brief(j)};
            if (op != "interpolate") m_notes.push_back(op + " drawn in RGB");
            e.op = Op::interpolate;
            e.base = interpolation(j[1]);
            sub(j[2], Type::number);
            for (std::size_t i = 3; i < j.size(); i += 2) {
                if (!j[i].is_number()) throw ParseFailure{"interpolate stops are numbers: " + brief(j)};
                const double stop = j[i];
                if (!e.stops.empty() && !(stop > e.stops.back())) throw ParseFailure{"interpolate stops must increase"};
                e.stops.push_back(stop);
                sub(j[i + 1], type);
            }
        } else if (op == "step") {
            if (j.size() < 3 || j.size() % 2 != 1) throw ParseFailure{"\"step\" needs an input, a value and stop/value pairs"};
            e.op = Op::step;
            sub(j[1], Type::number);
            sub(j[2], type);
            for (std::size_t i = 3; i < j.size(); i += 2) {
                if (!j[i].is_number()) throw ParseFailure{"step stops are numbers: " + brief(j)};
                const double stop = j[i];
                if (!e.stops.empty() && !(stop > e.stops.back())) throw ParseFailure{"step stops must increase"};
                e.stops.push_back(stop);
                sub(j[i + 1], type);
            }
        } else if (op == "match") {
            if (j.size() < 5 || j.size() % 2 != 1) throw ParseFailure{"\"match\" needs label/value pairs and a default: " + brief(j)};
            e.op = Op::match;
            sub(j[1], Type::any);
            for (std::size_t i = 2; i + 1 < j.size(); i += 2) {
                e.labels.push_back(labels(j[i]));
                sub(j[i + 1], type);
            }
            sub(j.back(), type);
        } else if (op == "case") {
            if (j.size() < 4 || j.size() % 2 != 0) throw ParseFailure{"\"case\" needs condition/value pairs and a default"};
            e.op = Op::case_;
            for (std::size_t i = 1; i + 1 < j.size(); i += 2) {
                sub(j[i], Type::boolean);
                sub(j[i + 1], type);
            }
            sub(j.back(), type);
        } else if (op == "coalesce") {
            arity(j, 1, 1000);
            e.op = Op::coalesce;
            for (std::size_t i = 1; i < j.size(); ++i) sub(j[i], type);
        } else if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") {
            arity(j, 2, 2);
            e.op = comparison(op);
            sub(j[1], Type::any);
            sub(j[2], Type::any);
        } else if (op == "in") {
            arity(j, 2, 2);
            e.op = Op::in;
            sub(j[1], Type::any);
            const json& hay = j[2].is_array() && j[2].size() == 2 && j[2][0] == "literal" ? j[2][1] : j[2];
            if (hay.is_array()) {
                for (const auto& v : hay) e.set.push_back(literal(v, Type::any).lit);
            } else if (hay.is_string()) {
                e.text_haystack = true;
                e.lit.kind = Literal::Kind::string;
                e.lit.s = hay.get<std::string>();
            } else {
                throw ParseFailure{"\"in\" needs a literal list or text: " + brief(j)};
            }
        } else if (op == "!") {
            arity(j, 1, 1);
            e.op = Op::not_;
            sub(j[1], Type::boolean);
        } else if (op == "all" || op == "any") {
            e.op = op == "all" ? Op::all : Op::any;
            for (std::size_t i = 1; i < j.size(); ++i) sub(j[i], Type::boolean);
        } else if (op == "+" || op == "*" || op == "min" || op == "max") {
            arity(j, 1, 1000);
            e.op = op == "+" ? Op::add : op == "*" ? Op::mul : op == "min" ? Op::min : Op::max;
            for (std::size_t i = 1; i < j.size(); ++i) sub(j[i], Type::number);
        } else if (op == "-" || op == "/") {
            arity(j, op == "-" ? 1 : 2, 2);
            e.op = op == "-" ? Op::sub : Op::div;
            for (std::size_t i = 1; i < j.size(); ++i) sub(j[i], Type::number);
        } else {
            throw ParseFailure{"the expression \"" + op + "\" is not supported"};
        }
        finish(e);
        return e;
    }

    // Legacy function objects: {"stops": [[in, out], …], "base", "property", "type", "default"}.
    Expr function(const json& j, Type type) {
        const auto stops = j.find("stops");
        if (stops == j.end() || !stops->is_array() || stops->empty()) {
            if (j.value("type", "") == "identity" && j.contains("property") && j["property"].is_string()) {
                Expr e;
                e.op = Op::get;
                e.key = key(j["property"].get<std::string>());
                e.reads_feature = true;
                return e;
            }
            throw ParseFailure{"a function needs \"stops\""};
        }
        Expr input;
        if (const auto p = j.find("property"); p != j.end()) {
            if (!p->is_string()) throw ParseFailure{"\"property\" is a field name"};
            input.op = Op::get;
            input.key = key(p->get<std::string>());
            input.reads_feature = true;
        } else {
            input.op = Op::zoom;
        }
        const bool interpolatable = type == Type::number || type == Type::color;
        const std::string kind = j.value("type", interpolatable ? "exponential" : "interval");
        std::vector<const json*> ins;
        std::vector<Expr> outs;
        for (const auto& s : *stops) {
            if (!s.is_array() || s.size() != 2 || s[0].is_object()) {
                throw ParseFailure{"zoom-and-property functions are not supported"};
            }
            ins.push_back(&s[0]);
            outs.push_back(literal(s[1], type));
        }
        Expr e;
        e.args.push_back(std::move(input));
        if (kind == "categorical") {
            e.op = Op::match;
            for (std::size_t i = 0; i < ins.size(); ++i) {
                e.labels.push_back(labels(*ins[i]));
                e.args.push_back(std::move(outs[i]));
            }
            e.args.push_back(j.contains("default") ? literal(j["default"], type) : Expr{});
        } else if (kind == "exponential" || kind == "interval") {
            for (std::size_t i = 0; i < ins.size(); ++i) {
                if (!ins[i]->is_number()) throw ParseFailure{"function stops are numbers here"};
                if (i > 0 && !(ins[i]->get<double>() > ins[i - 1]->get<double>())) {
                    throw ParseFailure{"function stops must increase"};
                }
            }
            if (kind == "exponential") {
                e.op = Op::interpolate;
                const double base = j.value("base", 1.0);
                if (!(base > 0) || !std::isfinite(base)) throw ParseFailure{"bad function base"};
                e.base = base;
                for (std::size_t i = 0; i < ins.size(); ++i) {
                    e.stops.push_back(ins[i]->get<double>());
                    e.args.push_back(std::move(outs[i]));
                }
            } else {
                // An interval function holds its first value below the first stop too.
                e.op = Op::step;
                e.args.push_back(std::move(outs[0]));
                for (std::size_t i = 1; i < ins.size(); ++i) {
                    e.stops.push_back(ins[i]->get<double>());
                    e.args.push_back(std::move(outs[i]));
                }
            }
        } else {
            throw ParseFailure{"function type \"" + kind + "\" is not supported"};
        }
        finish(e);
        return e;
    }

    Style& m_style;
    std::unordered_map<std::string, std::size_t> m_keys;
    std::vector<std::string> m_notes;
};

std::optional<LayerType> layer_type(std::string_view t) {
    if (t == "background") return LayerType::background;
    if (t == "fill") return LayerType::fill;
    if (t == "line") return LayerType::line;
    if (t == "circle") return LayerType::circle;
    return std::nullopt;
}

std::optional<std::vector<double>> dash_array(const json& j) {
    const json& a = j.is_array() && j.size() == 2 && j[0] == "literal" ? j[1] : j;
    if (!a.is_array() || a.empty()) return std::nullopt;
    std::vector<double> out;
    double total = 0;
    for (const auto& v : a) {
        if (!v.is_number()) return std::nullopt;
        const double d = v;
        if (!(d >= 0) || !std::isfinite(d)) return std::nullopt;
        out.push_back(d);
        total += d;
    }
    if (!(total > 0)) return std::nullopt;
    return out;
}

void parse_layer(const json& layer, std::size_t index, Style& style, Parser& parser) {
    auto& warnings = style.warnings;
    if (!layer.is_object()) {
        warnings.push_back("layer #" + std::to_string(index) + " is not an object; left out");
        return;
    }
    Rule rule;
    rule.id = layer.contains("id") && layer["id"].is_string() ? layer["id"].get<std::string>()
                                                              : "#" + std::to_string(index);
    const std::string where = "layer \"" + rule.id + "\": ";
    const auto type_it = layer.find("type");
    if (type_it == layer.end() || !type_it->is_string()) {
        warnings.push_back(where + "no type; left out");
        return;
    }
    const auto type = layer_type(type_it->get<std::string>());
    if (!type) {
        warnings.push_back(where + "type \"" + type_it->get<std::string>() + "\" is not drawn by the PNG renderer; left out");
        return;
    }
    rule.type = *type;
    if (rule.type != LayerType::background) {
        const auto source = layer.find("source");
        const auto source_layer = layer.find("source-layer");
        if (source == layer.end() || !source->is_string() || source_layer == layer.end() || !source_layer->is_string()) {
            warnings.push_back(where + "no source and source-layer (only vector tile layers are drawn); left out");
            return;
        }
        rule.source = source->get<std::string>();
        rule.source_layer = source_layer->get<std::string>();
        if (!style.sources.contains(rule.source)) warnings.push_back(where + "unknown source \"" + rule.source + "\"");
    }
    for (const auto& [name, target] : {std::pair{"minzoom", &rule.minzoom}, std::pair{"maxzoom", &rule.maxzoom}}) {
        const auto it = layer.find(name);
        if (it == layer.end()) continue;
        if (it->is_number()) {
            *target = *it;
        } else {
            warnings.push_back(where + name + " is not a number; ignored");
        }
    }

    auto exprs = std::make_shared<detail::RuleExprs>();
    const auto note = [&](const std::string& what, const std::string& why) {
        warnings.push_back(where + what + " ignored: " + why);
    };
    const auto flush_notes = [&](const std::string& what) {
        for (auto& n : parser.take_notes()) warnings.push_back(where + what + ": " + n);
    };

    if (const auto f = layer.find("filter"); f != layer.end() && rule.type != LayerType::background) {
        try {
            exprs->filter = parser.filter(*f, 0);
            flush_notes("filter");
        } catch (const ParseFailure& e) {
            parser.take_notes();
            note("filter " + brief(*f), e.why + " (every feature drawn)");
        } catch (const json::exception& e) {
            parser.take_notes();
            note("filter " + brief(*f), std::string(e.what()) + " (every feature drawn)");
        }
    }

    if (const auto lay = layer.find("layout"); lay != layer.end() && lay->is_object()) {
        for (const auto& [name, v] : lay->items()) {
            if (name == "visibility") {
                if (v == "none") rule.visible = false;
                else if (v != "visible") note("layout visibility", "not \"visible\" or \"none\"");
            } else if (name == "line-cap" && rule.type == LayerType::line) {
                if (v == "round") rule.line_cap = LineCap::round;
                else if (v == "square") rule.line_cap = LineCap::square;
                else if (v != "butt") note("layout line-cap", "only the constants butt, round and square are supported");
            } else if (name == "line-join" && rule.type == LayerType::line) {
                if (v == "round") rule.line_join = LineJoin::round;
                else if (v == "bevel") rule.line_join = LineJoin::bevel;
                else if (v != "miter") note("layout line-join", "only the constants miter, bevel and round are supported");
            } else {
                note("layout " + name, "not supported by the PNG renderer");
            }
        }
    }

    if (const auto paint = layer.find("paint"); paint != layer.end() && paint->is_object()) {
        for (const auto& [name, v] : paint->items()) {
            if (name.ends_with("-transition")) continue;  // animation only
            if (name == "line-dasharray" && rule.type == LayerType::line) {
                if (auto d = dash_array(v)) rule.line_dasharray = std::move(*d);
                else note("paint line-dasharray", "only a constant list of lengths is supported");
                continue;
            }
            const auto info = std::find_if(detail::k_props.begin(), detail::k_props.end(),
                                           [&name = name](const detail::PropInfo& p) { return p.name == name; });
            if (info == detail::k_props.end() || info->layer != rule.type) {
                note("paint " + name, "not supported by the PNG renderer");
                continue;
            }
            try {
                auto e = parser.value(v, info->type);
                flush_notes("paint " + name);
                rule.paint_reads_feature = rule.paint_reads_feature || e.reads_feature;
                exprs->paint[static_cast<std::size_t>(info - detail::k_props.begin())] = std::move(e);
            } catch (const ParseFailure& e) {
                parser.take_notes();
                note("paint " + name + " " + brief(v), e.why);
            } catch (const json::exception& e) {
                parser.take_notes();
                note("paint " + name + " " + brief(v), e.what());
            }
        }
    }
    rule.exprs = std::move(exprs);
    style.rules.push_back(std::move(rule));
}

const std::optional<Expr>& paint_expr(const Rule& rule, Prop p) {
    return rule.exprs->paint[static_cast<std::size_t>(p)];
}

void number(const Evaluator& ev, const Rule& rule, Prop p, double& out, double lo, double hi) {
    const auto& e = paint_expr(rule, p);
    if (!e) return;
    const Val v = ev.eval(*e);
    if (v.kind == Val::Kind::number && !std::isnan(v.n)) out = std::clamp(v.n, lo, hi);
}

void color(const Evaluator& ev, const Rule& rule, Prop p, Color& out) {
    const auto& e = paint_expr(rule, p);
    if (!e) return;
    if (const auto c = to_color(ev.eval(*e))) out = *c;
}

// The largest value `e` can give at `zoom` for any feature; nullopt when unbounded.
std::optional<double> upper_bound(const Expr& e, double zoom) {
    if (!e.reads_feature) {
        const Val v = Evaluator(zoom, nullptr).eval(e);
        if (v.kind == Val::Kind::number) return v.n;
        return std::nullopt;
    }
    // A zoom curve over data-driven values: only the two stops around `zoom` matter.
    if ((e.op == Op::interpolate || e.op == Op::step) && !e.args[0].reads_feature) {
        const Val in = Evaluator(zoom, nullptr).eval(e.args[0]);
        if (in.kind != Val::Kind::number || std::isnan(in.n)) return std::nullopt;
        const auto& s = e.stops;
        const auto above = static_cast<std::size_t>(std::upper_bound(s.begin(), s.end(), in.n) - s.begin());
        if (e.op == Op::step) return upper_bound(e.args[1 + above], zoom);
        const std::size_t lo = above == 0 ? 0 : above - 1;
        const std::size_t hi = std::min(above, s.size() - 1);
        const auto a = upper_bound(e.args[1 + lo], zoom);
        const auto b = upper_bound(e.args[1 + hi], zoom);
        if (!a || !b) return std::nullopt;
        return std::max(*a, *b);
    }
    std::size_t first = 0;
    std::size_t stride = 1;
    switch (e.op) {
        case Op::match:
        case Op::interpolate:
        case Op::step: first = 1; break;
        case Op::case_: first = 1; stride = 2; break;
        case Op::coalesce: break;
        default: return std::nullopt;
    }
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t i = first; i < e.args.size(); i += stride) {
        const auto b = upper_bound(e.args[i], zoom);
        if (!b) return std::nullopt;
        best = std::max(best, *b);
    }
    if (e.op == Op::case_) {
        const auto b = upper_bound(e.args.back(), zoom);
        if (!b) return std::nullopt;
        best = std::max(best, *b);
    }
    return best;
}

}  // namespace

Style load_style(const std::string& json_text) {
    json doc;
    try {
        doc = json::parse(json_text);
    } catch (const json::exception& e) {
        // The parser's message quotes the bytes it stopped at, which need not be UTF-8.
        throw Error(Errc::invalid_argument,
                    "the style is not valid JSON: " + text::printable(e.what(), 400));
    }
    if (!doc.is_object()) throw Error(Errc::invalid_argument, "a style is a JSON object");
    if (!doc.contains("version") || doc["version"] != 8) {
        throw Error(Errc::invalid_argument, "the style must be a MapLibre style of version 8");
    }
    const auto layers = doc.find("layers");
    if (layers == doc.end() || !layers->is_array()) throw Error(Errc::invalid_argument, "the style has no \"layers\" array");

    Style style;
    if (doc.contains("name") && doc["name"].is_string()) style.name = doc["name"].get<std::string>();
    if (const auto sources = doc.find("sources"); sources != doc.end() && sources->is_object()) {
        for (const auto& [name, s] : sources->items()) {
            style.sources[name] = s.is_object() && s.contains("type") && s["type"].is_string() ? s["type"].get<std::string>() : "";
        }
    }
    Parser parser(style);
    for (std::size_t i = 0; i < layers->size(); ++i) {
        try {
            parse_layer((*layers)[i], i, style, parser);
        } catch (const json::exception& e) {
            style.warnings.push_back("layer #" + std::to_string(i) + ": " + e.what() + "; left out");
        }
    }
    return style;
}

Style load_style_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Errc::not_found, "cannot read the style file " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return load_style(text.str());
}

FeatureData::FeatureData(const Style& style)
    : m_style(&style), m_slots(style.keys.size(), nullptr), m_owned(style.keys.size()) {}

void FeatureData::bind(std::span<const Field> fields) {
    m_field_key.assign(fields.size(), -1);
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto& keys = m_style->keys;
        const auto it = std::find(keys.begin(), keys.end(), fields[i].name);
        if (it != keys.end()) m_field_key[i] = static_cast<int>(it - keys.begin());
    }
}

void FeatureData::assign(std::span<const Value> values, GeometryKind geometry) {
    std::fill(m_slots.begin(), m_slots.end(), nullptr);
    const std::size_t n = std::min(values.size(), m_field_key.size());
    for (std::size_t i = 0; i < n; ++i) {
        const int k = m_field_key[i];
        if (k >= 0 && !std::holds_alternative<std::monostate>(values[i])) m_slots[static_cast<std::size_t>(k)] = &values[i];
    }
    m_geometry = geometry;
}

void FeatureData::set(std::string_view name, Value value) {
    const auto& keys = m_style->keys;
    const auto it = std::find(keys.begin(), keys.end(), name);
    if (it == keys.end()) return;
    const auto k = static_cast<std::size_t>(it - keys.begin());
    m_owned[k] = std::move(value);
    m_slots[k] = std::holds_alternative<std::monostate>(m_owned[k]) ? nullptr : &m_owned[k];
}

bool passes(const Rule& rule, double zoom, const FeatureData& feature) {
    if (!rule.exprs || !rule.exprs->filter) return true;
    return Evaluator::truthy(Evaluator(zoom, &feature).eval(*rule.exprs->filter));
}

Paint evaluate_paint(const Rule& rule, double zoom, const FeatureData& feature) {
    Paint p;
    if (!rule.exprs) return p;
    const Evaluator ev(zoom, &feature);
    switch (rule.type) {
        case LayerType::background:
            color(ev, rule, Prop::background_color, p.background_color);
            number(ev, rule, Prop::background_opacity, p.background_opacity, 0, 1);
            break;
        case LayerType::fill:
            color(ev, rule, Prop::fill_color, p.fill_color);
            number(ev, rule, Prop::fill_opacity, p.fill_opacity, 0, 1);
            if (const auto& e = paint_expr(rule, Prop::fill_outline_color)) p.fill_outline_color = to_color(ev.eval(*e));
            break;
        case LayerType::line:
            color(ev, rule, Prop::line_color, p.line_color);
            number(ev, rule, Prop::line_width, p.line_width, 0, 1e4);
            number(ev, rule, Prop::line_opacity, p.line_opacity, 0, 1);
            break;
        case LayerType::circle:
            color(ev, rule, Prop::circle_color, p.circle_color);
            number(ev, rule, Prop::circle_radius, p.circle_radius, 0, 1e4);
            number(ev, rule, Prop::circle_opacity, p.circle_opacity, 0, 1);
            color(ev, rule, Prop::circle_stroke_color, p.circle_stroke_color);
            number(ev, rule, Prop::circle_stroke_width, p.circle_stroke_width, 0, 1e4);
            number(ev, rule, Prop::circle_stroke_opacity, p.circle_stroke_opacity, 0, 1);
            break;
    }
    return p;
}

double max_spill_px(const Rule& rule, double zoom, double cap) {
    if (!rule.exprs) return 0;
    const auto bound = [&](Prop p, double fallback) {
        const auto& e = paint_expr(rule, p);
        if (!e) return fallback;
        const auto b = upper_bound(*e, zoom);
        return b ? std::clamp(*b, 0.0, cap) : cap;
    };
    switch (rule.type) {
        case LayerType::background: return 0;
        case LayerType::fill: return paint_expr(rule, Prop::fill_outline_color) ? 0.5 : 0;
        case LayerType::line: return std::min(cap, bound(Prop::line_width, 1) / 2);
        case LayerType::circle:
            return std::min(cap, bound(Prop::circle_radius, 5) + bound(Prop::circle_stroke_width, 0));
    }
    return 0;
}

namespace {

void mark_keys(const Expr& e, std::vector<char>& read) {
    if (e.op == Op::get || e.op == Op::has) read[e.key] = 1;
    for (const Expr& a : e.args) mark_keys(a, read);
}

}  // namespace

std::vector<std::string> keys_read(const Style& style, std::string_view source_layer, int tile_zoom) {
    std::vector<char> read(style.keys.size(), 0);
    const double lo = tile_zoom;
    const double hi = tile_zoom + 1.0;
    for (const Rule& rule : style.rules) {
        if (!rule.visible || rule.source_layer != source_layer || !rule.exprs) continue;
        if (rule.maxzoom <= lo || rule.minzoom >= hi) continue;
        if (rule.exprs->filter) mark_keys(*rule.exprs->filter, read);
        for (const auto& p : rule.exprs->paint) {
            if (p) mark_keys(*p, read);
        }
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < read.size(); ++i) {
        if (read[i]) out.push_back(style.keys[i]);
    }
    return out;
}

}  // namespace geo::style
