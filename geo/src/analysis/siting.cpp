#include "geo/analysis/siting.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <unordered_set>

#include "analysis/district.hpp"
#include "analysis/point_grid.hpp"
#include "geo/error.hpp"

namespace geo::analysis {

namespace {

// Generated candidates are capped so that the cover sets stay in memory (a few hundred MB at
// most for a 200k-building city); a finer lattice is thinned with a note.
constexpr std::size_t k_max_candidates = 40000;

struct Candidate {
    XY xy;
    std::int64_t fid = -1;
    std::string name;
    std::vector<std::uint32_t> covers;  ///< indexes into the demand
};

void report(const Progress& progress, double fraction, std::string_view stage) {
    if (progress) progress(fraction, stage);
}

// One point per occupied lattice cell of `spacing_m`: the cell centre, or the first point.
std::vector<XY> thinned(const std::vector<XY>& points, double spacing_m, bool centres) {
    std::unordered_set<std::uint64_t> seen;
    std::vector<XY> out;
    for (const XY& p : points) {
        const auto cx = static_cast<std::int64_t>(std::floor(p.x / spacing_m));
        const auto cy = static_cast<std::int64_t>(std::floor(p.y / spacing_m));
        const std::uint64_t key = (static_cast<std::uint64_t>(cx) << 32) ^ static_cast<std::uint32_t>(cy);
        if (!seen.insert(key).second) continue;
        out.push_back(centres ? XY{(static_cast<double>(cx) + 0.5) * spacing_m, (static_cast<double>(cy) + 0.5) * spacing_m} : p);
    }
    return out;
}

}  // namespace

std::string_view to_string(CandidateSource source) noexcept {
    switch (source) {
        case CandidateSource::lattice: return "lattice";
        case CandidateSource::buildings: return "buildings";
        case CandidateSource::layer: return "layer";
    }
    return "lattice";
}

CandidateSource candidate_source_from(std::string_view text) {
    if (text == "lattice") return CandidateSource::lattice;
    if (text == "buildings") return CandidateSource::buildings;
    if (text == "layer") return CandidateSource::layer;
    throw Error(Errc::invalid_argument, "candidates must be lattice, buildings or layer, not \"" + std::string(text) + "\"");
}

SitingReport site_stations(store::Store& store, const StationFilter& stations, const CircleDefinition& definition,
                           const SitingOptions& options, const Progress& progress) {
    definition.validate();
    if (options.sites < 1 || options.sites > 50) throw Error(Errc::invalid_argument, "sites must be 1 to 50");
    if (!std::isfinite(options.lattice_m) || options.lattice_m < 10 || options.lattice_m > 2000) {
        throw Error(Errc::invalid_argument, "the lattice spacing must be 10 to 2000 m");
    }
    if (options.candidates == CandidateSource::layer && options.candidate_layer.empty()) {
        throw Error(Errc::invalid_argument, "candidates from a layer need the layer's name");
    }

    report(progress, 0, "reading buildings and stations");
    const detail::District d = detail::load_district(store, stations);
    std::optional<detail::Walk> walk;
    if (definition.mode == CircleMode::walking) {
        report(progress, 0.1, "building the road network");
        walk = detail::load_walk(store, d, definition);
    }
    report(progress, 0.2, "coverage of the existing stations");
    const CoverageReport before = detail::evaluate_coverage(d, walk ? &*walk : nullptr, stations, definition, {});

    SitingReport r;
    r.definition = definition;
    r.stations = stations;
    r.options = options;
    r.before = before.overall;
    r.notes = before.notes;
    if (definition.mode == CircleMode::walking && !walk) {
        r.notes.push_back("no roads layer: candidates are judged by straight-line distance");
    }

    // The demand: buildings with households that no existing circle covers.
    std::vector<std::uint32_t> demand;  // indexes into d.buildings
    std::vector<XY> demand_xy;
    for (std::uint32_t i = 0; i < d.buildings.size(); ++i) {
        if (!before.buildings[i].covered && d.buildings[i].households > 0) {
            demand.push_back(i);
            demand_xy.push_back(d.buildings[i].xy);
        }
    }

    // Candidates.
    report(progress, 0.4, "generating candidates");
    std::vector<Candidate> candidates;
    const double radius = definition.radius_m();
    if (options.candidates == CandidateSource::layer) {
        StationFilter from;
        from.layer = options.candidate_layer;
        for (auto& p : detail::load_stations(store, from, d.frame)) {
            candidates.push_back(Candidate{p.xy, p.fid, p.name, {}});
        }
    } else if (!demand.empty()) {
        double spacing = options.lattice_m;
        std::vector<XY> points;
        for (;;) {
            if (options.candidates == CandidateSource::lattice) {
                // Lattice cells within the radius of some demand: the centres of the cells
                // holding demand, grown by the radius.
                std::vector<XY> grown;
                const int reach = static_cast<int>(std::ceil(radius / spacing));
                for (const XY& c : thinned(demand_xy, spacing, true)) {
                    for (int dy = -reach; dy <= reach; ++dy) {
                        for (int dx = -reach; dx <= reach; ++dx) {
                            if (std::hypot(dx, dy) * spacing > radius + spacing) continue;
                            grown.push_back(XY{c.x + dx * spacing, c.y + dy * spacing});
                        }
                    }
                    if (grown.size() > 50 * k_max_candidates) break;
                }
                points = thinned(grown, spacing, true);
            } else {
                points = thinned(demand_xy, spacing, false);
            }
            if (points.size() <= k_max_candidates) break;
            spacing *= 1.5;
        }
        if (spacing != options.lattice_m) {
            r.notes.push_back("candidates thinned to a " + std::to_string(static_cast<int>(std::lround(spacing))) +
                              " m lattice to stay within " + std::to_string(k_max_candidates) + " candidates");
        }
        for (const XY& p : points) candidates.push_back(Candidate{p, -1, {}, {}});
    }

    // What each candidate would cover.
    report(progress, 0.5, "measuring what each candidate covers");
    const detail::PointGrid demand_grid(demand_xy, std::max(radius, 50.0));
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        Candidate& cand = candidates[c];
        if (walk) {
            const auto snap = walk->network.snap(cand.xy, definition.max_snap_m);
            if (!snap) continue;
            const Reach reach = walk->network.reach({Origin{*snap, snap->distance_m, 0}}, radius);
            // The rule coverage counts by: onto the street, along it, off it to the station,
            // within the radius. A walk is never shorter than the straight line, so the demand
            // within the radius around the candidate is all it can cover.
            demand_grid.within(cand.xy, radius, [&](std::uint32_t k, double) {
                const auto& bs = walk->building_snaps[demand[k]];
                if (bs && walk->network.cost_to(reach, *bs) + bs->distance_m <= radius) cand.covers.push_back(k);
            });
        } else {
            demand_grid.within(cand.xy, radius, [&](std::uint32_t k, double) { cand.covers.push_back(k); });
        }
        std::sort(cand.covers.begin(), cand.covers.end());
        if (c % 256 == 0) {
            report(progress, 0.5 + 0.4 * static_cast<double>(c) / static_cast<double>(candidates.size()),
                   "measuring what each candidate covers");
        }
    }
    r.candidate_count = candidates.size();

    // Greedy, with every gain recomputed at each step: the fresh gains also give the bound.
    report(progress, 0.9, "choosing sites");
    std::vector<char> taken(demand.size(), 0);
    std::vector<char> chosen(candidates.size(), 0);
    std::int64_t covered = before.overall.households_covered;
    std::int64_t upper = std::numeric_limits<std::int64_t>::max();
    const std::int64_t total = before.overall.households_total;
    std::vector<std::int64_t> gains(candidates.size());
    for (int step = 0; step < options.sites; ++step) {
        for (std::size_t c = 0; c < candidates.size(); ++c) {
            std::int64_t g = 0;
            if (!chosen[c]) {
                for (std::uint32_t k : candidates[c].covers) {
                    if (!taken[k]) g += d.buildings[demand[k]].households;
                }
            }
            gains[c] = g;
        }
        // Any `sites` new stations add at most the sum of the largest gains now (submodularity).
        std::vector<std::int64_t> top = gains;
        const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(options.sites), top.size());
        std::partial_sort(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(n), top.end(), std::greater<>());
        upper = std::min(upper, covered + std::accumulate(top.begin(), top.begin() + static_cast<std::ptrdiff_t>(n), std::int64_t{0}));

        const auto best = std::max_element(gains.begin(), gains.end());  // the first of equals: lowest index
        if (best == gains.end() || *best <= 0) {
            r.notes.push_back("no candidate adds households after " + std::to_string(step) + " sites");
            break;
        }
        const auto c = static_cast<std::size_t>(best - gains.begin());
        chosen[c] = 1;
        ProposedSite site;
        site.rank = step + 1;
        d.frame.to_lonlat(candidates[c].xy, site.lon, site.lat);
        site.candidate_fid = candidates[c].fid;
        site.candidate_name = candidates[c].name;
        for (std::uint32_t k : candidates[c].covers) {
            if (taken[k]) continue;
            taken[k] = 1;
            const auto& b = d.buildings[demand[k]];
            ++site.gain_buildings;
            site.gain_households += b.households;
            site.gain_population += b.population;
        }
        covered += site.gain_households;
        site.households_covered_after = covered;
        site.households_covered_pct_after = total > 0 ? 100.0 * static_cast<double>(covered) / static_cast<double>(total) : 0;
        r.sites.push_back(std::move(site));
    }
    r.households_upper_bound = std::min(upper, total);
    const std::int64_t best_gain = r.households_upper_bound - before.overall.households_covered;
    const std::int64_t gain = covered - before.overall.households_covered;
    r.greedy_ratio_at_least = best_gain > 0 ? std::max(1 - 1 / std::exp(1.0), static_cast<double>(gain) / static_cast<double>(best_gain)) : 1;
    report(progress, 1, "done");
    return r;
}

}  // namespace geo::analysis
