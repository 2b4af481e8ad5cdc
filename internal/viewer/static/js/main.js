// Atlante's browser map. It reads the catalog (/collections), draws every
// collection from its vector tiles by geometry type, labels the layers that
// ask for it, and offers popups, a layer list grouped by theme with legends
// and an optional online basemap; for fibre coverage, an address search,
// the choropleth and statistics of a drawn area or a comune; for civil
// protection, the exposure of a scenario and the status of the plans; for
// energy communities, their eligibility and the zone of any point.
// Everything it needs is served by Atlante itself, so it works offline. The
// map object is window.atlanteMap, for tests and for the browser console.

import { loadCollections, loadTileJSON, unionBounds } from './catalog.js';
import { enableBasemap, basemapSource } from './basemap.js';
import { choroplethControls } from './choropleth.js';
import {
  areaPopup, areasLegend, buildingPopup, buildingsLegend, planPopup, planStatusLegend, scenarioPopup, scenariosLegend,
} from './civilprotection.js';
import { civiciLegend, civiciPopup, networkLegend, streetsLegend } from './coverage.js';
import { communityPopup, sitePopup } from './eligibility.js';
import { communitiesLegend, sitesLegend, zonesLegend } from './energy.js';
import { createExposure } from './exposure.js';
import { enableImages } from './images.js';
import { loadLabelPoints } from './labels.js';
import { buildLayerList } from './panel.js';
import { enablePopups } from './popup.js';
import { enableSearch } from './search.js';
import { comunePopup, createStats } from './stats.js';
import { collectionKey, drawOrder, labelLayerFor, labelSourceID, layersFor } from './styles.js';
import { enableTools } from './tools.js';
import { zoneLookup } from './zones.js';

const status = document.getElementById('status');

function showStatus(text) {
  status.textContent = text;
  status.hidden = false;
}

// The Cremasco, for an empty catalog.
const defaultBounds = [9.45, 45.23, 9.91, 45.5];

/** Padding for fitting the data: on wide screens, keep it clear of the open layer panel. */
function fitPadding() {
  const pad = { top: 24, bottom: 24, left: 24, right: 56 };
  const panel = document.querySelector('.panel');
  const map = document.getElementById('map');
  if (window.matchMedia('(min-width: 900px)').matches && document.getElementById('panel-details').open) {
    pad.left = panel.getBoundingClientRect().right - map.getBoundingClientRect().left + 12;
  }
  return pad;
}

/**
 * Padding for fitting a view while the statistics panel is open: clear of
 * it too (on its right, or above it when it is a bottom sheet), never
 * more than leaves a quarter of the map.
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
 * browser's own fonts, so no font files are fetched.
 */
function buildStyle(collections, tileJSONs) {
  const sources = {};
  const layers = [];
  collections.forEach((c, i) => {
    const tj = tileJSONs.get(c.id);
    if (!tj) return;
    sources[c.id] = {
      type: 'vector', tiles: tj.tiles, minzoom: tj.minzoom, maxzoom: tj.maxzoom,
      bounds: tj.bounds, attribution: tj.attribution,
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

/** Shows the demo notice once any drawn feature says it is synthetic. */
function watchSynthetic(map, collections) {
  const notice = document.getElementById('demo-notice');
  const check = () => {
    for (const c of collections) {
      if (!map.getSource(c.id)) continue;
      const f = map.querySourceFeatures(c.id, { sourceLayer: c.id, filter: ['==', ['get', 'synthetic'], true] });
      if (f.length > 0) {
        notice.hidden = false;
        map.off('idle', check);
        return;
      }
    }
  };
  map.on('idle', check);
}

/**
 * Flies to a search result: a street to its extent (its middle, for a
 * service that sends no bbox); a civic number closer, opening its popup
 * with the offers.
 */
function showSearchResult(map, popups, r, searchBox) {
  const center = [r.lon, r.lat];
  if (r.kind !== 'civico') {
    popups.close();
    if (Array.isArray(r.bbox) && r.bbox.length === 4) {
      const [w, s, e, n] = r.bbox;
      map.fitBounds([[w, s], [e, n]], { padding: viewPadding(), maxZoom: 17.5 });
    } else {
      map.flyTo({ center, zoom: 16.5 });
    }
    return;
  }
  map.flyTo({ center, zoom: 18 });
  popups.open(center, 'civici', { id: r.id, properties: { status: r.best_status, mbps: r.best_down_mbps } },
    { focusOnClose: searchBox });
}

async function start() {
  const collections = await loadCollections();
  const byID = new Map(collections.map((c) => [c.id, c]));
  const style = buildStyle(collections, await loadTileJSONs(collections));
  const dataLayers = style.layers.filter((l) => l.type !== 'background' && l.type !== 'symbol');
  // Popups for everything drawn from a collection, its labels included.
  const popupLayers = style.layers.filter((l) => l.metadata?.[collectionKey]).map((l) => l.id);

  if (window.matchMedia('(max-width: 600px)').matches) document.getElementById('panel-details').open = false;
  const map = new maplibregl.Map({
    container: 'map',
    style,
    bounds: unionBounds(collections) ?? defaultBounds,
    fitBoundsOptions: { padding: fitPadding() },
    hash: true,
    maxZoom: 19,
  });
  window.atlanteMap = map;
  enableImages(map);
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-left');

  const basemap = enableBasemap(map, document.getElementById('basemap-toggle'),
    document.getElementById('basemap-note'), dataLayers[0]?.id);
  map.on('error', (e) => {
    if (e.sourceId === basemapSource) {
      basemap.unavailable();
      return;
    }
    console.error('atlante map:', e.error?.message ?? e.error ?? e);
  });

  const layerList = buildLayerList(map, document.getElementById('layer-list'), collections, {
    civici: civiciLegend(),
    network: networkLegend(),
    'coverage-comuni': choroplethControls(map),
    scenarios: scenariosLegend(),
    'emergency-areas': areasLegend(),
    'strategic-buildings': buildingsLegend(),
    'plan-status': planStatusLegend(),
    'energy-zones': zonesLegend(),
    'energy-communities': communitiesLegend(),
    'energy-sites': sitesLegend(),
    streets: streetsLegend(),
  });
  let tools = null;
  const stats = createStats(document.getElementById('stats'), { onClose: () => tools?.clear() });
  const exposure = createExposure(map, { collections: byID, stats, padding: viewPadding });
  const popups = enablePopups(map, byID, popupLayers, {
    renderers: {
      civici: civiciPopup,
      comuni: comunePopup(stats),
      'coverage-comuni': comunePopup(stats),
      scenarios: scenarioPopup({
        onExposure: (id, title) => {
          popups.close(); // the panel takes over, and the map shows what it lists
          exposure.show(id, title);
        },
      }),
      'emergency-areas': areaPopup,
      'strategic-buildings': buildingPopup,
      'plan-status': planPopup,
      'energy-communities': communityPopup,
      'energy-sites': sitePopup,
    },
    busy: () => tools?.busy() ?? false,
  });
  tools = enableTools(map, {
    group: document.querySelector('.tools'), stats, popups, hint: document.getElementById('tool-hint'),
    zone: byID.has('energy-zones') ? zoneLookup(map, popups) : null,
    onZoneTool: () => layerList.show('energy-zones'),
  });
  const searchBox = document.getElementById('search');
  enableSearch({
    input: searchBox,
    list: document.getElementById('search-list'),
    message: document.getElementById('search-message'),
    onChoose: (r) => showSearchResult(map, popups, r, searchBox),
  });
  watchSynthetic(map, collections);

  await map.once('load');
  await Promise.all(collections.filter((c, i) => labelLayerFor(c, i)).map(async (c) => {
    try {
      map.getSource(labelSourceID(c)).setData(await loadLabelPoints(c));
    } catch (err) {
      console.error(`atlante map: labels of ${c.id}:`, err.message);
    }
  }));
  document.body.dataset.state = 'ready';
}

start().catch((err) => {
  showStatus(`The map could not be loaded: ${err.message}`);
  console.error('atlante map:', err);
});
