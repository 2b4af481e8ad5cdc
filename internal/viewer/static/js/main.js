// Atlante's browser map. It reads the catalog (/collections), draws every
// collection from its vector tiles by geometry type, labels the layers that
// ask for it, and offers popups (a list when a click hits several
// features), a layer panel grouped by theme with legends (a drawer on
// phones), truthful attribution and an optional basemap; for fibre
// coverage, the address search, the choropleth and statistics of a drawn
// area or a comune; for civil protection, the exposure of a scenario and
// the status of the plans; for energy communities, their eligibility and
// the zone of any point; and, for the people who own the data, signing in
// with a token and editing (editing.js). It speaks Italian, or English on
// request (i18n.js). Without WebGL it shows a list view instead
// (listview.js).
// Everything it needs is served by Atlante itself, so it works offline.
// The map object is window.atlanteMap, for tests and for the console.

import { AttributionControl, creditsFor, demoLayers } from './attribution.js';
import { enableBasemap, isBasemap, loadConfig } from './basemap.js';
import { loadCollections, loadTileJSON, unionBounds } from './catalog.js';
import { choroplethControls } from './choropleth.js';
import {
  areaPointsLegend, areaPopup, areasLegend, buildingPopup, buildingsLegend, planPopup, planStatusLegend, scenarioPopup, scenariosLegend,
} from './civilprotection.js';
import { civiciLegend, civiciPopup, networkLegend } from './coverage.js';
import { communityPopup, sitePopup } from './eligibility.js';
import { communitiesLegend, showZones, sitesLegend, zonesLegend } from './energy.js';
import { enableEditing } from './editing.js';
import { createExposure } from './exposure.js';
import { enableLanguageSwitch, t, translateDocument } from './i18n.js';
import { enableImages } from './images.js';
import { loadLabelPoints } from './labels.js';
import { canDrawMap, missingNumber, startListView } from './listview.js';
import { buildLayerList, enablePanel, phoneQuery } from './panel.js';
import { enablePopups } from './popup.js';
import { layerTitle } from './properties.js';
import { enableSearch } from './search.js';
import { createSheet } from './sheet.js';
import { comunePopup, createStats } from './stats.js';
import { streetHighlight } from './streets.js';
import { collectionKey, drawOrder, labelLayerFor, labelSourceID, layersFor } from './styles.js';
import { enableTools } from './tools.js';
import { zoneLookup } from './zones.js';

translateDocument();
enableLanguageSwitch(document.querySelector('.lang-switch'));

const status = document.getElementById('status');

function showStatus(text) {
  status.textContent = text;
  status.hidden = false;
}

// The Cremasco, for an empty catalog.
const defaultBounds = [9.45, 45.23, 9.91, 45.5];

const isPhone = () => window.matchMedia(phoneQuery).matches;

/** Padding for fitting the data: on wide screens, keep it clear of the open layer panel. */
function fitPadding() {
  const pad = { top: 24, bottom: 24, left: 24, right: 56 };
  const panel = document.getElementById('panel');
  const map = document.getElementById('map');
  if (!isPhone() && panel.dataset.open !== 'false') {
    pad.left = panel.getBoundingClientRect().right - map.getBoundingClientRect().left + 12;
  }
  return pad;
}

/**
 * Padding for fitting a view while the sheet is open: clear of it too (on
 * its right, or above it when it is a bottom sheet), never more than
 * leaves a quarter of the map.
 */
function viewPadding() {
  const pad = fitPadding();
  const stats = document.getElementById('stats');
  const map = document.getElementById('map').getBoundingClientRect();
  if (!stats.hidden) {
    const r = stats.getBoundingClientRect();
    if (r.width > map.width * 0.8) pad.bottom = Math.max(pad.bottom, map.bottom - r.top + 12);
    else pad.right = Math.max(pad.right, map.right - r.left + 12);
  }
  const shrink = (a, b, room) => {
    const over = pad[a] + pad[b] - room * 0.75;
    if (over > 0) {
      pad[a] = Math.max(0, pad[a] - over / 2);
      pad[b] = Math.max(0, pad[b] - over / 2);
    }
  };
  shrink('left', 'right', map.width);
  shrink('top', 'bottom', map.height);
  return pad;
}

/**
 * Builds the style: a plain background, then the collections' layers, most
 * specific on top (areas, lines, points, labels). tileJSONs maps a
 * collection id to its TileJSON; a collection without one is not drawn.
 * The style has no glyphs URL: MapLibre then draws label text with the
 * browser's own fonts, so no font files are fetched. Attribution is the
 * map's own control (attribution.js), so the sources carry none.
 */
function buildStyle(collections, tileJSONs) {
  const sources = {};
  const layers = [];
  collections.forEach((c, i) => {
    const tj = tileJSONs.get(c.id);
    if (!tj) return;
    sources[c.id] = {
      type: 'vector', tiles: tj.tiles, minzoom: tj.minzoom, maxzoom: tj.maxzoom, bounds: tj.bounds,
    };
    // Feature ids for the selection highlight (feature-state): the id
    // property when the tiles carry it, else the tiles' own feature ids
    // (the service puts integer ids there).
    const fields = tj.vector_layers?.find((l) => l.id === c.id)?.fields ?? {};
    if (c.idProperty && c.idProperty in fields) sources[c.id].promoteId = { [c.id]: c.idProperty };
    layers.push(...layersFor(c, i));
    const label = labelLayerFor(c, i);
    if (label) {
      sources[labelSourceID(c)] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
      layers.push(label);
    }
  });
  const background = { id: 'background', type: 'background', paint: { 'background-color': '#f2f1ec' } };
  return { version: 8, sources, layers: [background, ...drawOrder(layers)] };
}

/** Fetches the collections' TileJSONs; a collection whose TileJSON fails is left out, with an error. */
async function loadTileJSONs(collections) {
  const answers = await Promise.allSettled(collections.map((c) => loadTileJSON(c)));
  const tileJSONs = new Map();
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') tileJSONs.set(collections[i].id, a.value);
    else console.error(`atlante map: tiles of ${collections[i].id}:`, a.reason?.message ?? a.reason);
  });
  return tileJSONs;
}

/** The view's configuration; without one, no basemap. */
async function viewerConfig() {
  try {
    return await loadConfig();
  } catch (err) {
    console.warn('atlante map: viewer configuration:', err.message);
    return { basemap: null, demo: false };
  }
}

async function start() {
  const [config, collections] = await Promise.all([viewerConfig(), loadCollections()]);
  const byID = new Map(collections.map((c) => [c.id, c]));
  if (!canDrawMap()) {
    startListView({ collections });
    return;
  }
  const demoCheck = demoLayers(collections);
  const style = buildStyle(collections, await loadTileJSONs(collections));
  const dataLayers = style.layers.filter((l) => l.type !== 'background' && l.type !== 'symbol');
  // Popups for everything drawn from a collection, its labels included.
  const popupLayers = style.layers.filter((l) => l.metadata?.[collectionKey]).map((l) => l.id);

  const panel = enablePanel({
    panel: document.getElementById('panel'),
    body: document.getElementById('panel-body'),
    toggle: document.getElementById('panel-toggle'),
    close: document.getElementById('panel-close'),
    menu: document.getElementById('menu-toggle'),
    backdrop: document.getElementById('backdrop'),
  });
  let map;
  try {
    map = new maplibregl.Map({
      container: 'map',
      style,
      bounds: unionBounds(collections) ?? defaultBounds,
      fitBoundsOptions: { padding: fitPadding() },
      hash: true,
      maxZoom: 19,
      attributionControl: false,
    });
  } catch (err) {
    // WebGL is there but refuses to work (blocked, lost): the list view.
    console.warn('atlante map: no map:', err.message);
    startListView({ collections });
    return;
  }
  window.atlanteMap = map;
  enableImages(map);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ maxWidth: 100 }), 'bottom-left');

  const demo = new Map();
  let layerList = null;
  let basemap = null;
  const attribution = new AttributionControl({
    folded: isPhone(),
    credits: () => creditsFor(collections, {
      visible: (id) => layerList?.visible(id) ?? false,
      demo,
      basemap: () => basemap?.attribution() ?? '',
    }),
  });
  map.addControl(attribution, 'bottom-right');

  basemap = enableBasemap(map, {
    config,
    box: document.getElementById('basemap'),
    toggle: document.getElementById('basemap-toggle'),
    note: document.getElementById('basemap-note'),
    beforeLayer: dataLayers[0]?.id,
    onChange: () => attribution.update(),
  });
  map.on('error', (e) => {
    if (isBasemap(e.sourceId)) {
      basemap.unavailable();
      return;
    }
    console.error('atlante map:', e.error?.message ?? e.error ?? e);
  });

  const sheet = createSheet(document.getElementById('stats'), { onClose: () => tools?.clear() });
  const stats = createStats(sheet);
  const exposure = createExposure(map, { collections: byID, stats: sheet, padding: viewPadding });
  const zonesLegendRoot = zonesLegend();
  let popups = null;
  layerList = buildLayerList(map, document.getElementById('layer-list'), collections, {
    civici: civiciLegend(),
    network: networkLegend(),
    'coverage-comuni': choroplethControls(map),
    scenarios: scenariosLegend(),
    'emergency-areas': areasLegend(),
    'emergency-area-points': areaPointsLegend(),
    'strategic-buildings': buildingsLegend(),
    'plan-status': planStatusLegend(),
    'energy-zones': zonesLegendRoot,
    'energy-communities': communitiesLegend(),
    'energy-sites': sitesLegend(),
  }, (id, visible) => {
    if (!visible) popups?.hideCollection(id);
    attribution.update();
  });
  attribution.update();

  let tools = null;
  let editing = null;
  const comuneNames = new Map(); // ISTAT code -> name, from the comuni's labels
  popups = enablePopups(map, byID, popupLayers, {
    renderers: {
      civici: civiciPopup,
      comuni: comunePopup(stats),
      'coverage-comuni': comunePopup(stats),
      scenarios: scenarioPopup({
        onExposure: (id, title) => {
          popups.close(); // the sheet takes over, and the map shows what it lists
          exposure.show(id, title);
        },
      }),
      'emergency-areas': areaPopup,
      'emergency-area-points': areaPopup,
      'strategic-buildings': buildingPopup,
      'plan-status': planPopup,
      'energy-communities': communityPopup,
      'energy-sites': sitePopup,
    },
    busy: () => (tools?.busy() ?? false) || (editing?.busy() ?? false),
    comuneName: (code) => comuneNames.get(code) ?? '',
    actions: (id, feature) => editing?.actions(id, feature) ?? null,
  });
  tools = enableTools(map, {
    group: document.querySelector('.tools'), stats, popups, hint: document.getElementById('tool-hint'),
    zone: byID.has('energy-zones') ? zoneLookup(map, popups) : null,
    onZoneTool: () => layerList.show('energy-zones'),
  });

  const street = streetHighlight(map, byID);
  const searchBox = document.getElementById('search');
  const showSearchResult = (r) => {
    if (r.kind === 'civico') {
      const center = [r.lon, r.lat];
      map.flyTo({ center, zoom: 18 });
      popups.open(center, 'civici', { id: r.id, properties: { status: r.best_status, mbps: r.best_down_mbps } },
        { focusOnClose: searchBox });
      street.show(r);
      return;
    }
    popups.close();
    const maxZoom = r.kind === 'comune' ? 13 : 17.5;
    if (Array.isArray(r.bbox) && r.bbox.length === 4) {
      const [w, s, e, n] = r.bbox;
      map.fitBounds([[w, s], [e, n]], { padding: viewPadding(), maxZoom });
    } else {
      map.flyTo({ center: [r.lon, r.lat], zoom: r.kind === 'comune' ? 12 : 16.5 });
    }
    if (r.kind === 'street') street.show(r);
    else street.clear();
    if (r.kind === 'street' && r.missing_number && r.nearest) {
      search.say(missingNumber(r, () => {
        search.say('');
        searchBox.value = r.nearest.label;
        showSearchResult(r.nearest);
      }));
    }
  };
  const search = enableSearch({
    input: searchBox,
    list: document.getElementById('search-list'),
    message: document.getElementById('search-message'),
    onChoose: showSearchResult,
    onClear: () => street.clear(),
  });

  demoCheck.then((found) => {
    for (const [k, v] of found) demo.set(k, v);
    attribution.update();
    const names = collections.filter((c) => demo.get(c.id) === true).map((c) => layerTitle(c));
    if (names.length > 0) {
      const notice = document.getElementById('demo-notice');
      notice.title = t('demo.notice.layers', { layers: names.join(', ') });
      notice.hidden = false;
    }
  });

  await map.once('load');
  await Promise.all(collections.filter((c, i) => labelLayerFor(c, i)).map(async (c) => {
    try {
      const { points, features } = await loadLabelPoints(c);
      map.getSource(labelSourceID(c)).setData(points);
      if (c.id === 'energy-zones') showZones(map, zonesLegendRoot, features);
      if (c.id === 'comuni') for (const f of features) comuneNames.set(f.properties?.istat_code, f.properties?.name);
    } catch (err) {
      console.error(`atlante map: labels of ${c.id}:`, err.message);
    }
  }));
  await demoCheck;
  // Editing once the comuni have their names (the sign-in lists them).
  editing = enableEditing({ map, panel, sheet, collections: byID, popups, layerList, tools, comuneNames });
  document.body.dataset.state = 'ready';
}

start().catch((err) => {
  showStatus(t('app.failed', { error: err.message }));
  console.error('atlante map:', err);
});
