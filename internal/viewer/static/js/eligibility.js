// Popups of the energy communities and their member sites. Both say
// whether the community meets the rules, from GET
// /energy/communities/{id}/eligibility: eligible ✓ with its zone, or each
// reason (members in several zones, outside every zone, a plant over 1 MW,
// no members) with the members it concerns, named.

import { getJSON, itemsURL } from './catalog.js';
import { el, row, sentence } from './dom.js';
import { categoryLabels, eligibleColors, kindColors, kindLabels, statusLabels } from './energy.js';

/** Popup renderer of the community footprints. */
export function communityPopup(feature) {
  const id = feature.id ?? feature.properties?.id;
  const p = feature.properties ?? {};
  const head = () => {
    const root = el('div', 'feature-popup community-popup');
    root.append(el('h2', '', p.name ?? `Community ${id}`), el('p', 'layer-name', 'Renewable energy community'));
    const table = el('table');
    if (p.status) row(table, 'status', statusLabels[p.status] ?? p.status);
    if (p.members !== undefined) row(table, 'member sites', Number(p.members).toLocaleString());
    if (p.installed_kw !== undefined) row(table, 'installed PV', `${Number(p.installed_kw).toLocaleString()} kW`);
    root.append(table);
    return root;
  };
  const content = head();
  content.append(verdictLine(p.eligible), el('p', 'hint', 'Checking the rules…'));
  if (id === undefined) return { content };
  const more = getJSON(`/energy/communities/${encodeURIComponent(id)}/eligibility`).then(
    (e) => {
      const root = head();
      root.append(renderEligibility(e));
      return root;
    },
    (err) => failed(head(), err),
  );
  return { content, more };
}

/** Popup renderer of the member sites: the site, then its community's eligibility. */
export function sitePopup(feature, collection) {
  const id = feature.id ?? feature.properties?.id;
  const draw = (p) => {
    const root = el('div', 'feature-popup site-popup');
    root.append(el('h2', '', p.name ?? `Site ${id}`), el('p', 'layer-name', 'Member site of an energy community'));
    const line = el('p', 'best-offer');
    const b = el('span', 'badge', kindLabels[p.kind] ?? p.kind ?? 'site');
    b.style.setProperty('--badge', kindColors[p.kind] ?? '#52606d');
    line.append(b, ` ${categoryLabels[p.category] ?? p.category ?? ''}`);
    root.append(line);
    const table = el('table');
    if (p.pv_kw !== undefined) row(table, 'PV plant', p.pv_kw > 0 ? `${Number(p.pv_kw).toLocaleString()} kW${p.over_1mw ? ' (over 1 MW)' : ''}` : 'none');
    if (p.storage_kwh) row(table, 'storage', `${Number(p.storage_kwh).toLocaleString()} kWh`);
    if (p.consumption_kwh) row(table, 'consumption', `${Number(p.consumption_kwh).toLocaleString()} kWh a year`);
    row(table, 'zone', p.zone_code ?? 'outside every zone');
    if (p.on_zone_border) row(table, 'note', 'on the border of several zones: check it on GSE\'s map');
    if (p.community) row(table, 'community', p.community);
    root.append(table);
    return root;
  };
  const p = feature.properties ?? {};
  const content = draw(p);
  content.append(verdictLine(p.community_eligible), el('p', 'hint', 'Checking the community\'s rules…'));
  if (p.community_id === undefined) return { content };
  const site = id !== undefined && collection
    ? getJSON(`${itemsURL(collection)}/${encodeURIComponent(id)}`, { headers: { Accept: 'application/geo+json' } })
      .then((f) => f.properties ?? p, () => p)
    : Promise.resolve(p);
  const more = Promise.all([site, getJSON(`/energy/communities/${encodeURIComponent(p.community_id)}/eligibility`)]).then(
    ([full, e]) => {
      const root = draw(full);
      root.append(renderEligibility(e, Number(id)));
      return root;
    },
    (err) => failed(draw(p), err),
  );
  return { content, more };
}

/** The verdict the tiles already know (eligible true/false), before the reasons arrive. */
function verdictLine(ok) {
  if (typeof ok !== 'boolean') return el('span');
  return verdict(ok);
}

function verdict(ok) {
  const p = el('p', `verdict ${ok ? 'eligible' : 'not-eligible'}`);
  p.style.setProperty('--verdict', ok ? eligibleColors.true : eligibleColors.false);
  p.append(el('span', 'verdict-mark', ok ? '✓' : '✗'), ok ? ' Eligible' : ' Not eligible');
  return p;
}

/**
 * Renders an eligibility answer: the verdict, then each reason with the
 * members concerned; a member that is this site (siteID) is marked.
 */
export function renderEligibility(e, siteID) {
  const root = el('div', 'eligibility');
  root.dataset.eligible = String(e.eligible);
  if (siteID !== undefined && e.community?.name) root.append(el('p', 'layer-name', `Its community: ${e.community.name}`));
  root.append(verdict(e.eligible));
  const names = new Map((e.members ?? []).map((m) => [m.id, m]));
  const member = (mid) => {
    const m = names.get(mid);
    const text = m ? m.name : `member ${mid}`;
    const li = el('li', mid === siteID ? 'this-site' : '', text);
    if (m?.pv_kw > 0) li.append(el('span', 'hint', ` ${m.pv_kw.toLocaleString()} kW`));
    if (mid === siteID) li.append(el('span', 'hint', ' (this site)'));
    return li;
  };
  if (e.eligible) {
    const z = e.zone;
    root.append(el('p', 'eligibility-detail',
      `All ${(e.members ?? []).length} members lie under one primary substation${z ? `, ${z.code} (${z.name})` : ''}, and no plant is over 1 MW.`));
  } else {
    const reasons = el('ul', 'reasons');
    for (const r of e.reasons ?? []) {
      const li = el('li');
      li.dataset.reason = r.code;
      li.append(el('span', 'reason-message', `${sentence(r.message)}.`));
      if (r.code === 'several_zones' && r.zones?.length) {
        const zones = el('ul', 'reason-zones');
        for (const z of r.zones) {
          const zl = el('li', '', `${z.code}${z.name ? ` (${z.name})` : ''}:`);
          const ms = el('ul', 'reason-members');
          for (const mid of z.members ?? []) ms.append(member(mid));
          zl.append(ms);
          zones.append(zl);
        }
        li.append(zones);
      } else if (r.members?.length) {
        const ms = el('ul', 'reason-members');
        for (const mid of r.members) ms.append(member(mid));
        li.append(ms);
      }
      reasons.append(li);
    }
    root.append(reasons);
  }
  if (e.rules?.sources?.length) {
    const d = el('details', 'stats-more');
    d.append(el('summary', '', 'The rules and their sources'));
    const ul = el('ul', 'rule-sources');
    if (e.rules.same_zone) ul.append(el('li', '', sentence(e.rules.same_zone)));
    if (e.rules.max_plant_kw) ul.append(el('li', '', `Each plant at most ${e.rules.max_plant_kw.toLocaleString()} kW`));
    for (const s of e.rules.sources) ul.append(el('li', '', s));
    d.append(ul);
    root.append(d);
  }
  return root;
}

function failed(root, err) {
  root.append(el('p', 'problem', `The eligibility could not be checked: ${err.message}`));
  return root;
}
