// The one CSV writer: RFC 4180 quoting, and the formula guard that keeps a spreadsheet from
// running what an imported attribute says (=HYPERLINK, @SUM, …) when a planner opens an export.
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "geo/import/import.hpp"
#include "geo/io/csv.hpp"
#include "geo/io/export.hpp"
#include "geo/store/store.hpp"
#include "support/test_support.hpp"

namespace {

// The text of one cell as the writer puts it in a row.
template <typename... Args>
std::string one_cell(const Args&... args) {
    geo::io::CsvWriter csv;
    csv.cell(args...).end_row();
    std::string row = csv.str();
    EXPECT_TRUE(row.ends_with("\r\n"));
    return row.substr(0, row.size() - 2);
}

std::vector<std::string> lines_of(const std::string& csv) {
    std::vector<std::string> lines;
    for (std::size_t at = 0, next; (next = csv.find("\r\n", at)) != std::string::npos; at = next + 2) {
        lines.push_back(csv.substr(at, next - at));
    }
    return lines;
}

struct TextCase {
    const char* what;
    std::string text;
    std::string written;
};

TEST(CsvWriter, TextIsQuotedOnlyWhenRfc4180NeedsIt) {
    const std::vector<TextCase> cases = {
        {"plain", "幸福小区3栋", "幸福小区3栋"},
        {"empty", "", ""},
        {"comma", "甲,社区", "\"甲,社区\""},
        {"quote", "say \"hi\"", "\"say \"\"hi\"\"\""},
        {"line feed", "one\ntwo", "\"one\ntwo\""},
        {"carriage return inside", "one\rtwo", "\"one\rtwo\""},
        {"tab inside", "one\ttwo", "one\ttwo"},
        {"Chinese punctuation", "东方明珠，上海", "东方明珠，上海"},
    };
    for (const auto& c : cases) EXPECT_EQ(one_cell(c.text), c.written) << c.what;
}

TEST(CsvWriter, TextASpreadsheetWouldRunGetsALeadingQuote) {
    const std::vector<TextCase> cases = {
        {"equals", "=1+1", "'=1+1"},
        {"plus", "+86 21 1234", "'+86 21 1234"},
        {"minus", "-3", "'-3"},
        {"at", "@SUM(A1)", "'@SUM(A1)"},
        {"tab", "\t=1", "'\t=1"},
        {"carriage return", "\r=1", "\"'\r=1\""},
        {"full-width equals", "＝1+1", "'＝1+1"},
        {"full-width plus", "＋1", "'＋1"},
        {"full-width minus", "－1", "'－1"},
        {"full-width at", "＠SUM(A1)", "'＠SUM(A1)"},
        {"quoted as well", "=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
        {"DDE", "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
        // Not at the start, or not a formula character: left alone.
        {"equals later", "a=b", "a=b"},
        {"full-width digit", "１号楼", "１号楼"},
        {"another full-width sign", "（一）", "（一）"},
        {"apostrophe", "'quoted", "'quoted"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(one_cell(c.text), c.written) << c.what;
        EXPECT_EQ(one_cell(geo::Value(c.text)), c.written) << c.what << " (as a Value)";
    }
}

TEST(CsvWriter, NumbersAreNeverPrefixed) {
    EXPECT_EQ(one_cell(-3.5), "-3.5");
    EXPECT_EQ(one_cell(std::int64_t{-42}), "-42");
    EXPECT_EQ(one_cell(-7), "-7");
    EXPECT_EQ(one_cell(std::size_t{7}), "7");
    EXPECT_EQ(one_cell(-73.98765432, 9), "-73.9876543");
    EXPECT_EQ(one_cell(0.1 + 0.2), "0.3");  // 15 significant digits, as a spreadsheet keeps
    EXPECT_EQ(one_cell(1e21), "1e+21");
    EXPECT_EQ(one_cell(-0.5), "-0.5");
    EXPECT_EQ(one_cell(geo::Value(-3.5)), "-3.5");
    EXPECT_EQ(one_cell(geo::Value(std::int64_t{-9007199254740993})), "-9007199254740993");
    geo::io::CsvWriter fixed;
    fixed.cell_fixed(-1.4, 2).cell_fixed(2, 2).end_row();
    EXPECT_EQ(fixed.str(), "-1.40,2.00\r\n");
}

TEST(CsvWriter, NullAndNonFiniteAreEmptyCells) {
    EXPECT_EQ(one_cell(geo::Value{}), "");
    EXPECT_EQ(one_cell(std::numeric_limits<double>::quiet_NaN()), "");
    EXPECT_EQ(one_cell(-std::numeric_limits<double>::infinity()), "");
    geo::io::CsvWriter csv;
    csv.cell(geo::Value{}).cell(geo::Value{}).cell(1).end_row();
    EXPECT_EQ(csv.str(), ",,1\r\n");
}

TEST(CsvWriter, RowsEndInCrlfAndStreamAsTheyEnd) {
    std::ostringstream out;
    geo::io::CsvWriter csv(out);
    csv.row({"fid", "名称", "a,b"});
    EXPECT_EQ(out.str(), "fid,名称,\"a,b\"\r\n");
    csv.cell(1).cell("x");
    EXPECT_EQ(out.str(), "fid,名称,\"a,b\"\r\n");  // an unfinished row is not written
    csv.end_row().end_row();
    EXPECT_EQ(out.str(), "fid,名称,\"a,b\"\r\n1,x\r\n\r\n");
    EXPECT_TRUE(csv.str().empty());
}

// What `gridmap export --format csv` writes for a layer imported from a file whose attributes
// hold formulas: each one reaches the spreadsheet as text, and numbers stay numbers.
TEST(CsvExport, FormulasFromAnImportedLayerAreWrittenAsText) {
    gridmap::test::TempDir dir;
    const auto source = dir / "sites.geojson";
    std::ofstream(source) << R"json({"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"label": "=HYPERLINK(\"http://x\",\"y\")", "height": -3.5, "code": "-3"},
   "geometry": {"type": "Point", "coordinates": [121.5, 31.25]}},
  {"type": "Feature", "properties": {"label": "@SUM(A1)", "height": 2.25, "code": "＝1+1"},
   "geometry": {"type": "Point", "coordinates": [-73.5, 40.75]}}
]})json";
    auto store = geo::store::open_store((dir / "s.sqlite").string(), true);
    geo::import::ImportOptions options;
    options.path = source.string();
    options.layer = "sites";
    ASSERT_EQ(geo::import::import_file(*store, options).imported, 2);

    std::ostringstream out;
    geo::io::write_csv(*store, "sites", {}, out);
    const auto lines = lines_of(out.str());
    ASSERT_EQ(lines.size(), 3u) << out.str();
    EXPECT_EQ(lines[0], "fid,label,height,code,wkt");
    EXPECT_EQ(lines[1], "1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-3.5,'-3,POINT (121.5 31.25)");
    EXPECT_EQ(lines[2], "2,'@SUM(A1),2.25,'＝1+1,POINT (-73.5 40.75)");
}

}  // namespace
