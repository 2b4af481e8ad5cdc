// Fibre coverage on the map: how the civic numbers and the network routes
// are drawn, their legends, and the popups of a civic number (its address
// and its offers, from /coverage/civici/{id}) and of a cell.
//
// The civici tiles hold two kinds of points (see civici_tile in the
// migrations): cells, with counts n, connectable, gigabit and planned, at
// low zooms and in dense tiles; else the civic numbers themselves, with the
// status, technology and speed (mbps) of their best offer and their id as
// the tile's feature id. A cell is a tile of zoom z + 6 (64 cells per tile
// side) for tiles of zoom z up to 14; its popup lists its addresses, from
// the items endpoint with the cell's bbox, when they are few.

import { getJSON, itemsURL } from './catalog.js';
import { badge, button, el } from './dom.js';
import { day, num, t, tc, tx } from './i18n.js';
import { legend, legendItem } from './legend.js';

/** Colours of the status of a civic number's best offer ("none": no offer). */
export const statusColors = {
  active: '#166534',
  connectable: '#4ca56a',
  in_works: '#d08c04',
  planned: '#6f86a3',
  none: '#a3a9b0',
};

export const programmeColors = {
  aree_bianche: '#0e7490',
  aree_grigie: '#9333ea',
  commercial: '#c2410c',
};

/** The name of a status of an offer. */
export function statusLabel(status) {
  return t(`coverage.status.${status ?? 'none'}`);
}

// Cells: grey when nothing is connectable yet, green when all is.
const cellScale = [[0, '#b9bfc6'], [0.5, '#a4cf8e'], [1, '#166534']];

const isCell = ['has', 'n'];

/** A cell's addresses are listed up to this many; more, and the popup offers to zoom in. */
const fewAddresses = 12;

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
  const root = legend(t('coverage.legend.civici'));
  const list = root.querySelector('ul');
  for (const [status, color] of Object.entries(statusColors)) list.append(legendItem('point', color, statusLabel(status)));
  const cells = el('p', 'legend-note');
  const ramp = el('span', 'ramp');
  ramp.style.setProperty('--ramp', `linear-gradient(to right, ${cellScale.map(([, c]) => c).join(', ')})`);
  ramp.setAttribute('aria-hidden', 'true');
  cells.append(...tx('coverage.legend.cells', { ramp }));
  root.append(cells);
  return root;
}

/** Returns the legend of the network routes. */
export function networkLegend() {
  const root = legend(t('coverage.legend.network'));
  const list = root.querySelector('ul');
  for (const [p, color] of Object.entries(programmeColors)) list.append(legendItem('line', color, t(`coverage.programme.${p}`)));
  list.append(legendItem('line dashed', '#52606d', t('coverage.legend.planned')));
  return root;
}

/**
 * Popup renderer of the civici collection (see popup.js): a cell shows its
 * counts and its addresses when they are few, else a button to zoom in; a
 * civic number shows what its tile says, then its address and offers.
 */
export function civiciPopup(feature, collection, { map, lngLat, open }) {
  const p = feature.properties ?? {};
  if (p.n !== undefined) return cellPopup(feature, collection, { map, lngLat, open });
  const content = el('div', 'feature-popup civico-popup');
  content.append(el('h2', '', t('civici.point')), statusLine(p.status, p.technology, p.mbps), el('p', 'hint', t('civici.loading')));
  if (feature.id === undefined) return { content };
  const more = getJSON(`/coverage/civici/${encodeURIComponent(feature.id)}`)
    .then(renderCivico, (err) => {
      const root = el('div', 'feature-popup civico-popup');
      root.append(el('h2', '', t('civici.point')), el('p', 'problem', t('civici.failed', { error: err.message })));
      return root;
    });
  return { content, more };
}

/** Returns the address of a civic number as a person writes it: "Via Roma 1A, Crema". */
export function address(v) {
  const house = [v.number ?? t('civici.snc'), v.suffix].filter((x) => x !== '' && x !== null && x !== undefined).join('');
  return v.comune ? t('civici.address', { street: v.street, number: house, comune: v.comune }) : `${v.street} ${house}`;
}

/** Renders a civic number (as /coverage/civici/{id} returns it) with its offers. */
export function renderCivico(v) {
  const root = el('div', 'feature-popup civico-popup');
  root.dataset.civico = String(v.id);
  root.append(el('h2', '', address(v)));
  root.append(statusLine(v.best_status, v.best_technology, v.best_down_mbps));
  if (!v.offers?.length) {
    root.append(el('p', 'hint', t('civici.nooffers')));
  } else {
    const wrap = el('div', 'table-scroll');
    const table = el('table', 'offers stacked');
    table.createCaption().textContent = tc('civici.offers.caption', v.offers.length);
    const heads = ['programme', 'operator', 'technology', 'mbps', 'status', 'date'].map((k) => t(`civici.offers.${k}`));
    const head = table.createTHead().insertRow();
    for (const h of heads) {
      const th = el('th', '', h);
      th.scope = 'col';
      head.append(th);
    }
    const body = table.createTBody();
    for (const o of v.offers) {
      const tr = body.insertRow();
      const cells = [
        t(`coverage.programme.short.${o.programme}`),
        o.operator || '—',
        o.technology,
        num(o.max_down_mbps),
        badge(statusLabel(o.status), statusColors[o.status] ?? statusColors.none),
        o.status_date ? dayText(o.status_date) : '—',
      ];
      cells.forEach((c, i) => {
        const td = tr.insertCell();
        td.dataset.label = heads[i];
        if (i === 3) td.className = 'num';
        td.append(c);
      });
    }
    wrap.append(table);
    root.append(wrap);
  }
  if (v.synthetic) root.append(el('p', 'layer-name demo-line', t('civici.demo')));
  return root;
}

function dayText(iso) {
  const time = el('time', '', day(iso, 'short'));
  time.dateTime = iso;
  return time;
}

/** The tile of zoom z holding a lon/lat, as [x, y] with fractions. */
function tileXY(lon, lat, z) {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return [((lon + 180) / 360) * n, ((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n];
}

/** The lon/lat bounds [w, s, e, n] of tile x, y of zoom z. */
function tileBounds(x, y, z) {
  const n = 2 ** z;
  const lon = (i) => (i / n) * 360 - 180;
  const lat = (j) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * j) / n))) * 180) / Math.PI;
  return [lon(x), lat(y + 1), lon(x + 1), lat(y)];
}

/**
 * The bboxes a cell at lonLat may have: the cell of the zoom the map
 * shows, or of the zooms next to it (tiles of another zoom may still be on
 * screen), and the neighbouring cell when the point, quantised in the
 * tile, lies on a cell's edge.
 */
export function cellCandidates(lon, lat, mapZoom) {
  const z0 = Math.min(Math.floor(mapZoom), 14);
  const out = [];
  for (const cz of [z0, z0 - 1, z0 + 1]) {
    if (cz < 0 || cz > 14) continue;
    const z = cz + 6;
    const [fx, fy] = tileXY(lon, lat, z);
    const x = Math.floor(fx);
    const y = Math.floor(fy);
    out.push(tileBounds(x, y, z));
    const dx = fx - x < 0.05 ? -1 : fx - x > 0.95 ? 1 : 0;
    const dy = fy - y < 0.05 ? -1 : fy - y > 0.95 ? 1 : 0;
    if (dx || dy) out.push(tileBounds(x + dx, y + dy, z));
  }
  return out;
}

/** Finds the addresses of a cell of n civic numbers: the first candidate bbox that holds exactly n. */
async function cellAddresses(collection, lon, lat, n, mapZoom) {
  for (const b of cellCandidates(lon, lat, mapZoom)) {
    const url = new URL(itemsURL(collection), document.baseURI);
    url.searchParams.set('bbox', b.map((v) => v.toFixed(7)).join(','));
    url.searchParams.set('limit', String(fewAddresses));
    const fc = await getJSON(url, { headers: { Accept: 'application/geo+json' } });
    if (fc.numberMatched === n && (fc.features ?? []).length === n) return fc.features;
  }
  return null;
}

function cellPopup(feature, collection, { map, lngLat, open }) {
  const p = feature.properties;
  const zoomIn = () => map.flyTo({ center: lngLat, zoom: Math.min(map.getZoom() + 2.5, 17) });
  const content = renderCell(p, zoomIn);
  const [lon, lat] = feature.geometry?.type === 'Point' ? feature.geometry.coordinates : [lngLat.lng, lngLat.lat];
  if (p.n > fewAddresses || !collection) return { content };
  content.append(el('p', 'hint', t('civici.cell.loading')));
  const more = cellAddresses(collection, lon, lat, p.n, map.getZoom()).then((features) => {
    const root = renderCell(p, zoomIn);
    if (!features) return root;
    root.querySelector('.cell-zoom')?.remove();
    const ul = el('ul', 'cell-addresses');
    features.sort((a, b) => (a.properties.street ?? '').localeCompare(b.properties.street ?? '')
      || (a.properties.number ?? 0) - (b.properties.number ?? 0));
    for (const f of features) {
      const q = f.properties;
      const li = el('li');
      const b = button('link-button', address({ street: q.street, number: q.number, suffix: q.suffix }), () => {
        const [x, y] = f.geometry.coordinates;
        open({ lng: x, lat: y }, 'civici', { id: f.id, properties: { status: q.best_status, technology: q.best_technology, mbps: q.best_down_mbps } });
      });
      li.append(b, ' ', badge(statusLabel(q.best_status ?? 'none'), statusColors[q.best_status] ?? statusColors.none));
      ul.append(li);
    }
    root.append(ul);
    return root;
  }, () => null);
  return { content, more };
}

function renderCell(p, zoomIn) {
  const root = el('div', 'feature-popup cell-popup');
  root.append(el('h2', '', tc('civici.cell.title', p.n)));
  root.append(el('p', 'layer-name', t('civici.cell.what')));
  const table = el('table');
  const share = (k) => t('civici.cell.share', { count: num(p[k]), pct: num(Math.round((100 * p[k]) / Math.max(p.n, 1))) });
  for (const k of ['connectable', 'gigabit', 'planned']) {
    if (p[k] === undefined) continue;
    const tr = table.insertRow();
    const th = el('th', '', t(`civici.cell.${k}`));
    th.scope = 'row';
    tr.append(th);
    tr.insertCell().textContent = share(k);
  }
  root.append(table);
  root.append(button('link-button cell-zoom', t('civici.cell.zoom'), zoomIn));
  return root;
}

function statusLine(status, technology, mbps) {
  const p = el('p', 'best-offer');
  const b = statusBadge(status ?? 'none');
  if (status && technology && mbps) p.append(...tx('civici.best.full', { status: b, technology, mbps: num(mbps) }));
  else if (status && technology) p.append(...tx('civici.best.tech', { status: b, technology }));
  else p.append(...tx('civici.best', { status: b }));
  return p;
}

/** A coloured badge naming a status. */
export function statusBadge(status) {
  return badge(statusLabel(status), statusColors[status] ?? statusColors.none);
}
