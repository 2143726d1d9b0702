#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include <protozero/pbf_builder.hpp>
#include <protozero/varint.hpp>

#include "geo/error.hpp"
#include "geo/tiles/tile.hpp"
#include "tiles/mvt_encoder.hpp"
#include "tiles/tile_geometry.hpp"

namespace geo::tiles {

namespace {

using detail::EncodeStats;
using detail::GeomType;
using detail::LayerSelection;
using detail::PartRange;
using detail::TileGeometry;
using detail::TilePoint;

// Field numbers of vector_tile.proto, MVT 2.1.
enum class TileTag : protozero::pbf_tag_type { layers = 3 };
enum class LayerTag : protozero::pbf_tag_type {
    name = 1,
    features = 2,
    keys = 3,
    values = 4,
    extent = 5,
    version = 15,
};
enum class FeatureTag : protozero::pbf_tag_type { id = 1, tags = 2, type = 3, geometry = 4 };
enum class ValueTag : protozero::pbf_tag_type {
    string_value = 1,
    double_value = 3,
    int_value = 4,
    sint_value = 6,
};

constexpr std::uint32_t k_mvt_version = 2;
constexpr std::uint32_t k_max_extent = 1u << 20;
constexpr std::uint32_t k_max_buffer = 1u << 20;

enum class Command : std::uint32_t { move_to = 1, line_to = 2, close_path = 7 };

constexpr std::uint32_t command(Command c, std::size_t count) noexcept {
    return static_cast<std::uint32_t>(c) | (static_cast<std::uint32_t>(count) << 3);
}

// An entry of a layer's values table. Text points into the caller's features, which outlive
// the encoding; reals compare by bits, so 0.0 and -0.0 stay apart.
struct ValueKey {
    enum class Kind : std::uint8_t { integer, real, text };
    Kind kind = Kind::integer;
    std::uint64_t bits = 0;
    std::string_view text;
    bool operator==(const ValueKey&) const = default;
};

struct ValueKeyHash {
    std::size_t operator()(const ValueKey& v) const noexcept {
        if (v.kind == ValueKey::Kind::text) return std::hash<std::string_view>{}(v.text);
        // A 64-bit mix (splitmix64's finaliser): integer ids and reals hash well either way.
        std::uint64_t h = v.bits + static_cast<std::uint64_t>(v.kind) * 0x9E3779B97F4A7C15ull;
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
        return static_cast<std::size_t>(h ^ (h >> 31));
    }
};

// Encodes one layer at a time into its own buffer, so that a layer left with no feature is
// never written; buffers are kept from layer to layer.
class LayerEncoder {
  public:
    LayerEncoder(const TileId& t, const MvtOptions& options, EncodeStats* stats)
        : m_geometry(t, options), m_extent(options.extent), m_min_area(options.min_area_units),
          m_stats(stats) {}

    /// Returns false when no feature of the layer is left.
    bool encode(const MvtLayerInput& in, const LayerSelection* selection) {
        m_buffer.clear();
        m_keys.clear();
        m_key_of_field.assign(in.fields.size(), k_no_key);
        m_values.clear();
        m_value_index.clear();
        m_field_kept = selection != nullptr && !selection->fields.empty() ? &selection->fields : nullptr;

        protozero::pbf_builder<LayerTag> layer{m_buffer};
        layer.add_uint32(LayerTag::version, k_mvt_version);
        layer.add_string(LayerTag::name, in.name);
        std::size_t count = 0;
        const auto write = [&](std::int64_t fid, GeomType type) {
            protozero::pbf_builder<FeatureTag> feature{layer, LayerTag::features};
            if (fid >= 0) feature.add_uint64(FeatureTag::id, static_cast<std::uint64_t>(fid));
            if (!m_tags.empty()) {
                feature.add_packed_uint32(FeatureTag::tags, m_tags.cbegin(), m_tags.cend());
            }
            feature.add_enum(FeatureTag::type, static_cast<std::int32_t>(type));
            feature.add_packed_uint32(FeatureTag::geometry, m_commands.cbegin(), m_commands.cend());
            ++count;
        };
        const auto add = [&](const Feature& f) {
            const GeomType type = m_geometry.build(f.wkb);
            if (m_stats != nullptr) count_polygon(type);
            if (type == GeomType::none) return;
            encode_commands(type, m_geometry.points(), m_geometry.parts());
            encode_tags(in.fields, f.values);
            write(f.fid, type);
        };
        if (selection != nullptr && selection->features) {
            for (const std::uint32_t i : *selection->features) add(in.features[i]);
        } else {
            for (const Feature& f : in.features) add(f);
        }
        if (selection != nullptr) {
            for (const detail::TileShape& shape : selection->extra) {
                if (shape.parts.empty()) continue;
                encode_commands(GeomType::polygon, shape.points, shape.parts);
                m_tags.clear();
                write(-1, GeomType::polygon);
            }
        }
        if (count == 0) return false;

        for (const std::string_view key : m_keys)
            layer.add_string(LayerTag::keys, key.data(), key.size());
        for (const ValueKey& v : m_values) {
            protozero::pbf_builder<ValueTag> value{layer, LayerTag::values};
            switch (v.kind) {
                case ValueKey::Kind::integer: {
                    const auto i = std::bit_cast<std::int64_t>(v.bits);
                    if (i < 0) {
                        value.add_sint64(ValueTag::sint_value, i);
                    } else {
                        value.add_int64(ValueTag::int_value, i);
                    }
                    break;
                }
                case ValueKey::Kind::real:
                    value.add_double(ValueTag::double_value, std::bit_cast<double>(v.bits));
                    break;
                case ValueKey::Kind::text:
                    value.add_string(ValueTag::string_value, v.text.data(), v.text.size());
                    break;
            }
        }
        layer.add_uint32(LayerTag::extent, m_extent);
        return true;
    }

    const std::string& buffer() const noexcept { return m_buffer; }

  private:
    static constexpr std::uint32_t k_no_key = std::numeric_limits<std::uint32_t>::max();

    void count_polygon(GeomType type) {
        if (type == GeomType::polygon) {
            ++m_stats->polygons_drawn;
        } else if (type == GeomType::none && m_geometry.largest_ring_area() > 0 &&
                   m_geometry.largest_ring_area() < m_min_area) {
            ++m_stats->polygons_too_small;
        }
    }

    void encode_commands(GeomType type, const std::vector<TilePoint>& pts,
                         const std::vector<PartRange>& parts) {
        m_commands.clear();
        std::int32_t cx = 0;
        std::int32_t cy = 0;
        const auto delta = [&](const TilePoint& p) {
            m_commands.push_back(protozero::encode_zigzag32(p.x - cx));
            m_commands.push_back(protozero::encode_zigzag32(p.y - cy));
            cx = p.x;
            cy = p.y;
        };
        for (const PartRange& part : parts) {
            const std::size_t n = part.end - part.begin;
            if (type == GeomType::point) {
                m_commands.push_back(command(Command::move_to, n));
                for (std::size_t i = part.begin; i < part.end; ++i) delta(pts[i]);
                continue;
            }
            m_commands.push_back(command(Command::move_to, 1));
            delta(pts[part.begin]);
            m_commands.push_back(command(Command::line_to, n - 1));
            for (std::size_t i = part.begin + 1; i < part.end; ++i) delta(pts[i]);
            if (type == GeomType::polygon) m_commands.push_back(command(Command::close_path, 1));
        }
    }

    void encode_tags(const std::vector<Field>& fields, const std::vector<Value>& values) {
        m_tags.clear();
        const std::size_t n = std::min(fields.size(), values.size());
        for (std::size_t i = 0; i < n; ++i) {
            if (m_field_kept != nullptr && i < m_field_kept->size() && (*m_field_kept)[i] == 0) continue;
            ValueKey key;
            if (const auto* v = std::get_if<std::int64_t>(&values[i])) {
                key = {ValueKey::Kind::integer, std::bit_cast<std::uint64_t>(*v), {}};
            } else if (const auto* d = std::get_if<double>(&values[i])) {
                key = {ValueKey::Kind::real, std::bit_cast<std::uint64_t>(*d), {}};
            } else if (const auto* s = std::get_if<std::string>(&values[i])) {
                key = {ValueKey::Kind::text, 0, *s};
            } else {
                continue;
            }
            m_tags.push_back(key_of_field(fields, i));
            const auto [it, inserted] =
                m_value_index.try_emplace(key, static_cast<std::uint32_t>(m_values.size()));
            if (inserted) m_values.push_back(key);
            m_tags.push_back(it->second);
        }
    }

    std::uint32_t key_of_field(const std::vector<Field>& fields, std::size_t i) {
        std::uint32_t& key = m_key_of_field[i];
        if (key == k_no_key) {
            const std::string_view name = fields[i].name;
            const auto found = std::find(m_keys.begin(), m_keys.end(), name);
            key = static_cast<std::uint32_t>(found - m_keys.begin());
            if (found == m_keys.end()) m_keys.push_back(name);
        }
        return key;
    }

    TileGeometry m_geometry;
    std::uint32_t m_extent;
    double m_min_area;
    EncodeStats* m_stats;
    const std::vector<char>* m_field_kept = nullptr;
    std::string m_buffer;
    std::vector<std::uint32_t> m_commands;
    std::vector<std::uint32_t> m_tags;
    std::vector<std::string_view> m_keys;
    std::vector<std::uint32_t> m_key_of_field;
    std::vector<ValueKey> m_values;
    std::unordered_map<ValueKey, std::uint32_t, ValueKeyHash> m_value_index;
};

std::string tile_name(const TileId& t) {
    return std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y);
}

}  // namespace

std::string encode_mvt(const TileId& t, const std::vector<MvtLayerInput>& layers,
                       const MvtOptions& options) {
    return detail::encode_mvt_selected(t, layers, {}, options);
}

std::string detail::encode_mvt_selected(const TileId& t, const std::vector<MvtLayerInput>& layers,
                                        std::span<const LayerSelection> selections,
                                        const MvtOptions& options, EncodeStats* stats) {
    if (!is_valid(t)) {
        throw Error(Errc::invalid_argument,
                    "tile " + tile_name(t) + " does not exist: zoom must be 0–" +
                        std::to_string(k_max_zoom) + " and x, y below 2^zoom");
    }
    if (options.extent == 0 || options.extent > k_max_extent || options.buffer > k_max_buffer) {
        throw Error(Errc::invalid_argument,
                    "tile extent must be 1–" + std::to_string(k_max_extent) +
                        " and buffer at most " + std::to_string(k_max_buffer) + " units");
    }
    std::unordered_set<std::string_view> names;
    for (const MvtLayerInput& layer : layers) {
        if (!names.insert(layer.name).second) {
            throw Error(Errc::invalid_argument,
                        "layer name '" + layer.name + "' appears twice in one tile");
        }
    }

    if (!selections.empty() && selections.size() != layers.size()) {
        throw Error(Errc::internal, "tile " + tile_name(t) + ": one selection per layer expected");
    }

    LayerEncoder encoder{t, options, stats};
    std::string tile;
    protozero::pbf_builder<TileTag> builder{tile};
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const LayerSelection* selection = selections.empty() ? nullptr : &selections[i];
        if (encoder.encode(layers[i], selection)) builder.add_message(TileTag::layers, encoder.buffer());
    }
    return tile;
}

}  // namespace geo::tiles
