#!/usr/bin/env python3
"""Compares Gridmap's per-building walking distances and nearest stations with pgRouting's.

Usage: compare.py GRIDMAP_JSON PGR_CSV [--tolerance METRES]
  GRIDMAP_JSON  `gridmap analyze coverage --mode walking --buildings all --format json`
                (the only output that lists every building's nearest station and walking
                distance; CSV has per-grid totals, GeoJSON only the uncovered buildings)
  PGR_CSV       building,station,metres: every connected building-station pair (walk table)

Per building: the distances agree within the tolerance (Gridmap writes one decimal), and the
nearest station is the same. When pgRouting finds two stations within the tolerance of each
other, either is accepted and counted as a tie. Buildings Gridmap cannot reach (null) must be
the ones pgRouting cannot reach. Exits 1 on any disagreement.
"""
import csv
import json
import statistics
import sys
from collections import defaultdict


def main(argv):
    args = [a for a in argv[1:]]
    tolerance = 1.0
    if "--tolerance" in args:
        i = args.index("--tolerance")
        tolerance = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    report = json.load(open(args[0], encoding="utf-8"))
    if "buildings" not in report:
        print("compare.py: the Gridmap report has no per-building list (run with --buildings all)", file=sys.stderr)
        return 2
    gm = {b["fid"]: (b["distance_m"], b["nearest_station_fid"]) for b in report["buildings"]}

    per_building = defaultdict(dict)
    with open(args[1], newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            per_building[int(row["building"])][int(row["station"])] = float(row["metres"])

    both, diffs, ties, worst = 0, [], 0, []
    only_gm, only_pgr, station_differs, too_far = [], [], [], []
    for fid in sorted(gm):
        g_dist, g_station = gm[fid]
        costs = per_building.get(fid, {})
        if g_dist is None:
            if costs:
                only_pgr.append(fid)
            continue
        if not costs:
            only_gm.append(fid)
            continue
        both += 1
        best_station = min(costs, key=lambda s: (costs[s], s))
        best = costs[best_station]
        diff = g_dist - best
        diffs.append(abs(diff))
        worst.append((abs(diff), fid, g_dist, best, g_station, best_station))
        if abs(diff) > tolerance:
            too_far.append(fid)
        if g_station != best_station:
            if g_station in costs and costs[g_station] - best <= tolerance:
                ties += 1
            else:
                station_differs.append((fid, g_station, best_station, costs.get(g_station), best))

    print(f"buildings in Gridmap's report: {len(gm)}; with a walking distance in both: {both}")
    print(f"unreachable in both: {sum(1 for d, _ in gm.values() if d is None) - len(only_pgr)}; "
          f"only Gridmap reaches: {len(only_gm)}; only pgRouting reaches: {len(only_pgr)}")
    if diffs:
        print(f"|difference|: median {statistics.median(diffs):.3f} m, max {max(diffs):.3f} m; "
              f"over {tolerance:g} m: {len(too_far)}")
    print(f"nearest station: same {both - ties - len(station_differs)}, "
          f"a tie within {tolerance:g} m: {ties}, different: {len(station_differs)}")
    worst.sort(reverse=True)
    print("worst 10 (building fid, Gridmap m, pgRouting m, difference, Gridmap station, pgRouting station):")
    for d, fid, g, p, gs, ps in worst[:10]:
        print(f"  {fid:6d} {g:10.1f} {p:12.3f} {g - p:+9.3f} {gs!s:>6} {ps:>6}")
    for fid, gs, ps, gc, best in station_differs[:20]:
        gc_text = "unreached" if gc is None else f"{gc:.1f} m"
        print(f"  station differs: building {fid}: Gridmap {gs} ({gc_text} by pgRouting), pgRouting {ps} ({best:.1f} m)")
    if only_gm or only_pgr:
        print(f"  reached by one side only: Gridmap {only_gm[:20]}, pgRouting {only_pgr[:20]}")
    ok = both > 0 and not too_far and not station_differs and not only_gm and not only_pgr
    print("pgRouting check: " + ("AGREE" if ok else "DISAGREE"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
