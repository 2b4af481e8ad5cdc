// The map without WebGL (an old browser, a locked-down PC, a remote
// desktop): a plain message and a list view that needs no map. The search
// box works as on the map; a civic number shows its address and offers, a
// street the list of its civic numbers, a comune its coverage statistics,
// and a list of the comuni leads to the statistics of any of them.

import { getJSON, itemsURL } from './catalog.js';
import { address, renderCivico, statusBadge } from './coverage.js';
import { button, el } from './dom.js';
import { t, tc } from './i18n.js';
import { enableSearch } from './search.js';
import { problemBox } from './sheet.js';
import { render as renderStats } from './stats.js';

/** Whether this browser can draw the map: MapLibre is loaded and WebGL works. */
export function canDrawMap() {
  if (typeof maplibregl === 'undefined') return false;
  try {
    const c = document.createElement('canvas');
    return !!(c.getContext('webgl2') || c.getContext('webgl'));
  } catch {
    return false;
  }
}

/** Shows the list view instead of the map. */
export function startListView({ collections }) {
  document.body.classList.add('no-map');
  for (const id of ['map', 'panel', 'stats', 'backdrop']) document.getElementById(id).hidden = true;
  document.getElementById('menu-toggle').hidden = true;
  document.querySelector('.tools').hidden = true;
  const view = document.getElementById('listview');
  view.hidden = false;
  const result = document.getElementById('listview-result');
  let controller = null;

  /** Shows what load() returns in the result area, with a heading; a failure says why. */
  const show = async (heading, load) => {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    const h = el('h3', 'listview-heading', heading);
    result.setAttribute('aria-busy', 'true');
    result.replaceChildren(h, el('p', 'hint', t('sheet.loading')));
    try {
      const nodes = await load(signal);
      if (!signal.aborted) result.replaceChildren(h, ...nodes);
    } catch (err) {
      if (err.name !== 'AbortError' && !signal.aborted) result.replaceChildren(h, problemBox(t('sheet.failed'), err.message));
    } finally {
      if (!signal.aborted) result.removeAttribute('aria-busy');
    }
  };

  const showCivico = (id, label) => show(label, async (signal) => [renderCivico(await getJSON(`/coverage/civici/${encodeURIComponent(id)}`, { signal }))]);

  const showComune = (code, name) => show(t('stats.title', { name: t('stats.comune', { name, code }) }), async (signal) => {
    const q = `comune=${encodeURIComponent(code)}`;
    const st = await getJSON(`/coverage/stats?${q}`, { signal });
    const root = el('div', 'stats-body');
    root.append(...renderStats(st, { csv: `/coverage/stats?${q}&f=csv` }));
    return [root];
  });

  const civici = collections.find((c) => c.id === 'civici');
  const showStreet = (r) => show(r.label, async (signal) => {
    if (!civici) return [];
    const url = new URL(itemsURL(civici), document.baseURI);
    url.searchParams.set('istat_code', r.istat_code);
    url.searchParams.set('street', r.street);
    url.searchParams.set('limit', String(civici.maxItemsLimit ?? 10000));
    const fc = await getJSON(url, { signal, headers: { Accept: 'application/geo+json' } });
    const features = (fc.features ?? []).sort((a, b) => (a.properties.number ?? 0) - (b.properties.number ?? 0)
      || String(a.properties.suffix ?? '').localeCompare(String(b.properties.suffix ?? '')));
    const out = [el('p', 'hint', tc('search.street.civici', features.length))];
    const ul = el('ul', 'listview-civici');
    for (const f of features) {
      const q = f.properties;
      const label = address({ street: q.street, number: q.number, suffix: q.suffix, comune: r.comune });
      const li = el('li');
      li.append(button('link-button', label, () => showCivico(f.id, label)), ' ', statusBadge(q.best_status ?? 'none'));
      ul.append(li);
    }
    out.push(ul);
    return out;
  });

  const search = enableSearch({
    input: document.getElementById('search'),
    list: document.getElementById('search-list'),
    message: document.getElementById('search-message'),
    onChoose: (r) => {
      if (r.kind === 'civico') showCivico(r.id, r.label);
      else if (r.kind === 'comune') showComune(r.istat_code, r.comune || r.label);
      else {
        showStreet(r);
        if (r.missing_number && r.nearest) search.say(missingNumber(r, () => showCivico(r.nearest.id, r.nearest.label)));
      }
    },
  });

  // The comuni, for their statistics.
  const select = document.getElementById('listview-comune');
  const comuni = collections.find((c) => c.id === 'comuni');
  select.add(new Option(t('nowebgl.comune.choose'), ''));
  select.addEventListener('change', () => {
    const o = select.selectedOptions[0];
    if (o?.value) showComune(o.value, o.dataset.name);
  });
  if (comuni) {
    const url = new URL(itemsURL(comuni), document.baseURI);
    url.searchParams.set('limit', String(comuni.maxItemsLimit ?? 10000));
    getJSON(url, { headers: { Accept: 'application/geo+json' } }).then((fc) => {
      const list = (fc.features ?? []).map((f) => f.properties).filter((p) => p?.istat_code)
        .sort((a, b) => String(a.name).localeCompare(String(b.name), 'it'));
      for (const p of list) {
        const o = new Option(`${p.name} (${p.istat_code})`, p.istat_code);
        o.dataset.name = p.name;
        select.add(o);
      }
    }, (err) => console.warn('atlante map: comuni for the list view:', err.message));
  }
  document.body.dataset.state = 'list';
}

/** "Number 999 does not exist in Via Roma, Crema: 1 to 80. [Go to 80]", for a street suggested with missing_number. */
export function missingNumber(r, goNearest) {
  const p = el('span', 'missing-number');
  const [from, to] = (Array.isArray(r.number_range) ? r.number_range : ['?', '?']).map(String);
  p.append(t('search.missing', { number: String(r.missing_number), street: r.label, from, to }));
  if (r.nearest) p.append(' ', button('link-button nearest-button', t('search.nearest', { label: r.nearest.label }), goNearest));
  return p;
}
