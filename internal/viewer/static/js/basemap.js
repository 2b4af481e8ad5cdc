// The optional basemap under the data, as the server is configured
// (/viewer/config.json: {"basemap": {"type": "raster"|"style", "url",
// "attribution"} or null). Without one (the default) the map reaches
// nothing outside Atlante and the panel offers no switch. With one, it is
// shown with its attribution and can be switched off; a raster basemap is
// an XYZ template, a style basemap a MapLibre style whose sources and
// layers are added under the data. A basemap that cannot be reached is
// switched off with a note instead of filling the console with tile errors.

import { getJSON } from './catalog.js';
import { t } from './i18n.js';

export const basemapSource = 'basemap';
const prefix = 'basemap:';

/** The viewer's configuration; a server without it (404) means no basemap. */
export async function loadConfig() {
  const res = await fetch('/viewer/config.json', { headers: { Accept: 'application/json' } });
  if (res.status === 404) return { basemap: null, demo: false };
  if (!res.ok) throw new Error(`/viewer/config.json: ${res.status} ${res.statusText}`);
  return res.json();
}

/** Whether a style source or layer belongs to the basemap. */
export function isBasemap(id) {
  return id === basemapSource || String(id ?? '').startsWith(prefix);
}

/**
 * Wires the basemap's switch (the box holding toggle and note). beforeLayer
 * is the lowest data layer, the one the basemap goes under; onChange() is
 * called when it is shown or hidden. Returns {attribution(), unavailable()}.
 */
export function enableBasemap(map, { config, box, toggle, note, beforeLayer, onChange = () => {} }) {
  const b = config?.basemap;
  if (!b || !b.url || !['raster', 'style'].includes(b.type)) {
    box.hidden = true;
    return { attribution: () => '', unavailable: () => {} };
  }
  box.hidden = false;
  let added = [];
  const say = (text) => {
    note.textContent = text;
    note.hidden = !text;
  };
  const before = () => (map.getLayer(beforeLayer) ? beforeLayer : undefined);
  const remove = () => {
    for (const id of added.filter((x) => x.layer).map((x) => x.layer)) if (map.getLayer(id)) map.removeLayer(id);
    for (const id of added.filter((x) => x.source).map((x) => x.source)) if (map.getSource(id)) map.removeSource(id);
    added = [];
  };

  const addRaster = () => {
    map.addSource(basemapSource, { type: 'raster', tiles: [b.url], tileSize: 256, maxzoom: 19, attribution: '' });
    map.addLayer({ id: basemapSource, type: 'raster', source: basemapSource, paint: { 'raster-opacity': 0.85 } }, before());
    added = [{ source: basemapSource }, { layer: basemapSource }];
  };
  const addStyle = async () => {
    const style = await getJSON(b.url);
    for (const [id, src] of Object.entries(style.sources ?? {})) {
      map.addSource(prefix + id, { ...src, attribution: '' });
      added.push({ source: prefix + id });
    }
    for (const l of style.layers ?? []) {
      // Icons need the basemap's sprite, which the map does not load.
      const layout = { ...l.layout };
      delete layout['icon-image'];
      const layer = { ...l, id: prefix + l.id, layout };
      if (l.source) layer.source = prefix + l.source;
      map.addLayer(layer, before());
      added.unshift({ layer: layer.id });
    }
  };

  let shown = false;
  const set = async (on) => {
    remove();
    shown = false;
    say('');
    if (on) {
      try {
        if (b.type === 'raster') addRaster();
        else await addStyle();
        shown = toggle.checked;
        if (!shown) remove();
      } catch (err) {
        console.warn('atlante map: basemap:', err.message);
        unavailable();
        return;
      }
    }
    onChange();
  };
  const unavailable = () => {
    remove();
    shown = false;
    toggle.checked = false;
    say(t('basemap.unavailable'));
    onChange();
  };

  toggle.checked = true;
  toggle.addEventListener('change', () => set(toggle.checked));
  if (map.loaded()) set(true);
  else map.once('load', () => set(true));

  return {
    attribution: () => (shown ? (b.attribution || t('basemap.unknown')) : ''),
    unavailable: () => {
      if (shown) unavailable();
    },
  };
}
