// "Which zone?": the primary-substation zone of a point, from GET
// /energy/zones/at?lon=&lat=, shown in a popup at the point with the
// communities in that zone and whether one could join them there (could
// join: every member of the community is in this zone). A point outside
// every zone gets a 404, which the popup says in words; when the zones'
// tiles are drawn and no zone is near the point, the popup says so without
// asking (a 404 is an error in the browser's console).

import { badge, el } from './dom.js';
import { eligibleColors, statusLabel, zoneColor } from './energy.js';
import { num, t, tc } from './i18n.js';

const zonesSource = 'energy-zones';
const zonesFill = 'energy-zones-fill';
const nearPx = 6;

/**
 * Returns lookup(lngLat): asks the service for the zone at the point and
 * opens a popup there (popups from popup.js).
 */
export function zoneLookup(map, popups) {
  let controller = null;
  return (lngLat, { focusOnClose = null } = {}) => {
    controller?.abort();
    controller = new AbortController();
    const lon = lngLat.lng.toFixed(6);
    const lat = lngLat.lat.toFixed(6);
    const loading = frame(where(lat, lon));
    loading.append(el('p', 'hint', t('zone.loading')));
    const more = clearlyOutside(map, lngLat)
      ? Promise.resolve(problem(lon, lat, t('zone.outside')))
      : ask(lon, lat, controller.signal);
    popups.open(lngLat, null, { properties: {} }, {
      focusOnClose,
      render: () => ({ content: loading, more }),
    });
    more.then((node) => {
      const code = node?.dataset.zoneCode;
      if (code && node.isConnected) popups.select({ source: 'energy-zones', sourceLayer: 'energy-zones', id: code });
    });
  };
}

/** Whether the drawn zones show no zone within a few pixels of the point. */
function clearlyOutside(map, lngLat) {
  if (!map.getLayer(zonesFill) || map.getLayoutProperty(zonesFill, 'visibility') === 'none') return false;
  if (!map.isSourceLoaded(zonesSource) || map.getZoom() < (map.getLayer(zonesFill).minzoom ?? 0)) return false;
  const p = map.project(lngLat);
  const box = [[p.x - nearPx, p.y - nearPx], [p.x + nearPx, p.y + nearPx]];
  return map.queryRenderedFeatures(box, { layers: [zonesFill] }).length === 0;
}

async function ask(lon, lat, signal) {
  const url = `/energy/zones/at?${new URLSearchParams({ lon, lat })}`;
  let res;
  try {
    res = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  } catch (err) {
    if (err.name === 'AbortError') return null;
    return problem(lon, lat, t('zone.failed', { error: err.message }));
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: the status says it
  }
  if (res.status === 404) return problem(lon, lat, t('zone.outside'));
  if (!res.ok || !body) {
    const answered = t('service.answered', { status: res.status, text: res.statusText });
    return problem(lon, lat, body?.detail ? `${answered}: ${body.detail}` : answered);
  }
  return render(body);
}

/** "45,36 N, 9,69 E" in the page's language. */
function where(lat, lon) {
  return t('zone.point', { lat: num(Number(lat), 5), lon: num(Number(lon), 5) });
}

function frame(at) {
  const root = el('div', 'feature-popup zone-popup');
  root.append(el('h2', '', t('tools.zone')), el('p', 'layer-name', t('zone.at', { where: at })));
  return root;
}

function problem(lon, lat, text) {
  const root = frame(where(lat, lon));
  root.append(el('p', 'problem', text));
  return root;
}

/** Renders an answer of /energy/zones/at. */
export function render(a) {
  const root = el('div', 'feature-popup zone-popup');
  root.dataset.zoneCode = a.zone.code;
  const h = el('h2');
  const code = el('span', 'zone-code', a.zone.code);
  code.style.setProperty('--zone', zoneColor);
  h.append(t('zone.heading'), ' ', code);
  root.append(h);
  const sub = [a.zone.name, a.zone.distributor].filter(Boolean).join(' · ');
  root.append(el('p', 'layer-name', sub ? t('zone.what.named', { name: sub }) : t('zone.what')));
  const at = where(a.lat, a.lon);
  root.append(el('p', 'zone-where', a.comune
    ? t('zone.where', { where: at, comune: a.comune.name, code: a.comune.istat_code })
    : t('zone.where.none', { where: at })));
  if (a.border_zones?.length > 1) {
    root.append(el('p', 'note', t('zone.border', { n: a.border_zones.length, zones: a.border_zones.map((z) => z.code ?? z).join(', ') })));
  }
  const cs = a.communities ?? [];
  if (cs.length === 0) {
    root.append(el('p', 'hint', t('zone.nocommunity')));
    return root;
  }
  const wrap = el('div', 'table-scroll');
  const table = el('table', 'offers zone-communities stacked');
  table.createCaption().textContent = tc('zone.communities', cs.length);
  const heads = ['community', 'status', 'members', 'join'].map((k) => t(`zone.col.${k}`));
  const head = table.createTHead().insertRow();
  for (const h2 of heads) {
    const th = el('th', '', h2);
    th.scope = 'col';
    head.append(th);
  }
  const tb = table.createTBody();
  for (const c of cs) {
    const tr = tb.insertRow();
    tr.dataset.community = String(c.id);
    const cells = [
      c.name,
      statusLabel(c.status),
      t('zone.members', { here: c.members_in_zone ?? '—', all: c.members ?? '—' }),
      badge(t(c.could_join ? 'value.yes' : 'value.no'), c.could_join ? eligibleColors.true : eligibleColors.false),
    ];
    cells.forEach((v, i) => {
      const td = tr.insertCell();
      td.dataset.label = heads[i];
      if (i === 2) td.className = 'num';
      td.append(v);
    });
  }
  wrap.append(table);
  root.append(wrap);
  root.append(el('p', 'hint', t('zone.join.note')));
  return root;
}
