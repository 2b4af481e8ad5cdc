// Who made what the map shows: one line per source of the layers switched
// on, each said once, in a box at the bottom right that folds into a
// button on phones and stays clear of the scale bar and the layer panel
// (see .atlante-attrib in app.css).
//
// A layer is credited truthfully: with the catalog's attribution when its
// data is real, and as "dati dimostrativi" (demo data) when its features
// say they are synthetic; the first feature of each layer tells. A layer
// computed from another (the choropleth from the civic numbers, the plan
// status from the plans) follows the one it comes from.

import { getJSON, itemsURL } from './catalog.js';
import { el } from './dom.js';
import { t } from './i18n.js';
import { layerTitle } from './properties.js';

/** Layers without a synthetic property of their own, and the layer whose data they are computed from. */
const derivedFrom = { 'coverage-comuni': 'civici', 'plan-status': 'scenarios' };

/**
 * Asks whether each collection holds demo data: resolves to a Map from
 * collection id to true (synthetic), false (real) or null (empty, or no
 * way to tell).
 */
export async function demoLayers(collections) {
  const own = new Map();
  await Promise.all(collections.map(async (c) => {
    if (derivedFrom[c.id]) return;
    try {
      const url = new URL(itemsURL(c), document.baseURI);
      url.searchParams.set('limit', '1');
      const fc = await getJSON(url, { headers: { Accept: 'application/geo+json' } });
      const p = fc.features?.[0]?.properties;
      own.set(c.id, p && typeof p.synthetic === 'boolean' ? p.synthetic : null);
    } catch (err) {
      console.warn(`atlante map: demo check of ${c.id}:`, err.message);
      own.set(c.id, null);
    }
  }));
  for (const c of collections) {
    if (derivedFrom[c.id]) own.set(c.id, own.get(derivedFrom[c.id]) ?? null);
  }
  return own;
}

/**
 * The attribution control (a MapLibre IControl). credits() lists what to
 * show; update() redraws it. Open on wide screens, folded on phones.
 */
export class AttributionControl {
  constructor({ credits, folded }) {
    this.credits = credits;
    this.folded = folded;
  }

  onAdd() {
    this.container = el('div', 'maplibregl-ctrl atlante-attrib');
    this.details = el('details');
    this.details.open = !this.folded;
    const summary = el('summary');
    summary.setAttribute('aria-label', t('attrib.label'));
    summary.title = t('attrib.label');
    const icon = el('span', 'attrib-icon');
    icon.setAttribute('aria-hidden', 'true');
    summary.append(icon, el('span', 'attrib-summary', t('attrib.summary')));
    this.list = el('ul', 'attrib-list');
    this.details.append(summary, this.list);
    this.container.append(this.details);
    this.update();
    return this.container;
  }

  onRemove() {
    this.container.remove();
  }

  update() {
    if (!this.list) return;
    const seen = new Set();
    const items = [];
    for (const c of this.credits()) {
      const key = c.text.trim();
      if (!key || seen.has(key)) continue;
      seen.add(key);
      const li = el('li', c.demo ? 'attrib-demo' : '', key);
      if (c.layer) li.dataset.layer = c.layer;
      items.push(li);
    }
    this.list.replaceChildren(...items);
  }
}

/**
 * What to credit for the collections switched on: the catalog's
 * attribution of each, or "demo data" for the synthetic ones; then the
 * basemap's, if shown, and MapLibre's.
 */
export function creditsFor(collections, { visible, demo, basemap }) {
  const out = [];
  for (const c of collections) {
    if (!visible(c.id)) continue;
    if (demo.get(c.id) === true) {
      out.push({ text: t('attrib.demo', { layer: layerTitle(c) }), demo: true, layer: c.id });
    } else if (c.attribution) {
      out.push({ text: c.attribution, layer: c.id });
    }
  }
  const b = basemap();
  if (b) out.push({ text: b, layer: 'basemap' });
  out.push({ text: t('attrib.maplibre') });
  return out;
}
