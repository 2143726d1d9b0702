// The import pipeline: open the source, settle its encoding and CRS, plan the columns,
// then stream features through the geometry cleaner into one store transaction.
#include "geo/import/import.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

#include <ogr_spatialref.h>

#include "capi/gdal.hpp"
#include "geo/crs/crs.hpp"
#include "geo/error.hpp"
#include "geo/schema.hpp"
#include "geo/text/encoding.hpp"
#include "import/fields.hpp"
#include "import/geometry.hpp"
#include "import/pipeline.hpp"
#include "import/source.hpp"

namespace geo::import {

using detail::ColumnPlan;
using detail::Family;
using detail::SourceField;

namespace {

constexpr std::size_t k_max_skip_examples = 20;
constexpr std::size_t k_max_detection_samples = 200000;

struct EncodingChoice {
    std::string encoding;
    std::string how;
    bool certain = true;
};

std::string hex_byte(unsigned char b) {
    static const char* digits = "0123456789ABCDEF";
    return std::string("0x") + digits[b >> 4] + digits[b & 0xF];
}

/// Samples of raw text from a shapefile: field names and every string value (deduplicated),
/// read with geometry ignored so that it costs a fraction of the import.
std::vector<std::string> text_samples(OGRLayer* layer) {
    std::set<std::string> samples;
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i) samples.insert(defn->GetFieldDefn(i)->GetNameRef());
    const char* ignore[] = {"OGR_GEOMETRY", nullptr};
    layer->SetIgnoredFields(ignore);
    layer->ResetReading();
    while (samples.size() < k_max_detection_samples) {
        OGRFeatureUniquePtr f(layer->GetNextFeature());
        if (!f) break;
        for (int i = 0; i < defn->GetFieldCount(); ++i) {
            if (defn->GetFieldDefn(i)->GetType() == OFTString && f->IsFieldSetAndNotNull(i)) {
                samples.insert(f->GetFieldAsString(i));
            }
        }
    }
    layer->SetIgnoredFields(nullptr);
    layer->ResetReading();
    return {samples.begin(), samples.end()};
}

EncodingChoice choose_encoding(const detail::Source& src, const ImportOptions& options) {
    if (options.encoding) {
        auto canonical = text::canonical_encoding(*options.encoding);
        if (!canonical) {
            throw Error(Errc::invalid_argument,
                        "--encoding " + *options.encoding +
                            ": unknown encoding (try GBK, GB18030, UTF-8, BIG5 or CP1252)");
        }
        return {*canonical, "--encoding", true};
    }
    if (src.driver != "ESRI Shapefile") return {"UTF-8", "UTF-8 by format", true};
    if (src.cpg_path) {
        if (auto cpg = detail::read_vsi_file(*src.cpg_path, 256)) {
            if (auto enc = text::encoding_from_cpg(*cpg)) return {*enc, ".cpg", true};
        }
    }
    if (src.dbf_path) {
        if (auto header = detail::read_vsi_file(*src.dbf_path, 32); header && header->size() > 29) {
            const auto ldid = static_cast<unsigned char>((*header)[29]);
            if (auto enc = text::encoding_from_ldid(ldid)) {
                return {*enc, "DBF code page byte " + hex_byte(ldid), true};
            }
        }
    }
    const auto samples = text_samples(src.layer);
    const auto detected = text::detect_encoding(samples);
    return {detected.encoding, detected.certain ? "detected" : "guessed", detected.certain};
}

struct CrsChoice {
    crs::CrsInfo info;
    std::string how;
};

CrsChoice choose_crs(const detail::Source& src, const ImportOptions& options,
                     std::vector<std::string>& warnings) {
    std::optional<crs::CrsInfo> from_file;
    if (const OGRSpatialReference* srs = src.layer->GetSpatialRef()) {
        char* wkt = nullptr;
        const char* wkt_options[] = {"FORMAT=WKT2_2019", nullptr};
        if (srs->exportToWkt(&wkt, wkt_options) == OGRERR_NONE && wkt) {
            try {
                from_file = crs::identify(wkt);
            } catch (const Error&) {
                // A .prj that cannot be read is treated like a missing one.
            }
        }
        CPLFree(wkt);
    }
    if (options.srs) {
        auto given = crs::from_user(*options.srs);
        if (from_file && from_file->definition != given.definition) {
            warnings.push_back("--srs " + given.definition + " overrides the file's CRS " +
                               from_file->definition + " (" + from_file->name + ")");
        }
        return {given, "--srs"};
    }
    if (from_file) return {*from_file, src.driver == "ESRI Shapefile" ? ".prj" : "file"};

    std::string message = src.display_name + " has no .prj file, so its coordinate system is unknown.";
    OGREnvelope env;
    if (src.layer->GetExtent(&env, TRUE) == OGRERR_NONE) {
        if (auto guess = crs::guess_from_extent(env.MinX, env.MinY, env.MaxX, env.MaxY)) {
            message += " The coordinates look like EPSG:" + std::to_string(guess->epsg) + " (" +
                       guess->reason + "): run again with --srs EPSG:" +
                       std::to_string(guess->epsg) + " if that is right.";
            throw Error(Errc::invalid_argument, message);
        }
    }
    message +=
        " Give it with --srs, e.g. --srs EPSG:4549 (CGCS2000 Gauss-Kruger 3-degree zones are "
        "EPSG:4534-4554 with 6-digit eastings, EPSG:4513-4533 with the zone number in front).";
    throw Error(Errc::invalid_argument, message);
}

/// Decodes a raw field name; a name cut in the middle of a character loses the partial bytes.
SourceField decode_field(int index, OGRFieldDefn* defn, text::Decoder& decoder, bool shapefile) {
    SourceField f;
    f.index = index;
    f.raw_name = defn->GetNameRef();
    std::optional<std::string> name = decoder.decode(f.raw_name);
    for (std::size_t cut = 1; !name && cut <= 3 && cut < f.raw_name.size(); ++cut) {
        name = decoder.decode(std::string_view(f.raw_name).substr(0, f.raw_name.size() - cut));
        if (name) f.name_was_cut = true;
    }
    f.name = name.value_or("");
    // A 10-byte name may have been cut on a character boundary, still losing characters.
    if (shapefile && f.raw_name.size() >= 9 && !f.name.empty() &&
        static_cast<unsigned char>(f.raw_name.back()) >= 0x80) {
        f.name_was_cut = true;
    }
    switch (defn->GetType()) {
        case OFTInteger:
        case OFTInteger64: f.type = FieldType::integer; break;
        case OFTReal: f.type = FieldType::real; break;
        default: f.type = FieldType::text;
    }
    return f;
}

std::string format_number(double v) {
    if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

class ValueReader {
public:
    ValueReader(text::Decoder& decoder, ImportReport& report) : m_decoder(decoder), m_report(report) {}

    Value read(OGRFeature& f, const SourceField& src, FieldType target, std::int64_t feature_no) {
        const int i = src.index;
        if (!f.IsFieldSetAndNotNull(i)) return std::monostate{};
        OGRFieldDefn* defn = f.GetFieldDefnRef(i);
        const OGRFieldType type = defn->GetType();
        if (type == OFTInteger || type == OFTInteger64 || type == OFTReal) {
            const double d = f.GetFieldAsDouble(i);
            if (!std::isfinite(d)) return std::monostate{};
            switch (target) {
                case FieldType::integer:
                    if (type == OFTReal) return static_cast<std::int64_t>(std::llround(d));
                    return static_cast<std::int64_t>(f.GetFieldAsInteger64(i));
                case FieldType::real: return d;
                case FieldType::text:
                    return type == OFTReal ? format_number(d)
                                           : std::to_string(f.GetFieldAsInteger64(i));
            }
        }
        std::string text;
        if (type == OFTDate || type == OFTDateTime || type == OFTTime) {
            int y, mo, d, h, mi, tz;
            float s;
            if (!f.GetFieldAsDateTime(i, &y, &mo, &d, &h, &mi, &s, &tz)) return std::monostate{};
            char buf[40];
            if (type == OFTDate) {
                std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, mo, d);
            } else if (type == OFTTime) {
                std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", h, mi, static_cast<int>(s));
            } else {
                std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi,
                              static_cast<int>(s));
            }
            text = buf;
        } else {
            auto decoded = m_decoder.decode(f.GetFieldAsString(i));
            if (!decoded) {
                throw Error(Errc::invalid_argument,
                            "feature " + std::to_string(feature_no) + ", field " + src.name +
                                ": the text is not valid " + m_decoder.encoding() +
                                "; give the right encoding with --encoding (e.g. GBK or UTF-8)");
            }
            text = std::move(*decoded);
        }
        if (target == FieldType::text) return text;
        const auto number = detail::parse_leading_number(text);
        if (!number) {
            ++m_report.values_not_numbers;
            return std::monostate{};
        }
        if (target == FieldType::integer) return static_cast<std::int64_t>(std::llround(*number));
        return *number;
    }

private:
    text::Decoder& m_decoder;
    ImportReport& m_report;
};

/// Reads, decodes and cleans source features into store rows. Runs on the producer thread.
class RowProducer {
public:
    RowProducer(OGRLayer& layer, const std::vector<SourceField>& sources,
                const std::vector<ColumnPlan>& plan, Family family, const crs::Transformer& transformer,
                text::Decoder& decoder, ImportReport& report, capi::GdalErrorCapture& errors)
        : m_layer(layer),
          m_sources(sources),
          m_plan(plan),
          m_cleaner(family, transformer, column_of(plan, "pos_lon") >= 0),
          m_values(decoder, report),
          m_report(report),
          m_errors(errors),
          m_pos_lon(column_of(plan, "pos_lon")),
          m_pos_lat(column_of(plan, "pos_lat")) {
        m_errors.clear();
        m_layer.ResetReading();
    }

    /// Appends up to `n` rows; false once the source is exhausted.
    bool next_batch(std::vector<store::FeatureRow>& rows, std::size_t n) {
        while (rows.size() < n) {
            OGRFeatureUniquePtr feature(m_layer.GetNextFeature());
            if (!feature) return false;
            ++m_report.features_read;
            std::string reason;
            if (!m_errors.failures().empty()) {
                reason = "unreadable record (" + m_errors.failures().back() + ")";
                m_errors.clear();
            }
            detail::Cleaned cleaned;
            if (reason.empty()) {
                cleaned = m_cleaner.clean(std::unique_ptr<OGRGeometry>(feature->StealGeometry()));
                reason = cleaned.skip_reason;
            }
            if (!reason.empty()) {
                skip(feature->GetFID(), reason);
                continue;
            }
            if (cleaned.repaired) ++m_report.repaired;
            store::FeatureRow& row = rows.emplace_back();
            row.values.assign(m_plan.size(), std::monostate{});
            for (std::size_t c = 0; c < m_plan.size(); ++c) {
                if (m_plan[c].source_index) {
                    row.values[c] = m_values.read(*feature, m_sources[static_cast<std::size_t>(*m_plan[c].source_index)],
                                                  m_plan[c].field.type, m_report.features_read);
                }
            }
            if (m_pos_lon >= 0 && cleaned.point_on_surface) {
                row.values[static_cast<std::size_t>(m_pos_lon)] = cleaned.point_on_surface->first;
                row.values[static_cast<std::size_t>(m_pos_lat)] = cleaned.point_on_surface->second;
            }
            row.wkb = std::move(cleaned.wkb);
            ++m_report.imported;
        }
        return true;
    }

    /// Checks that the source was read whole: a reader that stopped on an error, or delivered
    /// another number of features than the file's headers announce (`expected`, −1 when they
    /// announce none), has lost rows, and nothing may be imported from it. Skipped geometries
    /// are not lost rows: they are counted as read.
    void finish(const std::string& display, std::int64_t expected) {
        const std::int64_t read = m_report.features_read;
        if (!m_errors.failures().empty()) {
            throw Error(Errc::invalid_argument,
                        display + ": reading stopped after " + std::to_string(read) +
                            (expected >= 0 ? " of " + std::to_string(expected) : std::string()) +
                            " features (" + m_errors.failures().back() +
                            "); the file cannot be read whole, so nothing was imported");
        }
        if (expected >= 0 && read != expected) {
            std::string why;
            if (!m_errors.warnings().empty()) why = " (" + m_errors.warnings().back() + ")";
            throw Error(Errc::invalid_argument,
                        display + " announces " + std::to_string(expected) + " features but " +
                            std::to_string(read) + " could be read" + why +
                            "; the file cannot be read whole, so nothing was imported");
        }
        for (const auto& w : m_errors.warnings()) {
            if (m_report.warnings.size() < 50) m_report.warnings.push_back(w);
        }
    }

private:
    static int column_of(const std::vector<ColumnPlan>& plan, const char* name) {
        for (std::size_t i = 0; i < plan.size(); ++i) {
            if (plan[i].core && plan[i].field.name == name) return static_cast<int>(i);
        }
        return -1;
    }

    void skip(GIntBig fid, const std::string& reason) {
        ++m_report.skipped;
        ++m_report.skipped_by_reason[reason];
        if (m_report.skipped_examples.size() < k_max_skip_examples) {
            m_report.skipped_examples.push_back("feature " + std::to_string(fid) + ": " + reason);
        }
    }

    OGRLayer& m_layer;
    const std::vector<SourceField>& m_sources;
    const std::vector<ColumnPlan>& m_plan;
    detail::GeometryCleaner m_cleaner;
    ValueReader m_values;
    ImportReport& m_report;
    capi::GdalErrorCapture& m_errors;
    int m_pos_lon;
    int m_pos_lat;
};


}  // namespace

ImportReport import_file(store::Store& store, const ImportOptions& options, const Progress& progress) {
    const auto started = std::chrono::steady_clock::now();
    if (!schema::is_valid_layer_name(options.layer)) {
        throw Error(Errc::invalid_argument,
                    "--layer \"" + options.layer +
                        "\" cannot name a layer: use 1-63 lower-case letters, digits and '_', "
                        "starting with a letter");
    }
    ImportReport report;
    report.source = options.path;
    report.layer = options.layer;
    report.mode = options.mode == store::WriteMode::replace ? "replace" : "append";

    capi::GdalErrorCapture gdal_errors;
    detail::Source src = detail::open_source(options.path, options.source_layer);
    report.driver = src.driver;
    report.warnings = src.warnings;

    const schema::CoreLayer* core = schema::core_layer(options.layer);
    auto family = detail::family_of(src.layer->GetGeomType());
    if (!family) {
        throw Error(Errc::invalid_argument, src.display_name + " has no geometry to import");
    }
    if (core) {
        const std::string_view want = core->geometry_family;
        const bool fits = *family == Family::any ||
                          (want == "polygon" && *family == Family::polygon) ||
                          (want == "line" && *family == Family::line) ||
                          (want == "point" && (*family == Family::point || *family == Family::multipoint));
        if (!fits) {
            throw Error(Errc::invalid_argument,
                        "layer " + options.layer + " holds " + std::string(want) + "s, but " +
                            src.display_name + " holds " +
                            OGRGeometryTypeToName(src.layer->GetGeomType()) + " geometries");
        }
        if (want == "polygon") family = Family::polygon;
        if (want == "line") family = Family::line;
        if (want == "point") family = Family::point;
    }
    report.geometry_type = detail::stored_type(*family);

    const EncodingChoice encoding = choose_encoding(src, options);
    report.encoding = encoding.encoding;
    report.encoding_source = encoding.how;
    if (!encoding.certain) {
        report.warnings.push_back("the attribute text carries no encoding marker and is not UTF-8 or "
                                  "Chinese; it was read as " + encoding.encoding +
                                  ": check the names and give --encoding if they look wrong");
    }
    text::Decoder decoder(encoding.encoding);

    const CrsChoice crs_choice = choose_crs(src, options, report.warnings);
    report.crs = crs_choice.info.definition.starts_with("EPSG:") ? crs_choice.info.definition
                                                                 : "custom (WKT)";
    report.crs_name = crs_choice.info.name;
    report.crs_source = crs_choice.how;
    const crs::Transformer transformer(crs_choice.info.definition, "EPSG:4326");

    OGRFeatureDefn* defn = src.layer->GetLayerDefn();
    std::vector<SourceField> sources;
    const bool shapefile = src.driver == "ESRI Shapefile";
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
        sources.push_back(decode_field(i, defn->GetFieldDefn(i), decoder, shapefile));
    }
    const std::vector<ColumnPlan> plan = detail::plan_columns(core, sources, options.field_map, report.fields);

    store::NewLayer new_layer;
    new_layer.name = options.layer;
    new_layer.title = !options.title.empty() ? options.title : core ? std::string(core->title) : "";
    new_layer.geometry_type = report.geometry_type;
    for (const auto& c : plan) new_layer.fields.push_back(c.field);
    new_layer.source_file = src.display_name;
    new_layer.source_crs = report.crs == "custom (WKT)" ? crs_choice.info.definition : report.crs;
    new_layer.encoding = encoding.encoding;

    const std::int64_t total = src.layer->GetFeatureCount(TRUE);
    // What the reader must deliver: the records a shapefile's checked headers announce, less
    // those its DBF marks deleted (GDAL leaves them out, as every GIS does). Other formats
    // announce nothing the reader does not compute itself: GDAL's GeoJSON count leaves out
    // objects without "type": "Feature" that its reader delivers, and a GeoPackage's count comes
    // from gpkg_ogr_contents, which other writers leave stale; for them a read error is the
    // sign of lost rows.
    const std::int64_t expected = src.announced ? *src.announced - src.deleted : -1;
    if (src.deleted > 0) {
        report.warnings.push_back(std::to_string(src.deleted) +
                                  (src.deleted == 1 ? " record" : " records") +
                                  " marked deleted in the DBF left out");
    }
    const std::optional<LayerInfo> existing = store.layer(options.layer);
    auto writer = store.write_layer(new_layer, options.mode);
    if (progress) progress(0, total);

    // Two threads, as the machine has two cores: this one writes rows into the store while a
    // producer reads, decodes and cleans the next ones (its GEOS context and GDAL error
    // capture are its own). `report` belongs to the producer until it is joined.
    detail::BatchChannel channel(8);
    std::thread producer([&] {
        try {
            capi::GdalErrorCapture reading_errors;
            RowProducer rows(*src.layer, sources, plan, *family, transformer, decoder, report,
                             reading_errors);
            bool more = true;
            while (more) {
                detail::Batch batch;
                more = rows.next_batch(batch.rows, 512);
                batch.features_read = report.features_read;
                if (!batch.rows.empty() && !channel.push(std::move(batch))) return;
            }
            rows.finish(src.display_name, expected);
            channel.close();
        } catch (...) {
            channel.fail(std::current_exception());
        }
    });
    std::int64_t features_read = 0;
    try {
        auto last_progress = std::chrono::steady_clock::now();
        while (auto batch = channel.pop()) {
            for (const auto& row : batch->rows) writer->add(row);
            features_read = batch->features_read;
            const auto now = std::chrono::steady_clock::now();
            if (progress && now - last_progress > std::chrono::milliseconds(100)) {
                progress(features_read, total);
                last_progress = now;
            }
        }
    } catch (...) {
        channel.abandon();
        producer.join();
        throw;
    }
    producer.join();
    channel.rethrow_failure();

    if (report.imported == 0 && options.mode == store::WriteMode::replace) {
        if (report.features_read > 0) {
            throw Error(Errc::invalid_argument,
                        src.display_name + ": none of its " + std::to_string(report.features_read) +
                            " features could be imported (" +
                            (report.skipped_examples.empty() ? std::string("no readable geometry")
                                                             : report.skipped_examples.front()) +
                            "); the layer was left as it was");
        }
        if (existing && existing->feature_count > 0) {
            throw Error(Errc::invalid_argument,
                        src.display_name +
                            " holds no features; an empty file does not replace layer " +
                            options.layer + " (" + std::to_string(existing->feature_count) +
                            " features), which was left as it was");
        }
    }
    if (progress) progress(report.features_read, total);
    const LayerInfo info = writer->commit();
    report.layer_feature_count = info.feature_count;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

nlohmann::json to_json(const ImportReport& r) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : r.fields) {
        fields.push_back({{"source", f.source}, {"target", f.target}, {"how", f.how}});
    }
    return {
        {"source", r.source},
        {"layer", r.layer},
        {"mode", r.mode},
        {"driver", r.driver},
        {"geometry_type", r.geometry_type},
        {"encoding", {{"name", r.encoding}, {"from", r.encoding_source}}},
        {"crs", {{"code", r.crs}, {"name", r.crs_name}, {"from", r.crs_source}}},
        {"features_read", r.features_read},
        {"imported", r.imported},
        {"repaired", r.repaired},
        {"skipped", r.skipped},
        {"skipped_by_reason", r.skipped_by_reason},
        {"skipped_examples", r.skipped_examples},
        {"values_not_numbers", r.values_not_numbers},
        {"fields", fields},
        {"warnings", r.warnings},
        {"layer_feature_count", r.layer_feature_count},
        {"seconds", r.seconds},
    };
}

}  // namespace geo::import
