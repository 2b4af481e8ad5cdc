// The exposure of a risk scenario, in the statistics panel: GET
// /civil-protection/scenarios/{id}/exposure counts the civic numbers inside
// (in total and per street), names the strategic buildings and emergency
// areas inside (those areas cannot be used), and lists the nearest usable
// areas with their capacity. Capacity counts persons and civic numbers count
// addresses: the panel shows both side by side and converts neither.
//
// On the map, while the panel shows it: the scenario's outline, the civic
// numbers inside it (where the civici tiles draw single addresses), the
// areas and buildings inside, and the usable areas numbered by distance.
// The exposure answer carries ids, not geometries, so these come from the
// items endpoints.

import { barChart } from './chart.js';
import { getJSON, itemsURL } from './catalog.js';
import { areaColors, areaLabel, buildingLabel, hazardColors, hazardLine } from './civilprotection.js';
import { button, el } from './dom.js';
import { labelFont } from './fonts.js';
import { distance, num, t, tc, tx } from './i18n.js';
import { labelPoint } from './labels.js';

const source = 'atlante-exposure';
const empty = { type: 'FeatureCollection', features: [] };
const civiciLayer = `${source}-civici`;
const topStreets = 8;

const roleColors = { usable: areaColors.attesa, inside: '#b91c1c', building: '#7c2d12' };

/**
 * Returns the exposure view. collections maps collection id to collection
 * (for the items URLs); stats is the panel (stats.js); padding() the
 * padding that keeps a fitted view clear of the panels.
 */
export function createExposure(map, { collections, stats, padding }) {
  let shown = null; // the highlight's bounds, for "Show on map"

  const ensureLayers = () => {
    if (map.getSource(source)) return;
    map.addSource(source, { type: 'geojson', data: empty });
    map.addLayer({ id: `${source}-fill`, type: 'fill', source, filter: ['all', ['==', ['get', 'marker'], false], ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]], ['!=', ['get', 'role'], 'scenario']],
      paint: { 'fill-color': ['match', ['get', 'role'], 'inside', roleColors.inside, roleColors.usable], 'fill-opacity': 0.35 } });
    map.addLayer({ id: `${source}-scenario`, type: 'line', source, filter: ['==', ['get', 'role'], 'scenario'],
      layout: { 'line-join': 'round' },
      paint: { 'line-color': '#111827', 'line-width': 3, 'line-dasharray': ['literal', [2, 1]] } });
    map.addLayer({ id: `${source}-marker`, type: 'circle', source, filter: ['==', ['get', 'marker'], true],
      paint: {
        'circle-radius': 9,
        'circle-color': ['match', ['get', 'role'], 'inside', roleColors.inside, 'building', roleColors.building, roleColors.usable],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
      } });
    map.addLayer({ id: `${source}-mark`, type: 'symbol', source, filter: ['==', ['get', 'marker'], true],
      layout: {
        'text-field': ['get', 'mark'], 'text-font': labelFont, 'text-size': 12,
        'text-allow-overlap': true, 'text-ignore-placement': true,
      },
      paint: { 'text-color': '#ffffff' } });
  };

  const clear = () => {
    shown = null;
    map.getSource(source)?.setData(empty);
    if (map.getLayer(civiciLayer)) map.removeLayer(civiciLayer);
  };

  const fit = () => {
    if (shown) map.fitBounds(shown, { padding: padding(), maxZoom: 16 });
  };

  /** Fetches the geometries of what the exposure names, and draws them. */
  const highlight = async (id, ex, signal) => {
    const get = (collectionID, fid) => {
      const c = collections.get(collectionID);
      if (!c) return Promise.reject(new Error(`no ${collectionID}`));
      return getJSON(`${itemsURL(c)}/${encodeURIComponent(fid)}`, { signal, headers: { Accept: 'application/geo+json' } });
    };
    const wanted = [
      ['scenarios', id, { role: 'scenario' }],
      ...ex.emergency_areas_inside.map((a) => [a.collection, a.id, { role: 'inside', mark: '×' }]),
      ...ex.strategic_buildings.map((b) => [b.collection, b.id, { role: 'building', mark: '!' }]),
      ...ex.nearest_usable_areas.map((a, i) => [a.collection, a.id, { role: 'usable', mark: String(i + 1) }]),
    ];
    const answers = await Promise.allSettled(wanted.map(([c, fid]) => get(c, fid)));
    if (signal.aborted) return;
    const features = [];
    let bounds = null;
    const extend = (g) => {
      for (const [x, y] of coordinates(g)) {
        bounds = bounds ? [Math.min(bounds[0], x), Math.min(bounds[1], y), Math.max(bounds[2], x), Math.max(bounds[3], y)] : [x, y, x, y];
      }
    };
    let scenario = null;
    answers.forEach((a, i) => {
      if (a.status !== 'fulfilled' || !a.value.geometry) return;
      const g = a.value.geometry;
      const props = wanted[i][2];
      if (props.role === 'scenario') scenario = g;
      if (props.role !== 'building') features.push({ type: 'Feature', properties: { ...props, marker: false }, geometry: g });
      if (props.role !== 'scenario') {
        const p = labelPoint(g);
        if (p) features.push({ type: 'Feature', properties: { ...props, marker: true }, geometry: { type: 'Point', coordinates: p } });
      }
      if (props.role === 'scenario' || props.role === 'usable') extend(g);
    });
    ensureLayers();
    // Lowest marks on top: draw the nearest usable area last.
    features.sort((a, b) => (Number(b.properties.mark) || 0) - (Number(a.properties.mark) || 0));
    map.getSource(source).setData({ type: 'FeatureCollection', features });
    if (scenario && map.getSource('civici') && !map.getLayer(civiciLayer)) {
      // The civic numbers inside, where the tiles draw them one by one (not in cells).
      map.addLayer({
        id: civiciLayer, type: 'circle', source: 'civici', 'source-layer': 'civici',
        filter: ['all', ['!', ['has', 'n']], ['within', { type: 'Feature', properties: {}, geometry: scenario }]],
        paint: {
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 14, 4, 18, 9],
          'circle-color': 'rgba(0, 0, 0, 0)',
          'circle-stroke-color': '#b91c1c',
          'circle-stroke-width': 2,
        },
      }, `${source}-marker`);
    }
    if (bounds) {
      shown = [[bounds[0], bounds[1]], [bounds[2], bounds[3]]];
      fit();
    }
  };

  return {
    /** Shows the exposure of scenario id (its title, if known, heads the panel). */
    show(id, title) {
      stats.open({
        name: 'exposure',
        title: t('exposure.title', { name: title ?? t('cp.scenario.untitled', { id }) }),
        loading: t('exposure.loading'),
        failure: t('exposure.failed'),
        focus: true,
        onLeave: clear,
        load: async (signal) => {
          const ex = await getJSON(`/civil-protection/scenarios/${encodeURIComponent(id)}/exposure`, { signal });
          highlight(id, ex, signal).catch((err) => {
            if (!signal.aborted) console.warn('atlante map: exposure highlight:', err.message);
          });
          return render(ex, fit);
        },
      });
    },
  };
}

/** Every position of a GeoJSON geometry. */
function coordinates(g) {
  switch (g.type) {
    case 'Point': return [g.coordinates];
    case 'MultiPoint': case 'LineString': return g.coordinates;
    case 'Polygon': case 'MultiLineString': return g.coordinates.flat();
    case 'MultiPolygon': return g.coordinates.flat(2);
    default: return [];
  }
}

function heading(text) {
  return el('h3', 'stats-heading', text);
}

/** Renders the exposure answer as the panel's content. */
export function render(ex, showOnMap) {
  const s = ex.scenario;
  const root = el('div', 'exposure');
  root.dataset.scenarioId = String(s.id);
  root.append(el('p', 'layer-name', t('exposure.where', { comune: s.comune || t('exposure.comune'), code: s.istat_code })),
    hazardLine(s.hazard, s.severity));

  // Civic numbers inside.
  const total = el('p', 'stats-total');
  const n = el('strong', 'exposure-civici', num(ex.civici.count));
  n.dataset.civici = String(ex.civici.count);
  total.append(n, ' ', tc('exposure.civici', ex.civici.count));
  root.append(total);
  const streets = ex.civici.by_street;
  if (streets.length > 0) {
    const top = streets.slice(0, topStreets);
    const rest = streets.slice(topStreets).reduce((sum, st) => sum + st.civici, 0);
    const bars = top.map((st) => ({
      label: shorten(st.street), fullLabel: st.street, value: st.civici, color: hazardColors[s.hazard] ?? hazardColors.altro,
    }));
    if (rest > 0) bars.push({ label: tc('exposure.streets.other', streets.length - topStreets), value: rest, color: '#a3a9b0' });
    root.append(barChart(t('exposure.chart'), bars));
    if (streets.length > topStreets) {
      const d = el('details', 'stats-more');
      d.append(el('summary', '', t('exposure.streets.all', { n: streets.length })));
      const table = el('table');
      for (const st of streets) {
        const tr = table.insertRow();
        const th = el('th', '', st.street);
        th.scope = 'row';
        tr.append(th);
        const td = tr.insertCell();
        td.className = 'num';
        td.textContent = num(st.civici);
      }
      d.append(table);
      root.append(d);
    }
  }

  // Buildings and areas inside.
  root.append(heading(t('exposure.buildings', { n: ex.strategic_buildings.length })));
  root.append(featureList(ex.strategic_buildings, (b) => `${b.name} · ${buildingLabel(b.kind)}`, 'exposure-buildings'));
  root.append(heading(t('exposure.inside', { n: ex.emergency_areas_inside.length })));
  root.append(featureList(ex.emergency_areas_inside,
    (a) => [a.name, areaLabel(a.kind), ...(a.capacity != null ? [tc('unit.persons', a.capacity)] : [])].join(' · '),
    'exposure-inside'));

  // Nearest usable areas, with the running total of their capacity.
  const near = ex.nearest_usable_areas;
  root.append(heading(t('exposure.nearest', { n: near.length })));
  if (near.length === 0) {
    root.append(el('p', 'hint', t('exposure.nearest.none')));
  } else {
    const wrap = el('div', 'table-scroll');
    const table = el('table', 'exposure-areas');
    table.createCaption().textContent = t('exposure.nearest.caption');
    const head = table.createTHead().insertRow();
    for (const [k, cls] of [['rank', 'num'], ['area', ''], ['away', 'num'], ['persons', 'num'], ['total', 'num']]) {
      const th = el('th', cls, t(`exposure.col.${k}`));
      th.scope = 'col';
      head.append(th);
    }
    const tb = table.createTBody();
    near.forEach((a, i) => {
      const tr = tb.insertRow();
      tr.insertCell().textContent = String(i + 1);
      const name = tr.insertCell();
      name.className = 'wrap';
      name.append(a.name, el('span', 'hint', ` ${areaLabel(a.kind)}`));
      for (const v of [distance(a.distance_m), num(a.capacity), num(a.cumulative_capacity)]) {
        const td = tr.insertCell();
        td.className = 'num';
        td.textContent = v;
      }
    });
    wrap.append(table);
    root.append(wrap);
  }

  // Capacity and exposure, side by side, never converted.
  root.append(heading(t('exposure.compare')));
  const cmp = el('dl', 'exposure-compare');
  const pair = (value, unit, what) => {
    const dt = el('dt');
    dt.append(el('strong', '', num(value)), ` ${unit}`);
    cmp.append(dt, el('dd', '', what));
  };
  pair(ex.capacity.exposed_civici, tc('exposure.addresses', ex.capacity.exposed_civici), t('exposure.addresses.what'));
  pair(ex.capacity.usable_capacity_persons, tc('exposure.persons', ex.capacity.usable_capacity_persons),
    tc('exposure.persons.what', near.length));
  root.append(cmp);
  root.append(el('p', 'hint exposure-note', t('exposure.note')));

  const legend = el('p', 'hint');
  legend.append(...tx('exposure.legend', {
    usable: mark(roleColors.usable, '1'), inside: mark(roleColors.inside, '×'), building: mark(roleColors.building, '!'),
  }));
  root.append(legend);
  const actions = el('p', 'stats-actions');
  actions.append(button('button', t('exposure.show'), showOnMap));
  root.append(actions);
  return [root];
}

/** Shortens a street's name to what the chart's label column holds. */
function shorten(name, max = 15) {
  return name.length <= max ? name : `${name.slice(0, max - 1).trimEnd()}…`;
}

function featureList(items, text, className) {
  if (items.length === 0) return el('p', 'hint', t('exposure.none'));
  const ul = el('ul', `exposure-list ${className}`);
  for (const it of items) ul.append(el('li', '', text(it)));
  return ul;
}

function mark(color, text) {
  const m = el('span', 'map-mark', text);
  m.style.setProperty('--mark', color);
  m.setAttribute('aria-hidden', 'true');
  return m;
}
