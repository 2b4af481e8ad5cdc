// Fibre coverage on the map: how the civic numbers and the network routes
// are drawn, their legends, and the popups of a civic number (its address
// and the table of its offers, from /coverage/civici/{id}) and of a cell.
//
// The civici tiles hold two kinds of points (see civici_tile in the
// migrations): cells, with counts n, connectable, gigabit and planned, at
// low zooms and in dense tiles; else the civic numbers themselves, with the
// status, technology and speed (mbps) of their best offer and their id as
// the tile's feature id.

import { getJSON } from './catalog.js';
import { el } from './dom.js';
import { legend, legendItem } from './legend.js';

/** Colours of the status of a civic number's best offer ("none": no offer). */
export const statusColors = {
  active: '#166534',
  connectable: '#4ca56a',
  in_works: '#d08c04',
  planned: '#6f86a3',
  none: '#a3a9b0',
};

export const statusLabels = {
  active: 'active',
  connectable: 'connectable',
  in_works: 'in works',
  planned: 'planned',
  none: 'no offer',
};

export const programmeColors = {
  aree_bianche: '#0e7490',
  aree_grigie: '#9333ea',
  commercial: '#c2410c',
};

export const programmeLabels = {
  aree_bianche: 'Aree bianche (public network)',
  aree_grigie: 'Aree grigie (PNRR Italia 1 Giga)',
  commercial: 'Commercial',
};

// Cells: grey when nothing is connectable yet, green when all is.
const cellScale = [[0, '#b9bfc6'], [0.5, '#a4cf8e'], [1, '#166534']];

const isCell = ['has', 'n'];

/** The style of the civici collection: cells sized by count and coloured by share connectable, points by status. */
export const civiciStyle = {
  color: statusColors.active,
  layers: (base, selected) => [
    {
      ...base, id: 'civici-cells', type: 'circle', filter: isCell,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['sqrt', ['get', 'n']], 1, 2.5, 10, 7, 40, 15],
        'circle-color': ['interpolate', ['linear'], ['/', ['get', 'connectable'], ['max', ['get', 'n'], 1]],
          ...cellScale.flat()],
        'circle-opacity': 0.85,
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 0.6,
      },
    },
    {
      ...base, id: 'civici-points', type: 'circle', filter: ['!', isCell],
      paint: {
        'circle-color': ['match', ['coalesce', ['get', 'status'], 'none'],
          ...['active', 'connectable', 'in_works', 'planned'].flatMap((s) => [s, statusColors[s]]), statusColors.none],
        'circle-radius': ['interpolate', ['linear'], ['zoom'],
          14, ['case', selected, 6, 3],
          18, ['case', selected, 11, 7]],
        'circle-stroke-color': ['case', selected, '#1f2933', '#ffffff'],
        'circle-stroke-width': ['case', selected, 2.5, 1],
      },
    },
  ],
};

/** The style of the network routes: coloured by programme, dashed until built. */
export const networkStyle = {
  color: programmeColors.aree_bianche,
  layers: (base, selected) => [
    {
      ...base, id: 'network-line', type: 'line',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': ['match', ['get', 'programme'],
          ...Object.entries(programmeColors).flat(), '#52606d'],
        'line-width': ['interpolate', ['linear'], ['zoom'],
          9, ['case', selected, 3, 1.2],
          16, ['case', selected, 7, 3.5]],
        'line-dasharray': ['match', ['get', 'status'], ['planned', 'in_works'], ['literal', [2, 1.5]], ['literal', [1, 0]]],
        'line-opacity': 0.9,
      },
    },
  ],
};

/** Returns the legend of the civic numbers. */
export function civiciLegend() {
  const root = legend('Civic numbers, by best offer');
  const list = root.querySelector('ul');
  for (const [status, color] of Object.entries(statusColors)) {
    list.append(legendItem('point', color, statusLabels[status]));
  }
  const cells = document.createElement('p');
  cells.className = 'legend-note';
  const ramp = document.createElement('span');
  ramp.className = 'ramp';
  ramp.style.setProperty('--ramp', `linear-gradient(to right, ${cellScale.map(([, c]) => c).join(', ')})`);
  ramp.setAttribute('aria-hidden', 'true');
  cells.append('Zoomed out: groups, sized by count, ', ramp, ' from none to all connectable.');
  root.append(cells);
  return root;
}

/** Returns the legend of the network routes. */
export function networkLegend() {
  const root = legend('Routes, by programme');
  const list = root.querySelector('ul');
  for (const [p, color] of Object.entries(programmeColors)) list.append(legendItem('line', color, programmeLabels[p]));
  list.append(legendItem('line dashed', '#52606d', 'planned or in works'));
  return root;
}

/** The streets of the address register (zoom 14+): thin lines, off at first. */
export const streetsColor = '#78716c';

/** The legend of the streets layer. */
export function streetsLegend() {
  const root = legend('Streets');
  root.querySelector('ul').append(legendItem('line', streetsColor, 'a street along its civic numbers (zoom 14 and closer)'));
  return root;
}

/**
 * Popup renderer of the civici collection (see popup.js): a cell shows its
 * counts and a button to zoom in; a civic number shows what its tile says,
 * then its address and offers.
 */
export function civiciPopup(feature, collection, { map, lngLat }) {
  const p = feature.properties ?? {};
  if (p.n !== undefined) return { content: renderCell(p, () => map.flyTo({ center: lngLat, zoom: Math.min(map.getZoom() + 2.5, 17) })) };
  const content = el('div', 'feature-popup civico-popup');
  content.append(el('h2', '', 'Civic number'), statusLine(p.status, p.technology, p.mbps), el('p', 'hint', 'Loading the offers…'));
  if (feature.id === undefined) return { content };
  const more = getJSON(`/coverage/civici/${encodeURIComponent(feature.id)}`)
    .then(renderCivico, (err) => {
      const root = el('div', 'feature-popup civico-popup');
      root.append(el('h2', '', 'Civic number'), el('p', 'problem', `The offers could not be loaded: ${err.message}`));
      return root;
    });
  return { content, more };
}

/** Returns the address of a civic number as a person writes it: "Via Roma 1A, Crema". */
export function address(v) {
  const num = [v.number ?? 'SNC', v.suffix].filter((x) => x !== '' && x !== null && x !== undefined).join('');
  return `${v.street} ${num}${v.comune ? `, ${v.comune}` : ''}`;
}

/** Renders a civic number (as /coverage/civici/{id} returns it) with its offers. */
export function renderCivico(v) {
  const root = el('div', 'feature-popup civico-popup');
  root.append(el('h2', '', address(v)));
  root.append(statusLine(v.best_status, v.best_technology, v.best_down_mbps));
  if (!v.offers?.length) {
    root.append(el('p', 'hint', 'No coverage offer is recorded for this address.'));
  } else {
    const wrap = el('div', 'table-scroll');
    const table = el('table', 'offers');
    table.createCaption().textContent = `${v.offers.length} ${v.offers.length === 1 ? 'offer' : 'offers'}, best first`;
    const head = table.createTHead().insertRow();
    for (const h of ['Programme', 'Operator', 'Technology', 'Mbit/s', 'Status', 'Date']) {
      const th = el('th', '', h);
      th.scope = 'col';
      head.append(th);
    }
    const body = table.createTBody();
    for (const o of v.offers) {
      const tr = body.insertRow();
      tr.insertCell().textContent = programmeLabels[o.programme]?.replace(/ \(.*\)$/, '') ?? o.programme;
      tr.insertCell().textContent = o.operator || '—';
      tr.insertCell().textContent = o.technology;
      const mbps = tr.insertCell();
      mbps.className = 'num';
      mbps.textContent = o.max_down_mbps.toLocaleString();
      tr.insertCell().append(statusBadge(o.status));
      tr.insertCell().textContent = o.status_date ?? '—';
    }
    wrap.append(table);
    root.append(wrap);
  }
  if (v.synthetic) root.append(el('p', 'layer-name', 'Demo address: made-up position and offers.'));
  return root;
}

function renderCell(p, zoomIn) {
  const root = el('div', 'feature-popup cell-popup');
  root.append(el('h2', '', `${p.n.toLocaleString()} civic ${p.n === 1 ? 'number' : 'numbers'}`));
  root.append(el('p', 'layer-name', 'A group of nearby civic numbers'));
  const table = el('table');
  const share = (k) => `${p[k].toLocaleString()} (${Math.round((100 * p[k]) / Math.max(p.n, 1))} %)`;
  for (const [k, label] of [['connectable', 'connectable'], ['gigabit', '≥ 1 Gbit/s'], ['planned', 'planned']]) {
    if (p[k] === undefined) continue;
    const tr = table.insertRow();
    const th = el('th', '', label);
    th.scope = 'row';
    tr.append(th);
    tr.insertCell().textContent = share(k);
  }
  root.append(table);
  const button = el('button', 'link-button', 'Zoom in to see each address');
  button.type = 'button';
  button.addEventListener('click', zoomIn);
  root.append(button);
  return root;
}

function statusLine(status, technology, mbps) {
  const p = el('p', 'best-offer');
  p.append('Best offer: ', statusBadge(status ?? 'none'));
  if (status && technology) p.append(` ${technology}`);
  if (status && mbps) p.append(`, ${Number(mbps).toLocaleString()} Mbit/s`);
  return p;
}

/** A coloured badge naming a status. */
export function statusBadge(status) {
  const s = el('span', 'badge', statusLabels[status] ?? status);
  s.style.setProperty('--badge', statusColors[status] ?? statusColors.none);
  return s;
}
