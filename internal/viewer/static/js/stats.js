// The statistics panel: coverage statistics of a drawn area (POST
// /coverage/stats?by=comune with the polygon) or of a comune (GET
// /coverage/stats?comune=ISTAT): civic numbers by status and by speed as
// bar charts, technology and programme, the comuni the area touches, and
// the server's CSV. An area the service refuses (422, e.g. a polygon whose
// edges cross) shows the service's reason. Other modules show their own
// views in the same panel with open() (the exposure of a scenario).

import { barChart } from './chart.js';
import { programmeLabels, statusColors, statusLabels } from './coverage.js';
import { defaultRenderer } from './popup.js';

const speedClasses = [
  ['gte_1000', '≥ 1 Gbit/s', '#166534'],
  ['gte_300_lt_1000', '300–999', '#3f8f5a'],
  ['gte_100_lt_300', '100–299', '#7fb77e'],
  ['gte_30_lt_100', '30–99', '#d0b34a'],
  ['lt_30', '< 30', '#d08c04'],
  ['none', 'not yet', statusColors.none],
];

/**
 * Wires the panel (an element holding #stats-body and a close button).
 * onClose is called when the person closes it.
 */
export function createStats(panel, { onClose = () => {} } = {}) {
  const body = panel.querySelector('#stats-body');
  const title = panel.querySelector('#stats-title');
  title.tabIndex = -1; // the focus goes there when a view asks for it
  let controller = null;
  let leave = null; // what the view shown must undo when it goes

  const leaveView = () => {
    const f = leave;
    leave = null;
    f?.();
  };
  const close = () => {
    controller?.abort();
    leaveView();
    panel.hidden = true;
    body.replaceChildren();
    onClose();
  };
  panel.querySelector('.close').addEventListener('click', close);
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });

  /**
   * Shows a view in the panel. view: {title, loading, load(signal) =>
   * Promise<Node[]>, failure, onLeave, focus}: load's nodes replace the
   * loading text (a newer view aborts signal); failure heads the problem
   * shown if load throws; onLeave is called when the view is replaced or
   * the panel closed; focus moves the focus to the panel's title.
   */
  const open = async (view) => {
    controller?.abort();
    leaveView();
    controller = new AbortController();
    const { signal } = controller;
    leave = view.onLeave ?? null;
    panel.hidden = false;
    title.textContent = view.title;
    panel.setAttribute('aria-busy', 'true');
    body.replaceChildren(el('p', 'hint', view.loading ?? 'Loading…'));
    if (view.focus) title.focus({ preventScroll: true });
    try {
      const nodes = await view.load(signal);
      if (!signal.aborted) body.replaceChildren(...nodes);
    } catch (err) {
      if (err.name === 'AbortError' || signal.aborted) return;
      body.replaceChildren(problemBox(view.failure ?? 'The answer could not be loaded', err.message));
    } finally {
      if (!signal.aborted) panel.removeAttribute('aria-busy');
    }
  };

  /** Asks the service and shows the answer. area: {name, url, init, csv: () => Promise<Blob> | string}. */
  const show = (area) => open({
    title: `Statistics: ${area.name}`,
    loading: 'Counting the civic numbers…',
    failure: 'The statistics could not be loaded',
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
        name: `drawn area (${n} corners)`,
        url: '/coverage/stats?by=comune',
        init,
        csv: () => fetchBlob('/coverage/stats?by=comune&f=csv', init),
      });
    },
    /** Statistics of a comune, by ISTAT code. */
    showComune(code, name) {
      const q = `comune=${encodeURIComponent(code)}`;
      show({ name: name ? `${name} (${code})` : code, url: `/coverage/stats?${q}`, csv: `/coverage/stats?${q}&f=csv` });
    },
    open,
    close,
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
      const b = el('button', 'link-button', `Coverage statistics of ${p.name ?? p.istat_code}`);
      b.type = 'button';
      b.addEventListener('click', () => stats.showComune(p.istat_code, p.name));
      node.append(b);
      return node;
    };
    const { content, more } = defaultRenderer(feature, collection, ctx);
    return { content: withButton(content), more: more?.then(withButton) };
  };
}

function render(st, area, repaired) {
  const out = [];
  if (repaired) out.push(el('p', 'note', `The area was repaired before counting: ${repaired}`));
  const total = el('p', 'stats-total');
  const n = el('strong', 'stats-civici', st.civici.toLocaleString());
  n.dataset.civici = String(st.civici);
  total.append(n, ` civic ${st.civici === 1 ? 'number' : 'numbers'}`);
  total.append(el('span', 'hint', ` · ${st.network_km.toFixed(1)} km of network`));
  out.push(total);
  if (st.civici === 0) {
    out.push(el('p', 'hint', 'No civic number lies in this area.'));
  } else {
    out.push(barChart('Best offer', Object.entries(statusLabels).map(([k, label]) => ({
      label, value: st.status[k], color: statusColors[k],
    }))));
    out.push(barChart('Download, Mbit/s (available offers)', speedClasses.map(([k, label, color]) => ({
      label, value: st.speed_mbps[k], color,
    }))));
    out.push(detailsTable('Technology and programme', [
      ...Object.entries(st.technology).map(([k, v]) => [k === 'none' ? 'no offer' : k, v]),
      ...Object.entries(st.programme).map(([k, v]) => [programmeLabels[k] ?? k, v]),
    ]));
  }
  if (st.comuni?.length > 1) out.push(comuniTable(st.comuni));
  out.push(csvControl(area));
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
    td.textContent = v.toLocaleString();
  }
  d.append(table);
  return d;
}

function comuniTable(comuni) {
  const wrap = el('div', 'table-scroll');
  const table = el('table', 'stats-comuni');
  table.createCaption().textContent = `In ${comuni.length} comuni`;
  const head = table.createTHead().insertRow();
  for (const h of ['Comune', 'Civic numbers', 'Connectable', '≥ 1 Gbit/s']) {
    const th = el('th', '', h);
    th.scope = 'col';
    head.append(th);
  }
  const pct = (v, n) => (n > 0 ? `${Math.round((100 * v) / n)} %` : '—');
  const tb = table.createTBody();
  for (const c of comuni) {
    const tr = tb.insertRow();
    tr.insertCell().textContent = c.name || c.istat_code;
    for (const v of [c.civici.toLocaleString(), pct(c.status.active + c.status.connectable, c.civici), pct(c.speed_mbps.gte_1000, c.civici)]) {
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
  if (typeof area.csv === 'string') {
    const a = el('a', 'button', 'Download CSV');
    a.href = area.csv;
    a.download = 'coverage-stats.csv';
    p.append(a);
    return p;
  }
  const b = el('button', 'button', 'Download CSV');
  b.type = 'button';
  const note = el('span', 'hint');
  note.setAttribute('role', 'status');
  b.addEventListener('click', async () => {
    b.disabled = true;
    note.textContent = ' Preparing…';
    try {
      const url = URL.createObjectURL(await area.csv());
      const a = el('a');
      a.href = url;
      a.download = 'coverage-stats.csv';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      note.textContent = '';
    } catch (err) {
      note.textContent = ` The CSV could not be made: ${err.message}`;
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
  const heading = res.status === 422 ? 'This area cannot be counted' : `The service answered ${res.status} ${res.statusText}`;
  const box = problemBox(heading, detail || res.statusText);
  if (/self-intersection|cross/i.test(detail)) {
    box.append(el('p', 'hint', 'Its edges cross each other. Draw it again going round the area in one direction.'));
  }
  return box;
}

/** A box stating a problem: a heading and the service's words. */
export function problemBox(heading, text) {
  const box = el('div', 'problem');
  box.setAttribute('role', 'alert');
  box.append(el('strong', '', heading), el('p', 'problem-detail', text));
  return box;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}
