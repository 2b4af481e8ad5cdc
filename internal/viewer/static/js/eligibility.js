// Popups of the energy communities and their member sites. Both say
// whether the community meets the rules, from GET
// /energy/communities/{id}/eligibility: eligible ✓ with its zone, or each
// reason (members in several zones, outside every zone, a plant over 1 MW,
// no members) with the members it concerns, named. The reasons are worded
// here from their codes, in the page's language.

import { getJSON, itemsURL } from './catalog.js';
import { badge, el, row } from './dom.js';
import { num, t, tc } from './i18n.js';
import { categoryLabel, eligibleColors, kindColors, kindLabel, statusLabel } from './energy.js';

/** Popup renderer of the community footprints. */
export function communityPopup(feature) {
  const id = feature.id ?? feature.properties?.id;
  const p = feature.properties ?? {};
  const head = () => {
    const root = el('div', 'feature-popup community-popup');
    root.append(el('h2', '', p.name ?? t('energy.community.untitled', { id })), el('p', 'layer-name', t('energy.community')));
    const table = el('table');
    if (p.status) row(table, t('prop.status'), statusLabel(p.status));
    if (p.members !== undefined) row(table, t('prop.energy-communities.members'), num(p.members));
    if (p.installed_kw !== undefined) row(table, t('prop.installed_kw'), t('unit.kw', { n: num(p.installed_kw) }));
    root.append(table);
    return root;
  };
  const content = head();
  content.append(verdictLine(p.eligible), el('p', 'hint', t('energy.checking')));
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
    root.append(el('h2', '', p.name ?? t('energy.site.untitled', { id })), el('p', 'layer-name', t('energy.site')));
    const line = el('p', 'best-offer');
    line.append(badge(p.kind ? kindLabel(p.kind) : t('energy.site'), kindColors[p.kind] ?? '#52606d'));
    if (p.category) line.append(' ', categoryLabel(p.category));
    root.append(line);
    const table = el('table');
    if (p.pv_kw !== undefined) {
      row(table, t('energy.site.pv'), p.pv_kw > 0
        ? t(p.over_1mw ? 'energy.site.pv.over' : 'unit.kw', { n: num(p.pv_kw) })
        : t('energy.site.pv.none'));
    }
    if (p.storage_kwh) row(table, t('prop.storage_kwh'), t('unit.kwh', { n: num(p.storage_kwh) }));
    if (p.consumption_kwh) row(table, t('prop.consumption_kwh'), t('unit.kwh.year', { n: num(p.consumption_kwh) }));
    row(table, t('energy.site.zone'), p.zone_code ?? t('energy.site.outside'));
    if (p.on_zone_border) row(table, t('energy.site.note'), t('energy.site.border'));
    if (p.community) row(table, t('energy.site.community'), p.community);
    root.append(table);
    return root;
  };
  const p = feature.properties ?? {};
  const content = draw(p);
  content.append(verdictLine(p.community_eligible), el('p', 'hint', t('energy.checking.community')));
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
  p.append(el('span', 'verdict-mark', ok ? '✓' : '✗'), ' ', t(ok ? 'energy.eligible.verdict' : 'energy.noteligible.verdict'));
  return p;
}

/** The words of a reason, from its code and what it lists. */
function reasonText(r, e) {
  switch (r.code) {
    case 'no_members':
      return t('energy.reason.no_members');
    case 'outside_zones':
      return tc('energy.reason.outside_zones', r.members?.length ?? 0);
    case 'several_zones':
      return tc('energy.reason.several_zones', r.zones?.length ?? 0);
    case 'plant_over_1mw':
      return tc('energy.reason.plant_over_1mw', r.members?.length ?? 0, { kw: num(e.rules?.max_plant_kw ?? 1000) });
    default:
      return r.message;
  }
}

/**
 * Renders an eligibility answer: the verdict, then each reason with the
 * members concerned; a member that is this site (siteID) is marked.
 */
export function renderEligibility(e, siteID) {
  const root = el('div', 'eligibility');
  root.dataset.eligible = String(e.eligible);
  if (siteID !== undefined && e.community?.name) root.append(el('p', 'layer-name', t('energy.its', { name: e.community.name })));
  root.append(verdict(e.eligible));
  const names = new Map((e.members ?? []).map((m) => [m.id, m]));
  const member = (mid) => {
    const m = names.get(mid);
    const li = el('li', mid === siteID ? 'this-site' : '', m ? m.name : t('energy.member', { id: mid }));
    if (m?.pv_kw > 0) li.append(el('span', 'hint', ` ${t('unit.kw', { n: num(m.pv_kw) })}`));
    if (mid === siteID) li.append(el('span', 'hint', ` ${t('energy.this')}`));
    return li;
  };
  if (e.eligible) {
    const z = e.zone;
    const n = (e.members ?? []).length;
    root.append(el('p', 'eligibility-detail', z
      ? tc('energy.eligible.zone', n, { code: z.code, name: z.name })
      : tc('energy.eligible.detail', n)));
  } else {
    const reasons = el('ul', 'reasons');
    for (const r of e.reasons ?? []) {
      const li = el('li');
      li.dataset.reason = r.code;
      li.append(el('span', 'reason-message', reasonText(r, e)));
      if (r.code === 'several_zones' && r.zones?.length) {
        const zones = el('ul', 'reason-zones');
        for (const z of r.zones) {
          const zl = el('li', '', z.name ? t('energy.zone.named', { code: z.code, name: z.name }) : t('energy.zone.code', { code: z.code }));
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
    d.append(el('summary', '', t('energy.rules')));
    const ul = el('ul', 'rule-sources');
    ul.append(el('li', '', t('energy.rules.zone')));
    if (e.rules.max_plant_kw) ul.append(el('li', '', t('energy.rules.kw', { kw: num(e.rules.max_plant_kw) })));
    for (const s of e.rules.sources) ul.append(el('li', 'rule-source', s));
    d.append(ul);
    root.append(d);
  }
  return root;
}

function failed(root, err) {
  root.append(el('p', 'problem', t('energy.failed', { error: err.message })));
  return root;
}
