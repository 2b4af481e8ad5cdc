// Renewable energy communities (CER) on the map: the primary-substation
// zones outlined and labelled with their GSE codes, each community's
// footprint coloured by whether it meets the rules, and the member sites
// coloured by kind and sized by their PV kW. All three start switched off.
// The popups of communities and sites say whether the community is
// eligible, and why not (eligibility.js); "Which zone?" (zones.js) tells
// the zone of any point.

import { el } from './dom.js';
import { categoryLegend, legend, legendItem, legendNote } from './legend.js';

export const theme = 'Energy communities';

export const zoneColor = '#0f766e';
export const eligibleColors = { true: '#16a34a', false: '#dc2626' };
export const kindColors = { producer: '#f59e0b', prosumer: '#0d9488', consumer: '#6366f1' };
export const kindLabels = { producer: 'producer', prosumer: 'prosumer', consumer: 'consumer' };
export const categoryLabels = {
  public_building: 'public building',
  school: 'school',
  company: 'company',
  condominium: 'condominium',
  household: 'household',
  other: 'other',
};
export const statusLabels = {
  proposed: 'proposed',
  constituting: 'constituting',
  constituted: 'constituted',
  operating: 'operating',
};

/** The zones: outlined, a faint fill so that a click inside finds the zone, labelled with their codes. */
export const zonesStyle = {
  theme,
  visible: false,
  color: zoneColor,
  label: { field: 'code', minZoom: 8, color: zoneColor },
  layers: (base, selected) => [
    {
      ...base, id: 'energy-zones-fill', type: 'fill',
      paint: { 'fill-color': zoneColor, 'fill-opacity': ['case', selected, 0.18, 0.04] },
    },
    {
      ...base, id: 'energy-zones-outline', type: 'line',
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': zoneColor,
        'line-width': ['case', selected, 4, 2],
        'line-dasharray': ['literal', [3, 1.5]],
      },
    },
  ],
};

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

export function zonesLegend() {
  const root = legend('Primary-substation zones');
  root.querySelector('ul').append(legendItem('line dashed', zoneColor, 'zone boundary, labelled with its GSE code'));
  legendNote(root, 'A community\'s members must all lie in one zone. Use "Which zone?" for any point.');
  return root;
}

export function communitiesLegend() {
  const root = legend('Communities, by the rules');
  const list = root.querySelector('ul');
  list.append(legendItem('polygon', eligibleColors.true, 'eligible'));
  list.append(legendItem('polygon dashed', eligibleColors.false, 'not eligible (the popup says why)'));
  legendNote(root, 'The hull of the members, 100 m around.');
  return root;
}

export function sitesLegend() {
  const root = categoryLegend('Member sites, by kind', 'point', kindColors, kindLabels);
  const sizes = el('p', 'legend-note');
  const dot = (px) => {
    const d = el('span', 'swatch point size');
    d.style.setProperty('--swatch', '#9aa5b1');
    d.style.setProperty('--size', `${px}px`);
    d.setAttribute('aria-hidden', 'true');
    return d;
  };
  sizes.append('Sized by PV: ', dot(8), ' 0 kW ', dot(18), ' 100 kW ', dot(30), ' 1 MW; ');
  const ring = el('span', 'swatch point ring');
  ring.style.setProperty('--swatch', eligibleColors.false);
  ring.setAttribute('aria-hidden', 'true');
  sizes.append(ring, ' plant over 1 MW.');
  root.append(sizes);
  return root;
}
