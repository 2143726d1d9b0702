#!/usr/bin/env python3
"""GDAL's OGC API – Features driver (OAPIF) against gridmap serve, run by serve.py.

Checks that ogrinfo lists every collection, that ogr2ogr reads each one whole (as many features
as the server's numberMatched and the database hold, the same feature names as the database),
and that `ogr2ogr -where` sends the filter to the server (the access log shows it on the items
request) and gets exactly the matching features.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import get_json  # noqa: E402

URL = os.environ["GRIDMAP_URL"]
DB = os.environ["GRIDMAP_DB"]
LOG = Path(os.environ["GRIDMAP_ACCESS_LOG"])
DATASET = "OAPIF:" + URL
DEMO_LAYERS = {"grid_cells", "buildings", "stations", "roads"}

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def gdal(*args):
    env = dict(os.environ, GDAL_HTTP_TIMEOUT="60", CPL_VSIL_CURL_ALLOWED_EXTENSIONS="none")
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def database_rows(sql, *params):
    with sqlite3.connect(f"file:{DB}?mode=ro", uri=True) as db:
        return db.execute(sql, params).fetchall()


def read_with_ogr2ogr(folder, collection, *options):
    out = Path(folder) / f"{collection}-{len(list(Path(folder).iterdir()))}.geojson"
    gdal("ogr2ogr", "-f", "GeoJSON", *options, str(out), DATASET, collection)
    return json.loads(out.read_text("utf-8"))["features"]


def items_requests(collection, since):
    """The access-log lines of GETs of the collection's items written after byte `since`."""
    text = LOG.read_bytes()[since:].decode("utf-8", "replace")
    prefix = f"GET /collections/{collection}/items"
    return [line for line in text.splitlines() if line.startswith(prefix)]


def sent_filter(lines, field, value):
    """True when one of the requests carries a filter on `field` = `value`: a CQL2 `filter`
    parameter naming both, or the `field=value` equality parameter of OGC API – Features Part 1."""
    for line in lines:
        target = line.split(" ")[1]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        if query.get(field) == [str(value)]:
            return True
        if any(field in f and str(value) in f for f in query.get("filter", [])):
            return True
    return False


def main():
    collections = [c["id"] for c in get_json(URL + "/collections")["collections"]]
    check(DEMO_LAYERS <= set(collections), f"the server lists the demo layers: {sorted(collections)}")

    listed = gdal("ogrinfo", "-ro", "-q", DATASET)
    # "1: buildings (Multi Polygon)" per layer.
    ogr_layers = sorted(line.split(":", 1)[1].split("(")[0].strip() for line in listed.splitlines() if ":" in line)
    check(ogr_layers == sorted(collections), f"ogrinfo lists every collection: {ogr_layers}")

    with tempfile.TemporaryDirectory(prefix="gridmap-ogr-") as folder:
        for collection in collections:
            matched = get_json(f"{URL}/collections/{collection}/items?limit=1")["numberMatched"]
            in_db = database_rows(f'SELECT COUNT(*) FROM "{collection}"')[0][0]
            check(matched == in_db, f"{collection}: numberMatched {matched} = {in_db} rows in the database")
            summary = gdal("ogrinfo", "-ro", "-so", DATASET, collection)
            count_line = [line for line in summary.splitlines() if line.startswith("Feature Count:")]
            check(count_line == [f"Feature Count: {in_db}"], f"{collection}: ogrinfo says {count_line}")
            features = read_with_ogr2ogr(folder, collection)
            check(len(features) == in_db, f"{collection}: ogr2ogr read {len(features)} of {in_db} features")
            check(all(f.get("geometry") for f in features), f"{collection}: every feature has its geometry")
            names = sorted(f["properties"].get("name") or "" for f in features)
            db_names = sorted(n or "" for (n,) in database_rows(f'SELECT name FROM "{collection}"'))
            check(names == db_names, f"{collection}: the same {len(set(db_names))} distinct names as the database")

        # Attribute filters: GDAL should translate -where into the request, not read everything
        # and filter on the client.
        for collection, field, value, where in (
                ("stations", "type", "health_station", "type = 'health_station'"),
                ("buildings", "use", "residential", "use = 'residential'")):
            expected = sorted(n or "" for (n,) in database_rows(
                f'SELECT name FROM "{collection}" WHERE "{field}" = ?', value))
            since = LOG.stat().st_size
            features = read_with_ogr2ogr(folder, collection, "-where", where)
            got = sorted(f["properties"].get("name") or "" for f in features)
            check(len(expected) > 0 and got == expected,
                  f"{collection} -where \"{where}\": {len(got)} features, {len(expected)} in the database")
            lines = items_requests(collection, since)
            check(sent_filter(lines, field, value),
                  f"{collection} -where \"{where}\": the server saw the filter in one of {len(lines)} items requests"
                  f" (first: {lines[:2]})")

    print(f"{len(failures)} failed" if failures else "GDAL OAPIF: every check passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
