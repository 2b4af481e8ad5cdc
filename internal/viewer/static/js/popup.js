// Feature popups: a click (or Enter on the focused map, at its centre) shows
// the topmost feature, whatever the layer. Layers are drawn most specific on
// top (see drawOrder in styles.js), and labels count as their feature, so a
// click on a civic number shows the civic number, and a click on a comune's
// name shows the comune. By default the popup is a table of the feature's
// properties: the tile carries only the properties needed for drawing, so
// the popup then asks the items endpoint for the whole feature and fills in
// the rest. A collection can have a renderer of its own.

import { collectionKey, getJSON, itemsURL } from './catalog.js';

/**
 * Enables popups on the given style layers; collections maps collection id
 * to collection. Options: renderers maps a collection id to a function
 * (feature, collection, {map, lngLat}) returning {content: Node, more?:
 * Promise<Node|null>}, the popup's content and what replaces it once
 * loaded; busy() is true while clicks on the map mean something else (a
 * drawing tool). Returns {open(lngLat, collectionID, feature, opts), close(),
 * select(target)} to open a popup from elsewhere (the search box, "Which
 * zone?") and highlight what it is about.
 */
export function enablePopups(map, collections, layerIDs, { renderers = {}, busy = () => false } = {}) {
  // A click elsewhere is handled below (another feature's popup, or none):
  // MapLibre's own closeOnClick would also close a popup just reopened.
  // The focus goes to the close button (focusClose), not to the first
  // button of the content, so Enter twice opens and closes a popup.
  const popup = new maplibregl.Popup({ maxWidth: '34rem', closeOnClick: false, focusAfterOpen: false });
  const focusClose = () => popup.getElement()?.querySelector('.maplibregl-popup-close-button')?.focus({ preventScroll: true });
  let selected = null; // {source, sourceLayer, id} of the highlighted feature
  let request = 0;
  let returnFocus = null; // where the focus goes when the popup closes

  const select = (target) => {
    if (selected) map.setFeatureState(selected, { selected: false });
    selected = target;
    if (selected) map.setFeatureState(selected, { selected: true });
  };
  popup.on('close', () => {
    select(null);
    const to = returnFocus;
    returnFocus = null;
    to?.focus();
  });

  /**
   * Opens the popup of a feature (rendered, or {id, properties}) of a
   * collection; render, if given, replaces the collection's renderer.
   */
  const open = (lngLat, collectionID, feature, { focusOnClose = null, render = null } = {}) => {
    const collection = collections.get(collectionID);
    const renderer = render ?? renderers[collectionID] ?? defaultRenderer;
    const mine = ++request;
    const { content, more } = renderer(feature, collection, { map, lngLat });
    // addTo closes the popup that is open first: that close must not move the focus.
    if (popup.isOpen()) returnFocus = null;
    popup.setLngLat(lngLat).setDOMContent(content).addTo(map);
    focusClose();
    returnFocus = focusOnClose;
    // Highlight the feature in its collection's tiles (a label stands for its feature).
    const id = feature.id ?? feature.properties?.[collection?.idProperty];
    select(collection && map.getSource(collection.id) && id !== undefined
      ? { source: collection.id, sourceLayer: collection.id, id }
      : null);
    more?.then((node) => {
      if (!node || mine !== request || !popup.isOpen()) return;
      const hadFocus = popup.getElement().contains(document.activeElement);
      popup.setDOMContent(node);
      if (hadFocus) focusClose();
    });
  };

  const showAt = (point) => {
    const visible = layerIDs.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
    const [feature] = map.queryRenderedFeatures(point, { layers: visible });
    if (!feature) {
      popup.remove();
      return;
    }
    open(map.unproject(point), feature.layer.metadata?.[collectionKey], feature);
  };

  map.on('click', (e) => {
    if (busy()) return;
    showAt(e.point);
  });
  // Open on keyup of an Enter pressed on the map. Not on keydown: the popup
  // moves the focus to its close button, which would take the rest of the
  // keystroke and close it; and not on an Enter that closed the popup and
  // gave the focus back to the map, or that finished a drawing.
  let enterDown = false;
  const canvas = map.getCanvas();
  canvas.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') enterDown = !busy();
  });
  canvas.addEventListener('keyup', (e) => {
    if (e.key !== 'Enter' || !enterDown) return;
    enterDown = false;
    if (busy()) return;
    showAt(map.project(map.getCenter()));
    if (popup.isOpen()) returnFocus = canvas;
  });
  for (const id of layerIDs) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
  return {
    open,
    close: () => popup.remove(),
    /** Highlights a feature ({source, sourceLayer, id}) while the popup is open. */
    select: (target) => {
      if (popup.isOpen()) select(target);
    },
  };
}

/**
 * The default popup: the feature's properties from the tile, then the
 * whole feature from the items endpoint.
 */
export function defaultRenderer(feature, collection) {
  const content = render(collection, feature.properties ?? {});
  const id = feature.properties?.[collection?.idProperty] ?? feature.id;
  if (!collection || id === undefined) return { content };
  const url = `${itemsURL(collection)}/${encodeURIComponent(id)}`;
  const more = getJSON(url, { headers: { Accept: 'application/geo+json' } }).then(
    (full) => render(collection, full.properties ?? {}),
    () => null, // the tile's properties are already shown; a failed refresh changes nothing
  );
  return { content, more };
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
