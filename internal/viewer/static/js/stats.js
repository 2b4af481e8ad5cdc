// Coverage statistics in the sheet: of a drawn area (POST
// /coverage/stats?by=comune with the polygon) or of a comune (GET
// /coverage/stats?comune=ISTAT): civic numbers by status and by speed as
// bar charts, technology and programme, the comuni the area touches, and
// the server's CSV. An area the service refuses (422, e.g. a polygon whose
// edges cross) shows the service's reason.

import { barChart } from './chart.js';
import { statusColors, statusLabel } from './coverage.js';
import { button, el } from './dom.js';
import { num, pct, t, tc } from './i18n.js';
import { defaultRenderer } from './popup.js';
import { problemBox } from './sheet.js';

const speedClasses = [
  ['gte_1000', '#166534'],
  ['gte_300_lt_1000', '#3f8f5a'],
  ['gte_100_lt_300', '#7fb77e'],
  ['gte_30_lt_100', '#d0b34a'],
  ['lt_30', '#d08c04'],
  ['none', statusColors.none],
];

/** Returns the statistics views over a sheet (sheet.js). */
export function createStats(sheet) {
  /** Asks the service and shows the answer. area: {name, url, init, csv: () => Promise<Blob> | string}. */
  const show = (area) => sheet.open({
    name: 'stats',
    title: t('stats.title', { name: area.name }),
    loading: t('stats.loading'),
    failure: t('stats.failed'),
    load: async (signal) => {
      const res = await fetch(area.url, { ...area.init, signal, headers: { Accept: 'application/json', ...area.init?.headers } });
      if (!res.ok) return [await problem(res)];
      const st = await res.json();
      return render(st, area, res.headers.get('Atlante-Geometry-Repaired'));
    },
  });

  return {
    /** Statistics of a GeoJSON polygon, split by comune. */
    showPolygon(polygon) {
      const init = { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(polygon) };
      const n = polygon.coordinates[0].length - 1;
      show({
        name: tc('stats.drawn', n),
        url: '/coverage/stats?by=comune',
        init,
        csv: () => fetchBlob('/coverage/stats?by=comune&f=csv', init),
      });
    },
    /** Statistics of a comune, by ISTAT code. */
    showComune(code, name) {
      const q = `comune=${encodeURIComponent(code)}`;
      show({ name: name ? t('stats.comune', { name, code }) : code, url: `/coverage/stats?${q}`, csv: `/coverage/stats?${q}&f=csv` });
    },
  };
}

/**
 * A popup renderer for collections of comuni: the default popup plus a
 * button for the comune's statistics.
 */
export function comunePopup(stats) {
  return (feature, collection, ctx) => {
    const withButton = (node) => {
      const p = feature.properties ?? {};
      if (!node || typeof p.istat_code !== 'string') return node;
      node.append(button('link-button', t('stats.button', { name: p.name ?? p.istat_code }), () => stats.showComune(p.istat_code, p.name)));
      return node;
    };
    const { content, more } = defaultRenderer(feature, collection, ctx);
    return { content: withButton(content), more: more?.then(withButton) };
  };
}

/** Renders an answer of /coverage/stats. */
export function render(st, area, repaired) {
  const out = [];
  if (repaired) out.push(el('p', 'note', t('stats.repaired', { reason: repaired })));
  const total = el('p', 'stats-total');
  const n = el('strong', 'stats-civici', num(st.civici));
  n.dataset.civici = String(st.civici);
  total.append(n, ' ', tc('stats.civici', st.civici));
  total.append(el('span', 'hint', ` · ${t('stats.network', { km: num(st.network_km, 1) })}`));
  out.push(total);
  if (st.civici === 0) {
    out.push(el('p', 'hint', t('stats.none')));
  } else {
    out.push(barChart(t('stats.chart.status'), Object.keys(statusColors).map((k) => ({
      label: statusLabel(k), value: st.status[k] ?? 0, color: statusColors[k],
    }))));
    out.push(barChart(t('stats.chart.speed'), speedClasses.map(([k, color]) => ({
      label: t(`stats.speed.${k}`), value: st.speed_mbps[k] ?? 0, color,
    }))));
    out.push(detailsTable(t('stats.more'), [
      ...Object.entries(st.technology).map(([k, v]) => [k === 'none' ? t('coverage.technology.none') : k, v]),
      ...Object.entries(st.programme).map(([k, v]) => [t(`coverage.programme.${k}`), v]),
    ]));
  }
  if (st.comuni?.length > 1) out.push(comuniTable(st.comuni));
  if (area) out.push(csvControl(area));
  return out;
}

function detailsTable(summary, rows) {
  const d = el('details', 'stats-more');
  d.append(el('summary', '', summary));
  const table = el('table');
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    const th = el('th', '', k);
    th.scope = 'row';
    tr.append(th);
    const td = tr.insertCell();
    td.className = 'num';
    td.textContent = num(v);
  }
  d.append(table);
  return d;
}

function comuniTable(comuni) {
  const wrap = el('div', 'table-scroll');
  const table = el('table', 'stats-comuni');
  table.createCaption().textContent = tc('stats.comuni.caption', comuni.length);
  const head = table.createTHead().insertRow();
  for (const k of ['comune', 'civici', 'connectable', 'gigabit']) {
    const th = el('th', '', t(`stats.comuni.${k}`));
    th.scope = 'col';
    head.append(th);
  }
  const share = (v, n) => (n > 0 ? pct((100 * v) / n, 0) : '—');
  const tb = table.createTBody();
  for (const c of comuni) {
    const tr = tb.insertRow();
    tr.insertCell().textContent = c.name || c.istat_code;
    for (const v of [num(c.civici), share(c.status.active + c.status.connectable, c.civici), share(c.speed_mbps.gte_1000, c.civici)]) {
      const td = tr.insertCell();
      td.className = 'num';
      td.textContent = v;
    }
  }
  wrap.append(table);
  return wrap;
}

/** A link to the server's CSV, or for a posted area a button that posts it again asking for CSV. */
function csvControl(area) {
  const p = el('p', 'stats-actions');
  const file = t('stats.csv.file');
  if (typeof area.csv === 'string') {
    const a = el('a', 'button', t('stats.csv'));
    a.href = area.csv;
    a.download = file;
    p.append(a);
    return p;
  }
  const note = el('span', 'hint');
  note.setAttribute('role', 'status');
  const b = button('button', t('stats.csv'), async () => {
    b.disabled = true;
    note.textContent = ` ${t('stats.csv.preparing')}`;
    try {
      const url = URL.createObjectURL(await area.csv());
      const a = el('a');
      a.href = url;
      a.download = file;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      note.textContent = '';
    } catch (err) {
      note.textContent = ` ${t('stats.csv.failed', { error: err.message })}`;
    } finally {
      b.disabled = false;
    }
  });
  p.append(b, note);
  return p;
}

async function fetchBlob(url, init) {
  const res = await fetch(url, { ...init, headers: { Accept: 'text/csv', ...init.headers } });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  return res.blob();
}

/** Renders a refused request from its problem details (RFC 9457). */
async function problem(res) {
  let detail = '';
  try {
    const p = await res.json();
    detail = p.detail || p.title || '';
  } catch {
    // not problem+json: the status says it
  }
  const heading = res.status === 422 ? t('stats.refused') : t('service.answered', { status: res.status, text: res.statusText });
  const box = problemBox(heading, detail || res.statusText);
  if (/self-intersection|cross/i.test(detail)) box.append(el('p', 'hint', t('stats.crossing')));
  return box;
}
