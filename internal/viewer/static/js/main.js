// Atlante's browser map. It reads the catalog (/collections), draws every
// collection from its vector tiles by geometry type, labels the layers that
// ask for it, and offers popups, a layer list and an optional online
// basemap. Everything it needs is served by Atlante itself, so it works
// offline. The map object is window.atlanteMap, for tests and for the
// browser console.

import { loadCollections, tileJSONURL, unionBounds } from './catalog.js';
import { enableBasemap, basemapSource } from './basemap.js';
import { loadLabelPoints } from './labels.js';
import { buildLayerList } from './panel.js';
import { enablePopups } from './popup.js';
import { labelLayerFor, labelSourceID, layersFor } from './styles.js';

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
 * Builds the style: a plain background, then each collection's layers, then
 * the labels on top. It has no glyphs URL: MapLibre then draws label text
 * with the browser's own fonts, so no font files are fetched.
 */
function buildStyle(collections) {
  const sources = {};
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#f2f1ec' } }];
  const labels = [];
  collections.forEach((c, i) => {
    const url = tileJSONURL(c);
    if (!url) return;
    sources[c.id] = { type: 'vector', url };
    // Feature ids for the selection highlight (feature-state).
    if (c.idProperty) sources[c.id].promoteId = { [c.id]: c.idProperty };
    layers.push(...layersFor(c, i));
    const label = labelLayerFor(c, i);
    if (label) {
      sources[labelSourceID(c)] = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
      labels.push(label);
    }
  });
  return { version: 8, sources, layers: [...layers, ...labels] };
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

async function start() {
  const collections = await loadCollections();
  const byID = new Map(collections.map((c) => [c.id, c]));
  const style = buildStyle(collections);
  const dataLayers = style.layers.filter((l) => l.type !== 'background' && l.type !== 'symbol');

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

  buildLayerList(map, document.getElementById('layer-list'), collections);
  enablePopups(map, byID, dataLayers.map((l) => l.id));
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
