// Every analysis CSV as a planner opens it: names and codes come from imported attributes, so a
// formula in one must reach the spreadsheet as text, while Gridmap's own numbers (negative
// coordinates included) stay numbers. Whole files, so that a column that moves shows up too.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "geo/analysis/norms.hpp"
#include "geo/analysis/report.hpp"
#include "geo/analysis/run.hpp"

namespace {

TEST(ReportCsv, CoverageGuardsGroupNames) {
    geo::analysis::CoverageReport r;
    r.by_grid.push_back({"=A1", "@甲第1网格", "+甲社区", "-街道", {3, 2, 70, 30, 200, 100}});
    r.by_community.push_back({"+甲社区", "+甲社区", "", "-街道", {3, 2, 70, 30, 200, 100}});
    r.overall = {3, 2, 70, 30, 200, 100};
    EXPECT_EQ(geo::analysis::to_csv(r),
              "level,code,name,community,street,buildings_total,buildings_covered,buildings_covered_pct,"
              "households_total,households_covered,households_covered_pct,population_total,population_covered,"
              "population_covered_pct\r\n"
              "grid,'=A1,'@甲第1网格,'+甲社区,'-街道,3,2,66.7,70,30,42.9,200,100,50\r\n"
              "community,,'+甲社区,,'-街道,3,2,66.7,70,30,42.9,200,100,50\r\n"
              "overall,,,,,3,2,66.7,70,30,42.9,200,100,50\r\n");
}

TEST(ReportCsv, LoadKeepsNegativeCoordinatesAsNumbers) {
    geo::analysis::LoadReport r;
    r.loads.push_back({7, "=HYPERLINK(\"http://x\",\"y\")", "＝社区服务站", -73.98765432, -33.5, 2, 40, 90,
                       123.46, 250, true});
    r.loads.push_back({8, "东站", "社区服务站", 121.5, 31.25, 0, 0, 0, NAN, NAN, false});
    EXPECT_EQ(geo::analysis::to_csv(r),
              "fid,name,type,lon,lat,buildings,households,population,mean_distance_m,max_distance_m,over_capacity\r\n"
              "7,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'＝社区服务站,-73.9876543,-33.5,2,40,90,123.5,250,true\r\n"
              "8,东站,社区服务站,121.5,31.25,0,0,0,,,false\r\n");
}

TEST(ReportCsv, SitingGuardsCandidateNames) {
    geo::analysis::SitingReport r;
    geo::analysis::ProposedSite site;
    site.rank = 1, site.lon = -0.125, site.lat = 51.5, site.candidate_fid = 4, site.candidate_name = "@SUM(A1)";
    site.gain_buildings = 3, site.gain_households = 60, site.gain_population = 150;
    site.households_covered_after = 160, site.households_covered_pct_after = 80;
    r.sites.push_back(site);
    site.rank = 2, site.candidate_fid = -1, site.candidate_name = "";
    r.sites.push_back(site);
    EXPECT_EQ(geo::analysis::to_csv(r),
              "rank,lon,lat,candidate_fid,candidate_name,gain_buildings,gain_households,gain_population,"
              "households_covered_after,households_covered_pct_after\r\n"
              "1,-0.125,51.5,4,'@SUM(A1),3,60,150,160,80\r\n"
              "2,-0.125,51.5,,,3,60,150,160,80\r\n");
}

TEST(ReportCsv, CirclesGuardStationNamesAndNotes) {
    geo::analysis::CirclesResult r;
    geo::analysis::ServiceCircle c;
    c.station_fid = 5, c.station_name = "\t=1+1", c.station_type = "-", c.note = "\r@x";
    c.radius_m = 600.4, c.snap_m = 12.6, c.area_m2 = 1130973.4;
    r.circles.push_back(c);
    EXPECT_EQ(geo::analysis::result_csv(r),
              "station_fid,station_name,station_type,mode,radius_m,snap_m,area_m2,note\r\n"
              "5,'\t=1+1,'-,euclidean,600,13,1130973,\"'\r@x\"\r\n");
}

TEST(ReportCsv, NormsGuardEveryTextColumn) {
    geo::analysis::NormsReport r;
    r.config = geo::analysis::NormsConfig{};
    r.cells.push_back({1, "-001", "＠网格", "=社区", "+街道", 299, std::nullopt, "below", {}});
    r.overlaps.push_back({1, 2, "=a", "@b", "甲", "-乙", 1.4, 0.2, {}});
    r.stations.push_back({3, "=站", "+type", 149, "community_service_centre", 150});
    const auto lines = [](const std::string& csv) {
        std::vector<std::string> out;
        for (std::size_t at = 0, next; (next = csv.find("\r\n", at)) != std::string::npos; at = next + 2) {
            out.push_back(csv.substr(at, next - at));
        }
        return out;
    }(geo::analysis::to_csv(r));
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines[1], "cell_households,1,'-001,'＠网格,'=社区,'+街道,,299,,,,below,,300,500,,,");
    EXPECT_EQ(lines[2], "overlap,1,'=a,,甲,,,,,,1.40,,,,,2,'@b,other community: -乙");
    EXPECT_EQ(lines[3], "station_floor_area,3,,'=站,,,'+type,,,149,,below,community_service_centre,150,,,,");
}

}  // namespace
