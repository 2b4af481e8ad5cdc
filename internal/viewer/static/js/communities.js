// Renewable energy communities for the people who run them: the
// communities of a comune, a community's details as a form (its name,
// status, referent and comuni: the members /energy/communities takes,
// typed by the energy-communities collection's schema), its member sites,
// and its eligibility, asked again after every change — a site added,
// moved or removed, the community changed. Member sites are features of
// the energy-sites layer and are drawn and edited with the same editor as
// every layer (editor.js), their community and comune filled in.

import { badge, button, el } from './dom.js';
import { num, t } from './i18n.js';
import { kindColors, kindLabel, statusLabel } from './energy.js';
import { renderEligibility } from './eligibility.js';
import { networkProblem, outcomeArea, problemView } from './problems.js';
import { buildForm, fieldsFrom, loadSchema, same } from './schemaform.js';
import { compare, conflictBox, propertyRows } from './conflict.js';
import { propertyLabel, propertyValue } from './properties.js';

const layerID = 'energy-communities';
const sitesLayer = 'energy-sites';
/** What POST and PATCH /energy/communities take besides comuni, and what a new one needs. */
const members = ['name', 'status', 'referent'];
const required = ['name', 'status'];
/** Whether two lists of comuni name the same comuni. */
const sameComuni = (a, b) => [...(a ?? [])].sort().join() === [...(b ?? [])].sort().join();

/**
 * Returns the communities' views over the sheet. deps: session, editor
 * (editor.js), collections, comuni() -> [{value, label}] the token may
 * choose, comuneName(istat), refresh(ids).
 */
export function createCommunities({ sheet, session, editor, collections, comuni, comuneName, refresh }) {
  const url = (id) => `/energy/communities${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
  const writable = (c) => c.comuni.every((code) => session.may('write', code));

  /** The comuni boxes of a community form. */
  function comuniBoxes(chosen) {
    const set = el('fieldset', 'field community-comuni');
    set.dataset.field = 'comuni';
    set.append(el('legend', '', t('prop.comuni')));
    const offered = comuni();
    for (const code of chosen) {
      if (!offered.some((o) => o.value === code)) offered.push({ value: code, label: comuneName(code) || code });
    }
    for (const o of offered) {
      const label = el('label', 'community-comune');
      const box = el('input');
      box.type = 'checkbox';
      box.value = o.value;
      box.checked = chosen.includes(o.value);
      label.append(box, ' ', o.label);
      set.append(label);
    }
    return {
      node: set,
      read: () => [...set.querySelectorAll('input:checked')].map((b) => b.value),
      disable: (on) => set.querySelectorAll('input').forEach((b) => { b.disabled = on; }),
    };
  }

  /** The list of the communities that list comune istat. */
  function list(istat) {
    return sheet.open({
      name: 'communities',
      title: t('cer.list.title', { comune: comuneName(istat) || istat }),
      loading: t('cer.loading'),
      failure: t('cer.read.failed'),
      focus: true,
      load: async (signal) => {
        const res = await session.send(`${url()}?comune=${encodeURIComponent(istat)}`, { signal });
        if (!res.ok) return [problemView(res, t('cer.read.failed'))];
        const root = el('div', 'communities');
        const ul = el('ul', 'community-list');
        for (const c of res.data.communities ?? []) {
          const li = el('li');
          li.dataset.community = String(c.id);
          const b = button('link-button community-open', c.name, () => open(c.id, istat));
          li.append(b, ' ', badge(statusLabel(c.status), '#52606d'), ' ',
            el('span', `verdict-word ${c.eligible ? 'eligible' : 'not-eligible'}`, t(c.eligible ? 'energy.eligible.verdict' : 'energy.noteligible.verdict')));
          ul.append(li);
        }
        if (!ul.children.length) root.append(el('p', 'hint', t('cer.list.none')));
        root.append(ul);
        if (session.may('write', istat)) root.append(button('button primary community-new', t('cer.new'), () => create(istat)));
        return [root];
      },
    });
  }

  /** A new community of comune istat. */
  function create(istat) {
    return sheet.open({
      name: 'community',
      title: t('cer.new.title'),
      loading: t('cer.loading'),
      failure: t('cer.read.failed'),
      focus: true,
      load: async () => {
        const schema = await loadSchema(`/collections/${layerID}/schema`);
        const form = buildForm(fieldsFrom(schema, members, required), { layerID, values: { status: 'proposed' } });
        const boxes = comuniBoxes([istat]);
        const { node: outcome, say } = outcomeArea();
        const save = button('button primary community-save', t('edit.save'), async () => {
          if (!form.check()) return;
          const v = form.read();
          const body = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null));
          body.comuni = boxes.read();
          let res;
          try {
            res = await session.send(url(), { method: 'POST', body });
          } catch (err) {
            say(networkProblem(t('edit.save.failed'), err));
            return;
          }
          if (!res.ok) {
            say(problemView(res, t('edit.save.failed'), layerID));
            return;
          }
          refresh([layerID]);
          open(res.data.community.id, istat, t('cer.created', { name: res.data.community.name }));
        });
        const root = el('div', 'community-editor');
        root.append(form.node, boxes.node, el('div', 'edit-actions'), outcome);
        root.querySelector('.edit-actions').append(save, button('button', t('tools.cancel'), () => list(istat)));
        return [root];
      },
    });
  }

  /**
   * A community: its form, its eligibility and its member sites. note: a
   * line to show first; draft: {values, clash} after a 412, the person's
   * changes kept over the current version and the fields both changed.
   */
  function open(id, istat, note = '', draft = null) {
    return sheet.open({
      name: 'community',
      title: t('cer.loading.title'),
      loading: t('cer.loading'),
      failure: t('cer.read.failed'),
      focus: true,
      load: async (signal) => {
        const [res, elig, schema] = await Promise.all([
          session.send(url(id), { signal }),
          session.send(`${url(id)}/eligibility`, { signal }),
          loadSchema(`/collections/${layerID}/schema`),
        ]);
        if (!res.ok) return [problemView(res, t('cer.read.failed'))];
        const c = res.data.community;
        let etag = res.etag;
        sheet.panel.querySelector('#stats-title').textContent = t('cer.title', { name: c.name });
        const mine = writable(c);
        const root = el('div', 'community-editor');
        root.dataset.community = String(c.id);
        const { node: outcome, say } = outcomeArea();
        if (note) outcome.append(el('p', 'edit-saved', note));
        if (draft) outcome.append(el('p', 'note edit-reloaded', t('edit.conflict.reloaded')));

        const eligibility = el('section', 'community-eligibility');
        eligibility.append(el('h3', '', t('cer.eligibility')));
        eligibility.append(elig.ok ? renderEligibility(elig.data) : problemView(elig, t('energy.failed', { error: String(elig.status) })));

        const form = buildForm(fieldsFrom(schema, members, required), { layerID, values: { ...c, ...draft?.values } });
        const boxes = comuniBoxes(draft?.values.comuni ?? c.comuni);
        form.mark(draft?.clash ?? []);
        form.disable(!mine);
        boxes.disable(!mine);
        const details = el('section', 'community-details');
        details.append(el('h3', '', t('cer.details')), form.node, boxes.node);
        if (mine) {
          const save = button('button primary community-save', t('edit.save'), async () => {
            if (!form.check()) return;
            const v = form.read();
            const body = Object.fromEntries(form.changed(c).map((k) => [k, v[k]]));
            const chosen = boxes.read();
            if (!sameComuni(chosen, c.comuni)) body.comuni = chosen;
            if (Object.keys(body).length === 0) {
              say(el('p', 'hint', t('edit.nothing')));
              return;
            }
            let r;
            try {
              r = await session.send(url(id), { method: 'PATCH', type: 'application/merge-patch+json', ifMatch: etag, body });
            } catch (err) {
              say(networkProblem(t('edit.save.failed'), err));
              return;
            }
            if (r.status === 412) {
              await conflict(c, { ...v, comuni: chosen }, Object.keys(body));
              return;
            }
            if (!r.ok) {
              say(problemView(r, t('edit.save.failed'), layerID));
              return;
            }
            etag = r.etag;
            refresh([layerID]);
            open(id, istat, t('edit.saved', { name: r.data.community.name }));
          });
          details.append(save);
        } else {
          details.append(el('p', 'hint', t('cer.readonly')));
        }

        /** 412: what changed in the service and what the person changed, and a reload that keeps the latter. */
        async function conflict(base, mine, ours) {
          const now = await session.send(url(id));
          if (!now.ok) {
            say(problemView(now, t('cer.read.failed'), layerID));
            return;
          }
          const current = now.data.community;
          const names = [...members, 'comuni'];
          const equal = (k, a, b) => (k === 'comuni' ? sameComuni(a, b) : same(a, b));
          const { theirs, clash } = compare(names, { base, current, ours, equal });
          const rows = propertyRows(names, {
            base, current, mine, theirs, ours,
            label: (k) => propertyLabel(layerID, k),
            show: (k, x) => (k === 'comuni' ? (x ?? []).map((code) => comuneName(code) || code).join(', ') : propertyValue(layerID, k, x)),
          });
          say(conflictBox({
            title: t('cer.conflict'), rows, clash: clash.length > 0,
            onReload: () => open(id, istat, '', {
              values: Object.fromEntries(ours.filter((k) => !theirs.includes(k)).map((k) => [k, mine[k]])), clash,
            }),
          }));
        }

        const sites = el('section', 'community-sites');
        sites.append(el('h3', '', t('cer.sites', { n: c.members?.length ?? 0 })));
        const ul = el('ul', 'community-site-list');
        const back = (message) => () => open(id, istat, message);
        for (const m of c.members ?? []) {
          const li = el('li');
          li.dataset.site = String(m.id);
          li.append(badge(kindLabel(m.kind), kindColors[m.kind] ?? '#52606d'), ' ', m.name);
          if (m.pv_kw > 0) li.append(el('span', 'hint', ` ${t('unit.kw', { n: num(m.pv_kw) })}`));
          li.append(' ', el('span', 'hint', m.zone_code ?? t('energy.site.outside')));
          if (session.may('write', m.istat_code) && collections.has(sitesLayer)) {
            li.append(' ', button('link-button site-edit', t('cer.site.edit'), () => editor.edit(sitesLayer, m.id, {
              onDone: (f) => back(f ? t('cer.site.saved', { name: f.properties?.name ?? m.name }) : t('cer.site.deleted', { name: m.name }))(),
            })));
          }
          ul.append(li);
        }
        sites.append(ul);
        const siteComune = c.comuni.find((code) => session.may('write', code));
        if (siteComune && collections.has(sitesLayer)) {
          sites.append(button('button primary site-add', t('cer.site.add'), () => editor.create(sitesLayer, {
            preset: { community_id: c.id, istat_code: siteComune },
            onDone: (f) => back(t('cer.site.saved', { name: f?.properties?.name ?? '' }))(),
          })));
        }
        if (mine && (c.members ?? []).length === 0) {
          sites.append(button('button danger community-delete', t('cer.delete'), () => {
            // Asked once more: a community deleted is gone with its history.
            const confirm = button('button danger community-delete-confirm', t('edit.delete.confirm', { name: c.name }), async () => {
              let r;
              try {
                r = await session.send(url(id), { method: 'DELETE', ifMatch: etag });
              } catch (err) {
                say(networkProblem(t('edit.delete.failed'), err));
                return;
              }
              if (!r.ok) {
                say(problemView(r, t('edit.delete.failed'), layerID));
                return;
              }
              refresh([layerID]);
              list(istat);
            });
            const box = el('div', 'edit-confirm');
            box.append(el('p', '', t('edit.delete.question', { name: c.name })), confirm, button('button', t('edit.delete.keep'), () => say()));
            say(box);
            confirm.focus();
          }));
        }
        const actions = el('div', 'edit-actions');
        actions.append(button('button', t('cer.back'), () => list(istat)));
        root.append(outcome, eligibility, sites, details, actions);
        return [root];
      },
    });
  }

  return { list, open, create };
}

