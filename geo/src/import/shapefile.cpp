// Shapefile headers checked against the files they describe. Every length or count read from a
// header is compared with a real file size before anything relies on it, and the files are read
// through a window of fixed size, so a hostile header can make neither Gridmap nor GDAL allocate
// or loop without bound.
#include "import/shapefile.hpp"

#include <algorithm>
#include <cstring>

#include <cpl_vsi.h>

#include "capi/free.hpp"
#include "geo/error.hpp"

namespace geo::import::detail {

namespace {

constexpr std::uint64_t k_shape_header = 100;  // the header of a .shp and of a .shx
constexpr std::uint64_t k_record_header = 8;   // record number, content length
constexpr std::uint64_t k_index_entry = 8;     // offset, content length
constexpr std::uint64_t k_dbf_header = 32;
constexpr std::uint64_t k_dbf_field = 32;
constexpr std::uint32_t k_file_code = 9994;
constexpr std::size_t k_window = 64 * 1024;  // holds any DBF header (at most 65,535 bytes)

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

std::uint32_t le32(const unsigned char* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
}

std::uint32_t le16(const unsigned char* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8);
}

void put_be32(unsigned char* p, std::uint32_t v) {
    p[0] = static_cast<unsigned char>(v >> 24);
    p[1] = static_cast<unsigned char>(v >> 16);
    p[2] = static_cast<unsigned char>(v >> 8);
    p[3] = static_cast<unsigned char>(v);
}

std::string n(std::uint64_t v) { return std::to_string(v); }

std::string plural(std::uint64_t count, const char* one, const char* many) {
    return n(count) + " " + (count == 1 ? one : many);
}

[[noreturn]] void refuse(const std::string& what) {
    throw Error(Errc::invalid_argument, what + "; nothing was imported");
}

/// A file read through a window of at most k_window bytes that slides forward: reading records
/// in file order costs one read call per window, and no read depends on a header's claims.
class WindowReader {
public:
    WindowReader(const std::string& path, std::string display) : m_display(std::move(display)) {
        m_file.reset(VSIFOpenL(path.c_str(), "rb"));
        if (!m_file) throw Error(Errc::invalid_argument, "cannot read " + m_display);
        if (VSIFSeekL(m_file.get(), 0, SEEK_END) != 0) {
            throw Error(Errc::invalid_argument, "cannot read " + m_display);
        }
        m_size = VSIFTellL(m_file.get());
        m_buffer.reserve(k_window);
    }

    std::uint64_t size() const noexcept { return m_size; }
    const std::string& display() const noexcept { return m_display; }

    /// The `count` bytes at `offset` (count <= k_window), or null when the file ends before.
    const unsigned char* at(std::uint64_t offset, std::size_t count) {
        if (count > k_window || offset > m_size || count > m_size - offset) return nullptr;
        if (offset >= m_start && offset - m_start + count <= m_buffer.size()) {
            return m_buffer.data() + (offset - m_start);
        }
        const std::size_t length =
            static_cast<std::size_t>(std::min<std::uint64_t>(k_window, m_size - offset));
        m_buffer.resize(length);
        m_start = offset;
        if (VSIFSeekL(m_file.get(), offset, SEEK_SET) != 0 ||
            VSIFReadL(m_buffer.data(), 1, length, m_file.get()) != length) {
            m_buffer.clear();
            throw Error(
                Errc::invalid_argument,
                "cannot read " + m_display + " (an input/output error at byte " + n(offset) + ")");
        }
        return m_buffer.data();
    }

private:
    std::string m_display;
    capi::Owned<VSILFILE, VSIFCloseL> m_file;
    std::uint64_t m_size = 0;
    std::vector<unsigned char> m_buffer;
    std::uint64_t m_start = 0;  // file offset of m_buffer[0]
};

/// The name of another part of the shapefile for messages: "x.shp" becomes "x.dbf".
std::string part_name(const ShapefileParts& parts, const std::string& path) {
    const std::string ext = path.size() >= 4 ? path.substr(path.size() - 4) : path;
    if (parts.display.size() < 4) return parts.display + ext;
    return parts.display.substr(0, parts.display.size() - 4) + ext;
}

/// Checks the 100-byte header of a .shp or .shx and returns the file length it gives, which is
/// never more than the real size.
std::uint64_t shape_header_length(WindowReader& f) {
    const std::string& name = f.display();
    if (f.size() < k_shape_header) {
        refuse(name + " is not a shapefile part: it has " + n(f.size()) +
               " bytes, fewer than the 100 of a shapefile header");
    }
    const unsigned char* h = f.at(0, k_shape_header);
    if (be32(h) != k_file_code) {
        refuse(name +
               " is not a shapefile part: its header does not start with the file code 9994");
    }
    const std::uint64_t length = 2 * std::uint64_t{be32(h + 24)};
    if (length < k_shape_header) {
        refuse(name + " has a damaged header: it gives a file length of " + n(length) +
               " bytes, less than the header itself");
    }
    if (length > f.size()) {
        refuse(name + " is cut short: its header gives a length of " + n(length) +
               " bytes but the file has " + n(f.size()));
    }
    return length;
}

/// The end of the record whose header is at `offset`, after checking that it lies in the file.
std::uint64_t record_end(WindowReader& shp, std::uint64_t offset, std::uint64_t limit,
                         std::uint64_t record_no) {
    const unsigned char* header = shp.at(offset, k_record_header);
    if (!header || offset + k_record_header > limit) {
        refuse("record " + n(record_no) + " of " + shp.display() + " starts at byte " + n(offset) +
               ", past the end of the file (" + n(limit) + " bytes)");
    }
    const auto words = static_cast<std::int32_t>(be32(header + 4));
    const std::uint64_t end =
        offset + k_record_header + 2 * static_cast<std::uint64_t>(std::max<std::int32_t>(words, 0));
    if (words < 0 || end > limit) {
        refuse("record " + n(record_no) + " of " + shp.display() + " (at byte " + n(offset) +
               ") claims " + n(2 * std::uint64_t{be32(header + 4)}) +
               " bytes of content, running past the end of the file (" + n(limit) + " bytes)");
    }
    return end;
}

}  // namespace

std::int64_t write_shx(const std::string& shp_path, const std::string& shx_path,
                       const std::string& display) {
    WindowReader shp(shp_path, display);
    const std::uint64_t length = shape_header_length(shp);
    unsigned char header[k_shape_header];
    std::memcpy(header, shp.at(0, k_shape_header), k_shape_header);

    std::vector<unsigned char> entries;
    std::uint64_t offset = k_shape_header;
    // Stop where fewer bytes remain than a record header: trailing bytes are not a record.
    while (length - offset >= k_record_header) {
        const std::uint64_t end =
            record_end(shp, offset, length, entries.size() / k_index_entry + 1);
        unsigned char entry[k_index_entry];
        put_be32(entry, static_cast<std::uint32_t>(offset / 2));
        put_be32(entry + 4, static_cast<std::uint32_t>((end - offset - k_record_header) / 2));
        entries.insert(entries.end(), entry, entry + k_index_entry);
        offset = end;
    }
    put_be32(header + 24, static_cast<std::uint32_t>((k_shape_header + entries.size()) / 2));

    capi::Owned<VSILFILE, VSIFCloseL> out(VSIFOpenL(shx_path.c_str(), "wb"));
    if (!out || VSIFWriteL(header, 1, k_shape_header, out.get()) != k_shape_header ||
        VSIFWriteL(entries.data(), 1, entries.size(), out.get()) != entries.size()) {
        throw Error(Errc::internal, "cannot write the rebuilt index of " + display + " in memory");
    }
    return static_cast<std::int64_t>(entries.size() / k_index_entry);
}

ShapefileLayout check_shapefile(const ShapefileParts& parts) {
    ShapefileLayout layout;

    WindowReader shp(parts.shp, parts.display);
    const std::uint64_t shp_length = shape_header_length(shp);
    if (shp.size() - shp_length >= k_record_header) {
        layout.warnings.push_back(parts.display + " has " + n(shp.size() - shp_length) +
                                  " bytes after the end given in its header; they were ignored");
    }

    if (!parts.shx) refuse(parts.display + " has no .shx index");
    WindowReader shx(*parts.shx, part_name(parts, *parts.shx));
    const std::uint64_t shx_length = shape_header_length(shx);
    if ((shx_length - k_shape_header) % k_index_entry != 0) {
        refuse(shx.display() + " has a damaged header: its length of " + n(shx_length) +
               " bytes does not hold a whole number of 8-byte index entries");
    }
    const std::uint64_t records = (shx_length - k_shape_header) / k_index_entry;
    if (const std::uint64_t held = (shx.size() - k_shape_header) / k_index_entry; held > records) {
        refuse(shx.display() + " holds " + plural(held, "index entry", "index entries") +
               " but its header announces " + n(records) +
               "; the records after them would be left out");
    }
    std::uint64_t furthest = k_shape_header;
    for (std::uint64_t i = 0; i < records; ++i) {
        const unsigned char* entry = shx.at(k_shape_header + i * k_index_entry, k_index_entry);
        const std::uint64_t offset = 2 * std::uint64_t{be32(entry)};
        if (offset < k_shape_header) {
            refuse("entry " + n(i + 1) + " of " + shx.display() + " points into the header of " +
                   parts.display + " (byte " + n(offset) + "), not at a record");
        }
        furthest = std::max(furthest, record_end(shp, offset, shp.size(), i + 1));
    }
    if (shp_length > furthest && shp_length - furthest >= k_record_header) {
        layout.warnings.push_back(
            parts.display + " holds " + n(shp_length - furthest) +
            " bytes after its last indexed record; no feature comes from them");
    }
    layout.records = static_cast<std::int64_t>(records);
    if (!parts.dbf) return layout;

    WindowReader dbf(*parts.dbf, part_name(parts, *parts.dbf));
    if (dbf.size() < k_dbf_header) {
        refuse(dbf.display() + " is not a dBASE table: it has " + n(dbf.size()) +
               " bytes, fewer than the 32 of its header");
    }
    const unsigned char* h = dbf.at(0, k_dbf_header);
    const std::uint64_t announced = le32(h + 4);
    const std::uint64_t header_length = le16(h + 8);
    const std::uint64_t record_length = le16(h + 10);
    if (header_length < k_dbf_header || header_length > dbf.size()) {
        refuse(dbf.display() + " has a damaged header: it gives a header length of " +
               n(header_length) + " bytes, but the file has " + n(dbf.size()));
    }
    if (record_length == 0) refuse(dbf.display() + " has a damaged header: its record length is 0");
    // The field descriptors, read as GDAL reads them: up to the terminator or the header's end.
    std::uint64_t field_bytes = 1;  // the deletion flag
    std::uint64_t descriptors_used = 0;
    const std::uint64_t descriptors = (header_length - k_dbf_header) / k_dbf_field;
    const unsigned char* fields = dbf.at(k_dbf_header, descriptors * k_dbf_field);
    for (; descriptors_used < descriptors && fields[descriptors_used * k_dbf_field] != 0x0D;
         ++descriptors_used) {
        const unsigned char* d = fields + descriptors_used * k_dbf_field;
        const bool numeric = d[11] == 'N' || d[11] == 'F';
        field_bytes += numeric ? d[16] : le16(d + 16);
    }
    if (field_bytes > record_length) {
        refuse(dbf.display() + " has a damaged header: its fields take " + n(field_bytes) +
               " bytes, more than its record length of " + n(record_length));
    }
    const std::uint64_t expected = header_length + announced * record_length;
    if (expected > dbf.size()) {
        const std::uint64_t whole = (dbf.size() - header_length) / record_length;
        std::string what = dbf.display() + " is cut short: its header announces " +
                           plural(announced, "record", "records") + " of " + n(record_length) +
                           " bytes (" + n(expected) + " bytes with the header) but the file has " +
                           n(dbf.size()) + " bytes, room for " + n(whole) + " whole " +
                           (whole == 1 ? "record" : "records");
        if (record_length != field_bytes) {
            what += " (and that record length does not match its fields, which take " +
                    n(field_bytes) + " bytes)";
        }
        refuse(what);
    }
    if (record_length != field_bytes) {
        layout.warnings.push_back(dbf.display() + ": records are " + n(record_length) +
                                  " bytes long but the fields take " + n(field_bytes) +
                                  "; the bytes between were ignored");
    }
    if (dbf.size() - expected > record_length) {
        layout.warnings.push_back(dbf.display() + " has " + n(dbf.size() - expected) +
                                  " bytes after its " + plural(announced, "record", "records") +
                                  "; they were ignored");
    }
    if (announced != records) {
        std::string what = parts.display + " holds " + plural(records, "shape", "shapes") +
                           " but " + dbf.display() + " " + plural(announced, "record", "records") +
                           ": the parts of a shapefile must agree record for record, or features "
                           "would get another feature's attributes or none";
        if (announced == 0 && field_bytes == 1 && descriptors_used == 0) {
            what += " (" + dbf.display() +
                    " has no fields at all: move it aside to import the shapes without attributes)";
        }
        refuse(what);
    }
    for (std::uint64_t i = 0; i < announced; ++i) {
        if (*dbf.at(header_length + i * record_length, 1) == '*') ++layout.deleted;
    }
    return layout;
}

}  // namespace geo::import::detail
