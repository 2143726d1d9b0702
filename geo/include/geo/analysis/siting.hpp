#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "geo/analysis/coverage.hpp"

namespace geo::analysis {

/// Where new stations may go.
enum class CandidateSource {
    lattice,    ///< a square lattice of `lattice_m` over the uncovered households
    buildings,  ///< the points on surface of the uncovered buildings with households
    layer,      ///< the points of a layer (e.g. vacant plots the district owns)
};

std::string_view to_string(CandidateSource source) noexcept;
/// "lattice", "buildings" or "layer"; throws geo::Error (invalid_argument) otherwise.
CandidateSource candidate_source_from(std::string_view text);

struct SitingOptions {
    int sites = 3;  ///< how many new stations, 1…50
    CandidateSource candidates = CandidateSource::lattice;
    double lattice_m = 100;       ///< lattice spacing (also thins building candidates), 10…2000
    std::string candidate_layer;  ///< for CandidateSource::layer: a points layer
};

/// One proposed station, in the order chosen.
struct ProposedSite {
    int rank = 0;
    double lon = 0;
    double lat = 0;
    std::int64_t candidate_fid = -1;  ///< the candidate layer's feature, −1 for generated sites
    std::string candidate_name;
    /// What this site adds to the sites before it (its marginal gain).
    std::int64_t gain_buildings = 0;
    std::int64_t gain_households = 0;
    std::int64_t gain_population = 0;
    /// Households covered by the existing stations and the sites up to this one.
    std::int64_t households_covered_after = 0;
    double households_covered_pct_after = 0;
};

struct SitingReport {
    CircleDefinition definition;
    StationFilter stations;
    SitingOptions options;
    CoverageTotals before;  ///< coverage by the existing stations
    std::vector<ProposedSite> sites;
    std::size_t candidate_count = 0;
    /// No choice of `sites` candidates can cover more households than this (a bound from
    /// submodularity: covered + the largest marginal gains, the least over the greedy steps).
    std::int64_t households_upper_bound = 0;
    /// The greedy answer's share of the best possible gain: at least this (≥ 1 − 1/e ≈ 0.632
    /// always; usually much closer to 1 by the bound above).
    double greedy_ratio_at_least = 1;
    std::vector<std::string> notes;
};

/// Maximal covering location: picks `options.sites` new station sites, one at a time, each
/// covering the most households not yet covered by the existing stations (fixed) or the sites
/// already picked (greedy). A candidate covers a building when the building's point on surface
/// is within the circle's radius of it (euclidean), or within walking reach of it with the
/// building no farther than the buffer from the street (walking). Throws geo::Error as
/// coverage() does, and (invalid_argument) for bad options.
SitingReport site_stations(store::Store& store, const StationFilter& stations, const CircleDefinition& definition,
                           const SitingOptions& options, const Progress& progress = {});

}  // namespace geo::analysis
