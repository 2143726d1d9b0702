#!/usr/bin/python3
"""QGIS (headless, the Debian python3-qgis) against gridmap serve, run by serve.py.

Loads what a QGIS user opens: every collection through the OGC API – Features provider, the
vector tiles drawn with the served MapLibre style (converted by QgsMapBoxGlStyleConverter, which
must not warn about anything), and the PNG tiles as an XYZ layer. Each is rendered over the demo
district with a parallel map render job, and the image must show what was drawn: pixels other
than the background, and for the tiles the colours the style gives buildings.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    Qgis, QgsApplication, QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsDataSourceUri,
    QgsMapBoxGlStyleConversionContext, QgsMapBoxGlStyleConverter, QgsMapRendererParallelJob,
    QgsMapSettings, QgsProject, QgsRasterLayer, QgsRectangle, QgsVectorLayer, QgsVectorTileLayer)
from qgis.PyQt.QtCore import QEventLoop, QSize, QTimer  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import get_json  # noqa: E402

URL = os.environ["GRIDMAP_URL"]
SIZE = 512
BACKGROUND = QColor(255, 0, 255)  # a colour the style never draws

failures = []
messages = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def hex_rgb(text):
    return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))


def on_message(message, tag, level):
    messages.append((tag, int(level), message))


def render(layer, extent_3857):
    """Renders `layer` alone over the extent; returns the image (fails the run on render errors)."""
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setExtent(extent_3857)
    settings.setOutputSize(QSize(SIZE, SIZE))
    settings.setBackgroundColor(BACKGROUND)
    settings.setFlag(Qgis.MapSettingsFlag.Antialiasing, True)
    job = QgsMapRendererParallelJob(settings)
    loop = QEventLoop()
    job.finished.connect(loop.quit)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(120_000)
    job.start()
    loop.exec_()
    if job.isActive():
        job.cancel()
        check(False, f"{layer.name()}: rendering finished within 120 s")
    for error in job.errors():
        check(False, f"{layer.name()}: render error {error.layerID}: {error.message}")
    return job.renderedImage()


def colour_census(image):
    """{(r, g, b): pixel count} of the image."""
    counts = {}
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            key = (c.red(), c.green(), c.blue())
            counts[key] = counts.get(key, 0) + 1
    return counts


def drawn_share(counts):
    background = (BACKGROUND.red(), BACKGROUND.green(), BACKGROUND.blue())
    return 1 - counts.get(background, 0) / (SIZE * SIZE)


def near(counts, rgb, tolerance=8):
    """Pixels within `tolerance` of `rgb` in every channel."""
    return sum(n for c, n in counts.items() if all(abs(a - b) <= tolerance for a, b in zip(c, rgb)))


def xyz_uri(path, zmin, zmax):
    uri = QgsDataSourceUri()
    uri.setParam("type", "xyz")
    uri.setParam("url", URL + path)
    uri.setParam("zmin", str(zmin))
    uri.setParam("zmax", str(zmax))
    return bytes(uri.encodedUri()).decode()


def building_colours(style):
    """The fill colours the style's buildings-fill layer gives the demo's uses."""
    layer = next(l for l in style["layers"] if l["id"] == "buildings-fill")
    match = layer["paint"]["fill-color"]
    by_use = {}
    for labels, colour in zip(match[2:-1:2], match[3:-1:2]):
        for label in labels if isinstance(labels, list) else [labels]:
            by_use[label] = colour
    return by_use


def main():
    # Debian's QGIS lives under /usr; without the prefix no data provider is found.
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    QgsApplication.messageLog().messageReceived.connect(on_message)
    try:
        run()
    finally:
        QgsProject.instance().clear()
        app.exitQgis()
    for tag, level, message in messages:
        print(f"QGIS message [{tag}] level {level}: {message}")
    skipped = [m for m in messages if "unsupported" in m[2].lower() or "skipping" in m[2].lower()]
    check(not skipped, f"QGIS logged no skipped or unsupported expression ({len(skipped)} did)")
    print(f"{len(failures)} failed" if failures else "QGIS: every check passed")
    return 1 if failures else 0


def run():
    collections = get_json(URL + "/collections")["collections"]
    buildings = next(c for c in collections if c["id"] == "buildings")
    west, south, east, north = buildings["extent"]["spatial"]["bbox"][0]
    to_mercator = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"),
                                         QgsCoordinateReferenceSystem("EPSG:3857"), QgsProject.instance())
    extent = to_mercator.transformBoundingBox(QgsRectangle(west, south, east, north))
    extent.scale(1.05)
    # A square view, so that the 512-pixel image keeps the district's proportions.
    side = max(extent.width(), extent.height())
    centre = extent.center()
    extent = QgsRectangle(centre.x() - side / 2, centre.y() - side / 2, centre.x() + side / 2, centre.y() + side / 2)

    # 1. Every collection through the OGC API – Features provider.
    for collection in collections:
        name = collection["id"]
        matched = get_json(f"{URL}/collections/{name}/items?limit=1")["numberMatched"]
        uri = QgsDataSourceUri()
        uri.setParam("url", URL)
        uri.setParam("typename", name)
        # The provider reads the key='value' form (QGIS 3.22 crashes on the URL-encoded one).
        layer = QgsVectorLayer(uri.uri(False), name, "OAPIF")
        if not check(layer.isValid(), f"OAPIF {name}: the layer is valid"):
            continue
        count = sum(1 for _ in layer.getFeatures())
        check(count == matched, f"OAPIF {name}: QGIS read {count} features, the server matched {matched}")
        share = drawn_share(colour_census(render(layer, extent)))
        check(share > 0.001, f"OAPIF {name}: drawn on {share:.2%} of the image")

    # 2. The vector tiles with the served style, converted as QGIS converts MapLibre styles.
    style = get_json(URL + "/styles/gridmap.json")
    converter = QgsMapBoxGlStyleConverter()
    context = QgsMapBoxGlStyleConversionContext()
    result = converter.convert(style, context)
    check(result == QgsMapBoxGlStyleConverter.Success,
          f"the style converts ({converter.errorMessage() or 'no error'})")
    check(not converter.warnings(), f"the style converts without warnings: {converter.warnings()}")
    mvt = QgsVectorTileLayer(xyz_uri("/tiles/all/{z}/{x}/{y}.mvt", 8, 22), "gridmap vector tiles")
    check(mvt.isValid(), "vector tiles: the layer is valid")
    mvt.setRenderer(converter.renderer())
    if converter.labeling():
        mvt.setLabeling(converter.labeling())
    # Each filtered MapLibre layer became a QGIS style with its filter (QGIS 3.22 dropped the
    # `in` filters, so that every road layer drew every road).
    converted = {s.styleName(): s.filterExpression() for s in converter.renderer().styles()}
    for layer in style["layers"]:
        if "filter" in layer:
            check(bool(converted.get(layer["id"])),
                  f"vector tiles: {layer['id']} keeps its filter in QGIS: {converted.get(layer['id'])!r}")
    check_drawn_map("vector tiles", colour_census(render(mvt, extent)), style)

    # 3. The PNG tiles as an XYZ raster layer.
    png = QgsRasterLayer(xyz_uri("/tiles/all/{z}/{x}/{y}.png", 10, 22), "gridmap PNG tiles", "wms")
    check(png.isValid(), "PNG tiles: the layer is valid")
    check_drawn_map("PNG tiles", colour_census(render(png, extent)), style)


def check_drawn_map(what, counts, style):
    """The district drawn with the style: buildings of three uses in their colours (at the
    style's fill opacity over the ground), major roads in theirs."""
    share = drawn_share(counts)
    check(share > 0.5, f"{what}: drawn on {share:.2%} of the image")
    background = (BACKGROUND.red(), BACKGROUND.green(), BACKGROUND.blue())
    ground = max((c for c in counts if c != background), key=counts.get)  # the cell-covered land
    buildings = next(l for l in style["layers"] if l["id"] == "buildings-fill")
    opacity = buildings["paint"]["fill-opacity"]
    colours = building_colours(style)
    for use in ("mixed", "office", "commercial"):
        rgb = tuple(round(opacity * c + (1 - opacity) * g) for c, g in zip(hex_rgb(colours[use]), ground))
        pixels = near(counts, rgb, 6)
        check(pixels > 100, f"{what}: {pixels} pixels of {use} buildings ({colours[use]} over the ground: "
                            f"#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x})")
    major = next(l for l in style["layers"] if l["id"] == "roads-major")["paint"]["line-color"]
    pixels = near(counts, hex_rgb(major), 4)
    check(pixels > 1000, f"{what}: {pixels} pixels of major roads ({major})")

if __name__ == "__main__":
    sys.exit(main())
