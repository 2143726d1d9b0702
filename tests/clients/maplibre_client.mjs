// MapLibre GL JS in headless Chromium against gridmap serve, run by serve.py.
//
// A page on another origin (a static server on its own port, serving maplibre-gl from
// node_modules) loads Gridmap's served style, as a web map on another site would. The map must
// load the style, its TileJSON and tiles across origins, draw the buildings
// (queryRenderedFeatures finds buildings the server has, by name) and log no error.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const gridmap = process.env.GRIDMAP_URL;
const chromiumPath = process.env.GRIDMAP_CHROMIUM || '/usr/bin/chromium';
const failures = [];

function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
  return ok;
}

async function getJson(url) {
  const answer = await fetch(url);
  if (answer.status !== 200) throw new Error(`${url}: ${answer.status}`);
  return answer.json();
}

// The page's own origin: the test page and maplibre-gl, nothing else.
function startPageServer() {
  const dist = join(here, 'node_modules', 'maplibre-gl', 'dist');
  const files = {
    '/': [join(here, 'maplibre_page.html'), 'text/html; charset=utf-8'],
    '/maplibre-gl.js': [join(dist, 'maplibre-gl.js'), 'text/javascript'],
    '/maplibre-gl.css': [join(dist, 'maplibre-gl.css'), 'text/css'],
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://page').pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();  // asked for by the browser itself
      return;
    }
    const file = files[path];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file[1] }).end(readFileSync(file[0]));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const style = await getJson(`${gridmap}/styles/gridmap.json`);
  const buildings = await getJson(`${gridmap}/collections/buildings/items?limit=10000`);
  const buildingNames = new Set(buildings.features.map((f) => f.properties.name).filter(Boolean));
  check(buildingNames.size > 10, `the server has ${buildingNames.size} named buildings`);

  const pageServer = await startPageServer();
  const pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;
  check(pageOrigin !== new URL(gridmap).origin, `the page (${pageOrigin}) is on another origin than Gridmap (${gridmap})`);

  const profile = mkdtempSync(join(tmpdir(), 'gridmap-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // WebGL without a GPU: the software rasterizer, which Chromium asks to be named.
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    ],
    viewport: { width: 800, height: 600 },
  });
  const errors = [];
  const gridmapRequests = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.url().startsWith(gridmap)) gridmapRequests.push(`${r.status()} ${r.url()}`);
      if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
    });

    const styleUrl = `${gridmap}/styles/gridmap.json`;
    await page.goto(`${pageOrigin}/?style=${encodeURIComponent(styleUrl)}`);
    await page.waitForFunction(() => window.gridmapTest && window.gridmapTest.state !== 'loading', null,
                               { timeout: 90_000 }).catch(() => {});
    const outcome = await page.evaluate(() => {
      const t = window.gridmapTest;
      if (!t) return { state: 'no page script' };
      const map = t.map;
      const rendered = t.state === 'idle' ? map.queryRenderedFeatures({ layers: ['buildings-fill'] }) : [];
      return {
        state: t.state,
        errors: t.errors,
        webgl: t.webgl,
        layers: map ? map.getStyle().layers.map((l) => l.id) : [],
        buildings: rendered.map((f) => f.properties.name || ''),
        uses: [...new Set(rendered.map((f) => f.properties.use))],
        roads: t.state === 'idle' ? map.queryRenderedFeatures({ layers: ['roads-major'] }).length : 0,
        stations: t.state === 'idle' ? [...new Set(map.queryRenderedFeatures({ layers: ['stations'] }).map((f) => f.properties.name))] : [],
      };
    });

    check(outcome.webgl === true, `the browser has WebGL (${outcome.webgl})`);
    check(outcome.state === 'idle', `the map loaded and went idle (state: ${outcome.state})`);
    for (const e of outcome.errors || []) errors.push(`map error: ${e}`);
    check(JSON.stringify(outcome.layers) === JSON.stringify(style.layers.map((l) => l.id)),
          `the map has the style's ${style.layers.length} layers`);
    const tiles = gridmapRequests.filter((r) => /\/tiles\/all\/\d+\/\d+\/\d+\.mvt/.test(r));
    check(tiles.length > 0 && tiles.every((r) => /^(200|204) /.test(r)),
          `vector tiles fetched across origins: ${tiles.length} (${tiles.slice(0, 3).join(', ')})`);
    const named = outcome.buildings.filter((n) => n);
    check(outcome.buildings.length > 100, `queryRenderedFeatures found ${outcome.buildings.length} rendered buildings`);
    check(named.length > 0 && named.every((n) => buildingNames.has(n)),
          `the ${named.length} named rendered buildings are the server's (e.g. ${named.slice(0, 3).join(', ')})`);
    check(!outcome.uses.includes('building_part') && !outcome.uses.includes('duplicate'),
          `the buildings filter leaves out parts and duplicates (uses drawn: ${outcome.uses.join(', ')})`);
    check(outcome.roads > 0, `major roads rendered: ${outcome.roads}`);
    check(outcome.stations.length > 0, `stations rendered: ${outcome.stations.join(', ')}`);
    check(errors.length === 0, `no console errors, page errors or failed requests${errors.length ? ':\n  ' + errors.join('\n  ') : ''}`);
  } finally {
    await context.close();
    pageServer.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(failures.length ? `${failures.length} failed` : 'MapLibre: every check passed');
  return failures.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
