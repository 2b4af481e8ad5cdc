// Renewable energy communities (CER) on the map: the primary-substation
// zones outlined and labelled with their GSE codes, each community's
// footprint coloured by whether it meets the rules, and the member sites
// coloured by kind and sized by their PV kW. All three start switched off.
// The popups of communities and sites say whether the community is
// eligible, and why not (eligibility.js); "Which zone?" (zones.js) tells
// the zone of any point.

import { el } from './dom.js';
import { t, tx } from './i18n.js';
import { categoryLegend, legend, legendItem, legendNote } from './legend.js';

export const theme = 'energy';

export const zoneColor = '#0f766e';
export const eligibleColors = { true: '#16a34a', false: '#dc2626' };
export const kindColors = { producer: '#f59e0b', prosumer: '#0d9488', consumer: '#6366f1' };

/** Names of kinds of member, categories and community statuses (messages energy.*). */
export const kindLabel = (k) => t(`energy.kind.${k}`);
export const categoryLabel = (k) => t(`energy.category.${k}`);
export const statusLabel = (k) => t(`energy.status.${k}`);

/**
 * Fills of the zones: a qualitative palette (ColorBrewer Set3, light
 * enough to read the data drawn over it); neighbours get different
 * colours (see zoneColors).
 */
export const zonePalette = ['#8dd3c7', '#fdb462', '#bebada', '#fb8072', '#80b1d3', '#b3de69',
  '#fccde5', '#ffed6f', '#bc80bd', '#ccebc5', '#d9d9d9', '#ffffb3'];

/** The zones: each filled with its own colour under the data, parted by white lines, labelled with its code. */
export const zonesStyle = {
  theme,
  visible: false,
  z: -1,
  color: zoneColor,
  swatch: 'polygon solid',
  label: { field: 'code', minZoom: 8, color: '#134e4a' },
  layers: (base, selected) => [
    {
      ...base, id: 'energy-zones-fill', type: 'fill',
      paint: { 'fill-color': zonePalette[0], 'fill-opacity': ['case', selected, 0.7, 0.45] },
    },
    {
      ...base, id: 'energy-zones-outline', type: 'line',
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': ['case', selected, '#134e4a', '#ffffff'],
        'line-width': ['case', selected, 3.5, 1.6],
      },
    },
  ],
};

/**
 * Gives each zone a colour of the palette, in code order: its own while
 * the palette lasts, then one that none of the zones it touches has
 * (bounding boxes that meet: close enough for neighbours, and cheap).
 * Returns a Map from code to colour.
 */
export function zoneColors(features) {
  const zones = features
    .filter((f) => typeof f.properties?.code === 'string')
    .map((f) => ({ code: f.properties.code, box: bbox(f.geometry) }))
    .filter((z) => z.box)
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const colors = new Map();
  zones.forEach((z, i) => {
    if (i < zonePalette.length) {
      colors.set(z.code, zonePalette[i]);
      return;
    }
    const taken = new Set(zones.filter((o) => colors.has(o.code) && touch(z.box, o.box)).map((o) => colors.get(o.code)));
    colors.set(z.code, zonePalette.find((c) => !taken.has(c)) ?? zonePalette[i % zonePalette.length]);
  });
  return colors;
}

function bbox(g) {
  const pts = g?.type === 'Polygon' ? g.coordinates.flat() : g?.type === 'MultiPolygon' ? g.coordinates.flat(2) : [];
  if (pts.length === 0) return null;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) {
    w = Math.min(w, x); s = Math.min(s, y); e = Math.max(e, x); n = Math.max(n, y);
  }
  return [w, s, e, n];
}

function touch(a, b) {
  const eps = 1e-6;
  return a[0] <= b[2] + eps && b[0] <= a[2] + eps && a[1] <= b[3] + eps && b[1] <= a[3] + eps;
}

/**
 * Colours the zones on the map and lists them in their legend, from the
 * zones' features (the items endpoint).
 */
export function showZones(map, legendRoot, features) {
  const colors = zoneColors(features);
  if (colors.size === 0) return;
  if (map.getLayer('energy-zones-fill')) {
    map.setPaintProperty('energy-zones-fill', 'fill-color',
      ['match', ['to-string', ['get', 'code']], ...[...colors].flat(), zonePalette[zonePalette.length - 1]]);
  }
  const names = new Map(features.map((f) => [f.properties?.code, f.properties?.name]));
  const list = legendRoot.querySelector('ul');
  list.replaceChildren(...[...colors].map(([code, color]) => {
    const li = legendItem('polygon solid', color, names.get(code) ? t('energy.legend.zone', { code, name: names.get(code) }) : code);
    li.dataset.zone = code;
    return li;
  }));
}

const eligible = ['==', ['get', 'eligible'], true];

/** Community footprints: green when eligible, red and dashed when not. */
export const communitiesStyle = {
  theme,
  visible: false,
  z: 1,
  color: eligibleColors.true,
  layers: (base, selected) => [
    {
      ...base, id: 'energy-communities-fill', type: 'fill',
      paint: {
        'fill-color': ['case', eligible, eligibleColors.true, eligibleColors.false],
        'fill-opacity': ['case', selected, 0.5, 0.25],
      },
    },
    {
      ...base, id: 'energy-communities-outline', type: 'line',
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': ['case', eligible, eligibleColors.true, eligibleColors.false],
        'line-width': ['case', selected, 3.5, 2],
        'line-dasharray': ['case', eligible, ['literal', [1, 0]], ['literal', [2, 1]]],
      },
    },
  ],
};

// Sizes by PV kW: a consumer (0 kW) is a small dot; 1 MW and more the largest.
const kwRadius = ['interpolate', ['linear'], ['sqrt', ['coalesce', ['get', 'pv_kw'], 0]], 0, 4, 10, 9, 32, 15, 40, 17];

/** Member sites: coloured by kind, sized by kW, ringed in red when the plant is over 1 MW. */
export const sitesStyle = {
  theme,
  visible: false,
  color: kindColors.prosumer,
  layers: (base, selected) => [
    {
      ...base, id: 'energy-sites-circle', type: 'circle',
      paint: {
        'circle-color': ['match', ['get', 'kind'], ...Object.entries(kindColors).flat(), '#52606d'],
        'circle-radius': ['case', selected, ['+', kwRadius, 3], kwRadius],
        'circle-opacity': 0.9,
        'circle-stroke-color': ['case', selected, '#111827', ['==', ['get', 'over_1mw'], true], eligibleColors.false, '#ffffff'],
        'circle-stroke-width': ['case', selected, 3, ['==', ['get', 'over_1mw'], true], 3, 1.2],
      },
    },
  ],
};

/** The legend of the zones: one line per zone with its colour, filled by showZones. */
export function zonesLegend() {
  const root = legend(t('energy.legend.zones'));
  root.classList.add('zones-legend');
  legendNote(root, t('energy.legend.zones.note'));
  return root;
}

export function communitiesLegend() {
  const root = legend(t('energy.legend.communities'));
  const list = root.querySelector('ul');
  list.append(legendItem('polygon', eligibleColors.true, t('energy.eligible')));
  list.append(legendItem('polygon dashed', eligibleColors.false, t('energy.legend.noteligible')));
  legendNote(root, t('energy.legend.communities.note'));
  return root;
}

export function sitesLegend() {
  const root = categoryLegend(t('energy.legend.sites'), 'point', kindColors,
    Object.fromEntries(Object.keys(kindColors).map((k) => [k, kindLabel(k)])));
  const sizes = el('p', 'legend-note');
  const dot = (px) => {
    const d = el('span', 'swatch point size');
    d.style.setProperty('--swatch', '#9aa5b1');
    d.style.setProperty('--size', `${px}px`);
    d.setAttribute('aria-hidden', 'true');
    return d;
  };
  const ring = el('span', 'swatch point ring');
  ring.style.setProperty('--swatch', eligibleColors.false);
  ring.setAttribute('aria-hidden', 'true');
  sizes.append(...tx('energy.legend.sizes', { small: dot(8), medium: dot(18), large: dot(30), ring }));
  root.append(sizes);
  return root;
}
