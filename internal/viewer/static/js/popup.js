// Feature popups: a click (or Enter on the focused map, at its centre) shows
// the topmost feature's properties as a table, whatever the layer. The tile
// carries only the properties needed for drawing, so the popup then asks
// the items endpoint for the whole feature and fills in the rest.

import { getJSON, itemsURL } from './catalog.js';
import { collectionKey } from './styles.js';

/**
 * Enables popups on the given style layers.
 * collections maps collection id to collection.
 */
export function enablePopups(map, collections, layerIDs) {
  const popup = new maplibregl.Popup({ maxWidth: '24rem' });
  let selected = null; // {source, sourceLayer, id} of the highlighted feature
  let request = 0;
  let byKeyboard = false; // the popup was opened with Enter: give focus back to the map on close

  const select = (feature) => {
    if (selected) map.setFeatureState(selected, { selected: false });
    selected = feature && feature.id !== undefined
      ? { source: feature.source, sourceLayer: feature.sourceLayer, id: feature.id }
      : null;
    if (selected) map.setFeatureState(selected, { selected: true });
  };
  popup.on('close', () => {
    select(null);
    if (byKeyboard) map.getCanvas().focus();
    byKeyboard = false;
  });

  const showAt = (point) => {
    const visible = layerIDs.filter((id) => map.getLayoutProperty(id, 'visibility') !== 'none');
    const [feature] = map.queryRenderedFeatures(point, { layers: visible });
    if (!feature) {
      popup.remove();
      return;
    }
    const collection = collections.get(feature.layer.metadata?.[collectionKey]);
    popup.setLngLat(map.unproject(point)).setDOMContent(render(collection, feature.properties)).addTo(map);
    select(feature);
    const mine = ++request;
    const id = feature.properties[collection?.idProperty] ?? feature.id;
    if (!collection || id === undefined) return;
    const url = `${itemsURL(collection)}/${encodeURIComponent(id)}`;
    getJSON(url, { headers: { Accept: 'application/geo+json' } }).then((full) => {
      if (mine === request && popup.isOpen()) popup.setDOMContent(render(collection, full.properties ?? {}));
    }, () => {
      // The tile's properties are already shown; a failed refresh changes nothing.
    });
  };

  map.on('click', (e) => {
    byKeyboard = false;
    showAt(e.point);
  });
  // Open on keyup of an Enter pressed on the map. Not on keydown: the popup
  // moves the focus to its close button, which would take the rest of the
  // keystroke and close it; and not on an Enter that closed the popup and
  // gave the focus back to the map.
  let enterDown = false;
  const canvas = map.getCanvas();
  canvas.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') enterDown = true;
  });
  canvas.addEventListener('keyup', (e) => {
    if (e.key !== 'Enter' || !enterDown) return;
    enterDown = false;
    showAt(map.project(map.getCenter()));
    byKeyboard = popup.isOpen();
  });
  for (const id of layerIDs) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
}

const nameKeys = ['name', 'title', 'label'];

/** Renders a feature's properties: a heading from its name, then a table. */
export function render(collection, properties) {
  const root = document.createElement('div');
  root.className = 'feature-popup';
  const nameKey = nameKeys.find((k) => typeof properties[k] === 'string');
  const h = document.createElement('h2');
  h.textContent = nameKey ? properties[nameKey] : `${collection?.title ?? 'Feature'} ${properties[collection?.idProperty] ?? ''}`.trim();
  root.append(h);
  if (collection) {
    const p = document.createElement('p');
    p.className = 'layer-name';
    p.textContent = collection.title;
    root.append(p);
  }
  const table = document.createElement('table');
  for (const [k, v] of Object.entries(properties)) {
    if (k === nameKey) continue;
    const tr = table.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = k.replaceAll('_', ' ');
    tr.append(th);
    tr.insertCell().textContent = formatValue(v);
  }
  root.append(table);
  return root;
}

function formatValue(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return v.toLocaleString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
