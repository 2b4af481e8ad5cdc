// Feature popups. A click (or Enter on the focused map, at its centre)
// looks a few pixels around the point (more on a touch screen) for the
// features of every visible layer; labels count as their feature, and of
// several points of one layer only the nearest counts.
//
// - One feature: its popup.
// - One feature of a layer of its own, the rest being the background that
//   is always there (the comune, the street): its popup, with the others
//   offered under it ("Also here").
// - Several: a list to choose from, grouped by layer; the chosen
//   feature's popup has a way back to the list.
//
// A popup closes when its layer is hidden. By default the popup is a table
// of the feature's properties, named and formatted for people (see
// properties.js): the tile carries only what drawing needs, so the popup
// then asks the items endpoint for the whole feature. A collection can
// have a renderer of its own.

import { collectionKey, getJSON, itemsURL } from './catalog.js';
import { button, el } from './dom.js';
import { t, tc } from './i18n.js';
import { layerTitle, propertyLabel, propertyValue, shownProperty } from './properties.js';

/**
 * Collections drawn as the background of everything (on by default): a
 * click that also hits one feature of another layer means that feature.
 */
const contextCollections = new Set(['comuni', 'streets']);

/** Pixels around a click searched for features: a fingertip is wider than a pointer. */
function hitRadius() {
  return window.matchMedia('(pointer: coarse)').matches ? 12 : 5;
}

/**
 * Enables popups on the given style layers; collections maps collection id
 * to collection. Options: renderers maps a collection id to a function
 * (feature, collection, {map, lngLat, open}) returning {content: Node,
 * more?: Promise<Node|null>}, the popup's content and what replaces it
 * once loaded; busy() is true while clicks on the map mean something else
 * (a drawing tool); comuneName(istat) names a comune in the list (features
 * of the same name in two comuni are told apart); actions(collectionID,
 * feature) returns what to offer under a popup (the editing buttons), or
 * null. Returns {open(lngLat, collectionID, feature, opts),
 * close(), select(target), hideCollection(id)}.
 */
export function enablePopups(map, collections, layerIDs, { renderers = {}, busy = () => false, comuneName = () => '', actions = () => null } = {}) {
  // A click elsewhere is handled below (another feature's popup, or none):
  // MapLibre's own closeOnClick would also close a popup just reopened.
  // The focus goes to the close button (focusClose), not to the first
  // button of the content, so Enter twice opens and closes a popup.
  const popup = new maplibregl.Popup({ maxWidth: '34rem', closeOnClick: false, focusAfterOpen: false });
  const focusClose = () => popup.getElement()?.querySelector('.maplibregl-popup-close-button')?.focus({ preventScroll: true });
  let selected = null; // {source, sourceLayer, id} of the highlighted feature
  let request = 0;
  let returnFocus = null; // where the focus goes when the popup closes
  let shownCollections = new Set(); // the layers the open popup is about

  const select = (target) => {
    if (selected) map.setFeatureState(selected, { selected: false });
    selected = target;
    if (selected) map.setFeatureState(selected, { selected: true });
  };
  popup.on('close', () => {
    select(null);
    shownCollections = new Set();
    const to = returnFocus;
    returnFocus = null;
    to?.focus();
  });

  const show = (lngLat, node, about) => {
    // addTo closes the popup that is open first: that close must not move the focus.
    const keep = returnFocus;
    if (popup.isOpen()) returnFocus = null;
    popup.setLngLat(lngLat).setDOMContent(node).addTo(map);
    popup.getElement().classList.add('atlante-popup');
    returnFocus = keep;
    shownCollections = new Set(about);
    focusClose();
  };

  /**
   * Opens the popup of a feature (rendered, or {id, properties}) of a
   * collection. opts: focusOnClose, where the focus goes when it closes;
   * render, a renderer instead of the collection's; back, a function
   * that goes back to a list; others, hits offered under the popup.
   */
  const open = (lngLat, collectionID, feature, { focusOnClose = null, render = null, back = null, others = [] } = {}) => {
    const collection = collections.get(collectionID);
    const renderer = render ?? renderers[collectionID] ?? defaultRenderer;
    const mine = ++request;
    const { content, more } = renderer(feature, collection, { map, lngLat, open });
    const frame = el('div', 'popup-frame');
    if (back) frame.append(button('link-button popup-back', t('pick.back'), back));
    frame.append(content);
    const extra = actions(collectionID, feature);
    if (extra) frame.append(extra);
    if (others.length) frame.append(alsoHere(others, collections, (h) => open(lngLat, h.collection, h.feature, { back: null, others: [], focusOnClose: returnFocus })));
    // From a list, the focus goes back where the list's would have.
    if (!back) returnFocus = focusOnClose;
    show(lngLat, frame, [collectionID, ...others.map((h) => h.collection)]);
    // Highlight the feature in its collection's tiles (a label stands for its feature).
    const id = feature.id ?? feature.properties?.[collection?.idProperty];
    select(collection && map.getSource(collection.id) && id !== undefined
      ? { source: collection.id, sourceLayer: collection.id, id }
      : null);
    more?.then((node) => {
      if (!node || mine !== request || !popup.isOpen() || !content.isConnected) return;
      const hadFocus = popup.getElement().contains(document.activeElement);
      content.replaceWith(node);
      if (hadFocus) focusClose();
    });
  };

  /** Shows the list of what is at lngLat. */
  const list = (lngLat, hits, focusOnClose) => {
    ++request;
    select(null);
    const again = () => list(lngLat, hits, returnFocus);
    const choose = (h) => open(lngLat, h.collection, h.feature, { back: again });
    returnFocus = focusOnClose;
    show(lngLat, pickList(hits, collections, choose, comuneName), hits.map((h) => h.collection));
  };

  const visibleLayers = () => layerIDs.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');

  const showAt = (point, focusOnClose = null) => {
    const hits = hitsAt(map, point, visibleLayers(), hitRadius());
    if (hits.length === 0) {
      popup.remove();
      return;
    }
    const lngLat = map.unproject(point);
    const own = hits.filter((h) => !contextCollections.has(h.collection));
    if (hits.length === 1 || own.length === 1) {
      const [first] = own.length === 1 ? own : hits;
      open(lngLat, first.collection, first.feature, { focusOnClose, others: hits.filter((h) => h !== first) });
      return;
    }
    list(lngLat, hits, focusOnClose);
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
    showAt(map.project(map.getCenter()), canvas);
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
    /** Closes the popup when it is about a collection just hidden. */
    hideCollection: (id) => {
      if (popup.isOpen() && shownCollections.has(id)) popup.remove();
    },
  };
}

/**
 * The features around a point of the screen, topmost first, one entry per
 * feature: {collection, feature}. A feature drawn by several style layers
 * (fill and outline, its label) or split across tiles counts once; of the
 * points of one collection only the nearest counts.
 */
export function hitsAt(map, point, layers, radius) {
  const box = [[point.x - radius, point.y - radius], [point.x + radius, point.y + radius]];
  const features = map.queryRenderedFeatures(box, { layers });
  const hits = [];
  const seen = new Set();
  const nearestPoint = new Map(); // collection -> {hit, d}
  for (const f of features) {
    const collection = f.layer.metadata?.[collectionKey];
    if (!collection) continue;
    const id = featureID(f);
    const isPoint = f.geometry?.type === 'Point' && f.layer.type !== 'symbol';
    const key = `${collection}|${id ?? JSON.stringify(f.geometry?.coordinates)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const hit = { collection, feature: f };
    if (isPoint) {
      const p = map.project(f.geometry.coordinates);
      const d = Math.hypot(p.x - point.x, p.y - point.y);
      const best = nearestPoint.get(collection);
      if (best && best.d <= d) continue;
      if (best) hits.splice(hits.indexOf(best.hit), 1);
      nearestPoint.set(collection, { hit, d });
    }
    hits.push(hit);
  }
  return hits;
}

/** The id of a rendered feature: the tile's, or its id property. */
function featureID(f) {
  return f.id ?? f.properties?.id ?? f.properties?.istat_code ?? f.properties?.code;
}

/** The name of a feature in a list: its name or title, else what it is. */
export function featureName(collectionID, collection, p = {}) {
  if (collectionID === 'civici') {
    if (p.n !== undefined) return tc('civici.cell.title', p.n);
    return t('civici.point');
  }
  for (const k of ['name', 'title', 'label', 'code']) {
    if (typeof p[k] === 'string' && p[k]) return p[k];
  }
  return layerTitle(collection ?? { id: collectionID });
}

/** A short line under a feature's name in a list: its class, if any, and its comune. */
function featureDetail(collectionID, p = {}, comuneName = () => '') {
  const parts = [];
  for (const k of ['hazard', 'kind', 'status', 'best_status']) {
    if (p[k] !== undefined && p[k] !== null) parts.push(propertyValue(collectionID, k, p[k]));
  }
  if (collectionID === 'civici' && p.n === undefined) parts.push(propertyValue('civici', 'status', p.status ?? 'none'));
  if (p.severity) parts.push(t('cp.severity.short', { n: p.severity }));
  if (collectionID !== 'comuni' && typeof p.istat_code === 'string' && comuneName(p.istat_code) && comuneName(p.istat_code) !== p.name) {
    parts.push(comuneName(p.istat_code));
  }
  return parts.join(' · ');
}

/** The list of the features at a point, grouped by layer. */
function pickList(hits, collections, choose, comuneName) {
  const root = el('div', 'feature-popup pick-list');
  root.append(el('h2', '', tc('pick.title', hits.length)));
  const groups = new Map();
  for (const h of hits) {
    if (!groups.has(h.collection)) groups.set(h.collection, []);
    groups.get(h.collection).push(h);
  }
  for (const [id, members] of groups) {
    const section = el('section', 'pick-group');
    section.dataset.collection = id;
    section.append(el('h3', '', layerTitle(collections.get(id) ?? { id })));
    const ul = el('ul');
    for (const h of members) {
      const li = el('li');
      const b = button('pick-item', '', () => choose(h));
      b.dataset.collection = id;
      b.dataset.feature = String(featureID(h.feature) ?? '');
      b.append(el('span', 'pick-name', featureName(id, collections.get(id), h.feature.properties)));
      const detail = featureDetail(id, h.feature.properties, comuneName);
      if (detail) b.append(el('span', 'pick-detail', detail));
      li.append(b);
      ul.append(li);
    }
    section.append(ul);
    root.append(section);
  }
  return root;
}

/** "Also here": the other features at the point, one button each. */
function alsoHere(others, collections, choose) {
  const p = el('div', 'also-here');
  p.append(el('span', 'hint', t('pick.also')));
  for (const h of others) {
    const c = collections.get(h.collection) ?? { id: h.collection };
    const name = featureName(h.collection, c, h.feature.properties);
    const title = layerTitle(c);
    const b = button('link-button', t('pick.also.item', { name, layer: title }), () => choose(h));
    b.dataset.collection = h.collection;
    b.dataset.feature = String(featureID(h.feature) ?? '');
    p.append(b);
  }
  return p;
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

/** Renders a feature's properties: a heading from its name, the layer, then a table of labels and values. */
export function render(collection, properties) {
  const root = el('div', 'feature-popup');
  const layerID = collection?.id ?? '';
  const nameKey = nameKeys.find((k) => typeof properties[k] === 'string');
  const id = properties[collection?.idProperty];
  root.append(el('h2', '', nameKey ? properties[nameKey] : `${layerTitle(collection)} ${id ?? ''}`.trim()));
  if (collection) root.append(el('p', 'layer-name', layerTitle(collection)));
  const table = el('table', 'properties');
  for (const [k, v] of Object.entries(properties)) {
    if (k === nameKey || !shownProperty(k)) continue;
    const tr = table.insertRow();
    tr.dataset.property = k;
    const th = el('th', '', propertyLabel(layerID, k));
    th.scope = 'row';
    tr.append(th);
    tr.insertCell().textContent = propertyValue(layerID, k, v);
  }
  root.append(table);
  if (properties.synthetic === true) root.append(el('p', 'layer-name demo-line', t('demo.feature')));
  return root;
}
