// "Which zone?": the primary-substation zone of a point, from GET
// /energy/zones/at?lon=&lat=, shown in a popup at the point with the
// communities in that zone and whether one could join them there (could
// join: every member of the community is in this zone). A point outside
// every zone gets a 404, which the popup says in words; when the zones'
// tiles are drawn and no zone is near the point, the popup says so without
// asking (a 404 is an error in the browser's console).

import { el } from './dom.js';
import { eligibleColors, statusLabels, zoneColor } from './energy.js';

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
    const loading = frame(`${lat} N, ${lon} E`);
    loading.append(el('p', 'hint', 'Finding the primary-substation zone…'));
    const more = clearlyOutside(map, lngLat)
      ? Promise.resolve(problem(lon, lat, 'This point is outside every primary-substation zone loaded.'))
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
    return problem(lon, lat, `The zone could not be found: ${err.message}`);
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON: the status says it
  }
  if (res.status === 404) return problem(lon, lat, body?.detail ? `${body.detail}.` : 'This point is outside every primary-substation zone loaded.');
  if (!res.ok || !body) return problem(lon, lat, `The service answered ${res.status} ${res.statusText}${body?.detail ? `: ${body.detail}` : ''}`);
  return render(body);
}

function frame(where) {
  const root = el('div', 'feature-popup zone-popup');
  root.append(el('h2', '', 'Which zone?'), el('p', 'layer-name', `Primary-substation zone at ${where}`));
  return root;
}

function problem(lon, lat, text) {
  const root = frame(`${lat} N, ${lon} E`);
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
  h.append('Zone ', code);
  root.append(h);
  const sub = [a.zone.name, a.zone.distributor].filter(Boolean).join(' · ');
  root.append(el('p', 'layer-name', `Primary-substation zone${sub ? ` · ${sub}` : ''}`));
  const where = a.comune ? `${a.comune.name} (${a.comune.istat_code})` : 'no comune of the consortium';
  root.append(el('p', 'zone-where', `At ${Number(a.lat).toFixed(5)} N, ${Number(a.lon).toFixed(5)} E, in ${where}.`));
  if (a.border_zones?.length > 1) {
    root.append(el('p', 'note', `On the border of ${a.border_zones.length} zones (${a.border_zones.map((z) => z.code ?? z).join(', ')}): check it on GSE's map.`));
  }
  const cs = a.communities ?? [];
  if (cs.length === 0) {
    root.append(el('p', 'hint', 'No energy community has members in this zone yet: a new one could start here.'));
    return root;
  }
  const wrap = el('div', 'table-scroll');
  const table = el('table', 'offers zone-communities');
  table.createCaption().textContent = `${cs.length} ${cs.length === 1 ? 'community' : 'communities'} in this zone`;
  const head = table.createTHead().insertRow();
  for (const t of ['Community', 'Status', 'Members here', 'Could join']) {
    const th = el('th', '', t);
    th.scope = 'col';
    head.append(th);
  }
  const tb = table.createTBody();
  for (const c of cs) {
    const tr = tb.insertRow();
    tr.dataset.community = String(c.id);
    tr.insertCell().textContent = c.name;
    tr.insertCell().textContent = statusLabels[c.status] ?? c.status;
    const here = tr.insertCell();
    here.className = 'num';
    here.textContent = `${c.members_in_zone ?? '—'} of ${c.members ?? '—'}`;
    const join = tr.insertCell();
    const badge = el('span', 'badge', c.could_join ? 'yes' : 'no');
    badge.style.setProperty('--badge', c.could_join ? eligibleColors.true : eligibleColors.false);
    join.append(badge);
  }
  wrap.append(table);
  root.append(wrap);
  root.append(el('p', 'hint', 'Could join: every member of the community is in this zone, so a member here keeps all its shared energy under one primary substation.'));
  return root;
}
