// Field naming and mapping to the core schema.
#include <gtest/gtest.h>

#include "geo/error.hpp"
#include "geo/schema.hpp"
#include "import/fields.hpp"

namespace {

using geo::import::detail::parse_leading_number;
using geo::import::detail::plan_columns;
using geo::import::detail::SourceField;
using geo::import::detail::unique_column_names;

SourceField source(int i, const std::string& name, geo::FieldType t = geo::FieldType::text,
                   bool cut = false) {
    SourceField f;
    f.index = i;
    f.raw_name = name;
    f.name = name;
    f.type = t;
    f.name_was_cut = cut;
    return f;
}

TEST(FieldNames, UniqueValidNames) {
    const auto names = unique_column_names({"名称", "NAME", "name", "", " 高度 ", "fid", "geom", "a\tb"},
                                           {"name"});
    EXPECT_EQ(names, (std::vector<std::string>{"名称", "NAME_2", "name_3", "field_4", "高度", "fid_2",
                                               "geom_2", "ab"}));
}

TEST(FieldNames, LeadingNumbers) {
    EXPECT_EQ(parse_leading_number("12"), 12.0);
    EXPECT_EQ(parse_leading_number(" 12.5 "), 12.5);
    EXPECT_EQ(parse_leading_number("18层"), 18.0);
    EXPECT_EQ(parse_leading_number("1,200户"), 1200.0);
    EXPECT_EQ(parse_leading_number("-3"), -3.0);
    EXPECT_FALSE(parse_leading_number("约300"));
    EXPECT_FALSE(parse_leading_number(""));
    EXPECT_FALSE(parse_leading_number("."));
}

TEST(FieldMapping, ChineseAliasesFillCoreColumns) {
    const auto* core = geo::schema::core_layer("buildings");
    std::vector<geo::import::FieldMapping> report;
    const auto plan = plan_columns(
        core,
        {source(0, "OSMID"), source(1, "名称"), source(2, "层数", geo::FieldType::integer),
         source(3, "户数", geo::FieldType::integer), source(4, "人口", geo::FieldType::integer),
         source(5, "用途")},
        {}, report);
    auto find = [&](const std::string& name) -> const geo::import::detail::ColumnPlan& {
        for (const auto& c : plan) {
            if (c.field.name == name) return c;
        }
        throw std::runtime_error("no column " + name);
    };
    EXPECT_EQ(find("name").source_index, 1);
    EXPECT_EQ(find("floors").source_index, 2);
    EXPECT_EQ(find("households").source_index, 3);
    EXPECT_EQ(find("population").source_index, 4);
    EXPECT_EQ(find("use").source_index, 5);
    EXPECT_FALSE(find("address").source_index);
    EXPECT_FALSE(find("grid_code").source_index);
    EXPECT_EQ(find("OSMID").source_index, 0);
    EXPECT_EQ(plan.front().field.name, "name");  // core columns come first, in schema order
}

TEST(FieldMapping, CutNameStillMatches) {
    const auto* core = geo::schema::core_layer("stations");
    std::vector<geo::import::FieldMapping> report;
    // "建筑面积" cut by the 10-byte DBF limit in UTF-8 keeps only "建筑面".
    const auto plan = plan_columns(core, {source(0, "建筑面", geo::FieldType::real, true)}, {}, report);
    ASSERT_EQ(plan[2].field.name, "floor_area_m2");
    EXPECT_EQ(plan[2].source_index, 0);
}

TEST(FieldMapping, MapOverridesAndRenames) {
    const auto* core = geo::schema::core_layer("grid_cells");
    std::vector<geo::import::FieldMapping> report;
    const auto plan = plan_columns(core, {source(0, "名称"), source(1, "WGMC"), source(2, "BZ")},
                                   {{"name", "WGMC"}, {"remark", "BZ"}}, report);
    EXPECT_EQ(plan[1].field.name, "name");
    EXPECT_EQ(plan[1].source_index, 1);
    bool renamed = false;
    bool kept_original = false;
    for (const auto& c : plan) {
        if (c.field.name == "remark" && c.source_index == 2) renamed = true;
        if (c.field.name == "名称" && c.source_index == 0) kept_original = true;
    }
    EXPECT_TRUE(renamed);
    EXPECT_TRUE(kept_original);
}

TEST(FieldMapping, MapOfMissingFieldIsAClearError) {
    std::vector<geo::import::FieldMapping> report;
    try {
        plan_columns(geo::schema::core_layer("buildings"), {source(0, "名称")}, {{"floors", "层数"}}, report);
        FAIL();
    } catch (const geo::Error& e) {
        EXPECT_EQ(e.code(), geo::Errc::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("名称"), std::string::npos);
    }
}

TEST(Schema, LayerNames) {
    EXPECT_TRUE(geo::schema::is_valid_layer_name("buildings"));
    EXPECT_TRUE(geo::schema::is_valid_layer_name("schools_2024"));
    EXPECT_FALSE(geo::schema::is_valid_layer_name("Buildings"));
    EXPECT_FALSE(geo::schema::is_valid_layer_name("楼栋"));
    EXPECT_FALSE(geo::schema::is_valid_layer_name("geometry_columns"));
    EXPECT_FALSE(geo::schema::is_valid_layer_name(std::string(64, 'a')));
    ASSERT_TRUE(geo::schema::core_layer("stations"));
    EXPECT_EQ(geo::schema::core_layer("stations")->geometry_family, "point");
    EXPECT_EQ(geo::schema::core_layer("mine"), nullptr);
}

}  // namespace
