// Editing in the browser, for the people who own the data: a section of
// the layer panel to sign in with a token (session.js) and see what it may
// do — its role, its comuni, the actions of its role — and the ways in:
// the comune's civil-protection plan (planpanel.js), its crisis unit
// (crisisunit.js), its energy communities (communities.js), and a new
// feature of each layer the token may add to (the service's OPTIONS says
// which). Stored features are edited from their popups («Modifica»). The
// editing screens use the sheet beside the map (a bottom sheet on phones).
//
// While an editor is open the map's clicks belong to it: popups and the
// map tools wait. After a change the tiles of the layers of the same theme
// are asked again (the service's data version changed; the tile addresses
// get a new query so that no cached tile is shown).
//
// window.atlanteEditing exposes the screens, for tests and the console.

import { collectionKey } from './catalog.js';
import { button, el } from './dom.js';
import { createCommunities } from './communities.js';
import { createCrisisUnit } from './crisisunit.js';
import { createEditor } from './editor.js';
import { t } from './i18n.js';
import { createPlanPanel } from './planpanel.js';
import { problemView } from './problems.js';
import { phoneQuery } from './panel.js';
import { layerTitle } from './properties.js';
import { loadSchema, writableFields } from './schemaform.js';
import { createSession } from './session.js';
import { styleOf } from './styles.js';

/** Views of the sheet that belong to a signed-in token: they go when it signs out. */
const privateViews = new Set(['edit', 'plan', 'crisis', 'community', 'communities']);

/**
 * Wires editing. deps: map, panel (panel.js), sheet (sheet.js),
 * collections (id -> collection), popups (popup.js), layerList (panel.js),
 * tools (tools.js), comuneNames (ISTAT -> name, filled as the labels load).
 * Returns {busy(), actions(collectionID, feature)}: actions gives the
 * buttons a feature's popup offers to the signed-in token.
 */
export function enableEditing({ map, panel, sheet, collections, popups, layerList, tools, comuneNames }) {
  const session = createSession();
  const comuneName = (code) => comuneNames.get(code) ?? '';
  const comuneChoice = (code) => ({ value: code, label: comuneName(code) ? t('account.comune', { name: comuneName(code), code }) : code });
  let editable = new Set(); // collections whose features this token may write (OPTIONS)
  let comune = null; // the comune chosen in the panel

  /** The comuni the token may choose: its own, or every comune for admin. */
  const comuni = () => {
    const own = session.comuni();
    const codes = own ?? [...comuneNames.keys()].sort((a, b) => comuneName(a).localeCompare(comuneName(b), 'it'));
    return codes.map(comuneChoice);
  };

  // Tiles after a change: the layers of the edited one's theme (a site
  // changes its community's footprint and its zone's counts).
  const originalTiles = new Map();
  let generation = 0;
  const refresh = (ids) => {
    const themes = new Set(ids.map((id) => collections.get(id)).filter(Boolean).map((c) => styleOf(c, 0).theme));
    generation++;
    for (const c of collections.values()) {
      if (!ids.includes(c.id) && !themes.has(styleOf(c, 0).theme)) continue;
      const src = map.getSource(c.id);
      if (!src?.setTiles) continue;
      if (!originalTiles.has(c.id)) originalTiles.set(c.id, map.getStyle().sources[c.id].tiles);
      src.setTiles(originalTiles.get(c.id).map((u) => `${u}${u.includes('?') ? '&' : '?'}edit=${generation}`));
    }
  };

  /** Hides a stored feature from its layer while its copy is edited; returns what shows it again. */
  const hide = (collectionID, id) => {
    const not = ['!=', ['to-string', ['id']], String(id)];
    const saved = map.getStyle().layers
      .filter((l) => l.metadata?.[collectionKey] === collectionID && l.source === collectionID)
      .map((l) => [l.id, map.getFilter(l.id)]);
    for (const [lid, f] of saved) map.setFilter(lid, f ? ['all', f, not] : not);
    return () => {
      for (const [lid, f] of saved) if (map.getLayer(lid)) map.setFilter(lid, f ?? null);
    };
  };

  /** Choices of the properties that name another thing: the comune, the community. */
  const choices = async (c) => {
    const schema = await loadSchema(`/collections/${encodeURIComponent(c.id)}/schema`);
    const names = writableFields(schema).map((f) => f.name);
    const out = {};
    if (names.includes('istat_code')) out.istat_code = comuni();
    if (names.includes('community_id')) {
      const res = await session.send('/energy/communities');
      const mine = session.comuni();
      out.community_id = (res.ok ? res.data.communities : [])
        .filter((x) => mine === null || x.comuni.some((code) => mine.includes(code)))
        .map((x) => ({ value: x.id, label: x.name }));
    }
    return out;
  };

  const setActive = (on) => {
    if (on) {
      popups.close();
      tools.stop();
    }
    tools.enable(!on);
  };

  const editor = createEditor({
    map, sheet, session, collections, choices, comuneName, refresh, hide,
    planOf: (id) => styleOf(collections.get(id) ?? { id }, 0).theme === 'civilprotection',
    show: (id) => layerList.show(id),
    active: setActive,
  });
  const plan = createPlanPanel({ sheet, session, comuneName, refresh });
  const crisis = createCrisisUnit({ sheet, session, comuneName });
  const communities = createCommunities({ sheet, session, editor, collections, comuni, comuneName, refresh });

  // The panel's section.
  const root = el('div', 'account');
  panel.addSection('edit', t('account.title'), root);

  const signInForm = () => {
    const form = el('form', 'signin');
    form.noValidate = true;
    const id = 'signin-token';
    const label = el('label', '', t('account.token'));
    label.htmlFor = id;
    const input = el('input');
    input.id = id;
    input.type = 'password';
    input.autocomplete = 'off';
    input.spellcheck = false;
    input.required = true;
    const problem = el('div', 'signin-problem');
    const submit = el('button', 'button primary signin-submit', t('account.signin'));
    submit.type = 'submit';
    form.append(el('p', 'hint', t('account.intro')), label, input, submit, problem);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      problem.replaceChildren();
      if (!input.value.trim()) {
        problem.append(el('p', 'problem', t('account.token.missing')));
        input.focus();
        return;
      }
      submit.disabled = true;
      try {
        const res = await session.signIn(input.value);
        if (!res.ok) problem.append(problemView(res, t('account.refused')));
      } catch (err) {
        problem.append(el('p', 'problem', t('problem.network', { error: err.message })));
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  };

  const signedIn = async (who) => {
    const box = el('div', 'account-who');
    const name = el('p', 'account-name');
    name.append(el('strong', '', who.name), ' · ', el('span', 'account-role', t(`role.${who.role}`)));
    box.append(name);
    box.append(el('p', 'account-comuni', who.all_comuni
      ? t('account.comuni.all')
      : t('account.comuni', { list: who.comuni.map((c) => comuneChoice(c).label).join(', ') })));
    const may = el('ul', 'account-may');
    for (const a of who.actions) {
      const li = el('li', '', t(`account.may.${a}`));
      li.dataset.action = a;
      may.append(li);
    }
    box.append(may);

    const choicesList = comuni();
    if (!choicesList.some((c) => c.value === comune)) comune = choicesList[0]?.value ?? null;
    const pick = el('p', 'account-comune');
    const sel = el('select');
    sel.id = 'edit-comune';
    for (const c of choicesList) {
      const o = el('option', '', c.label);
      o.value = c.value;
      sel.append(o);
    }
    sel.value = comune ?? '';
    sel.addEventListener('change', () => { comune = sel.value; });
    const selLabel = el('label', '', t('account.comune.choose'));
    selLabel.htmlFor = sel.id;
    pick.append(selLabel, sel);

    // On a phone the drawer gives way to the sheet.
    const go = (f) => () => {
      if (window.matchMedia(phoneQuery).matches) panel.setOpen(false);
      f();
    };
    const open = el('div', 'account-open');
    open.append(button('button account-plan', t('account.plan'), go(() => plan.show(comune))));
    if (session.may('read-private')) open.append(button('button account-crisis', t('account.crisis'), go(() => crisis.show(comune))));
    if (collections.has('energy-communities')) open.append(button('button account-communities', t('account.communities'), go(() => communities.list(comune))));

    const create = el('div', 'account-create');
    if (editable.size) {
      create.append(el('p', 'account-create-title', t('account.create')));
      for (const c of collections.values()) {
        if (!editable.has(c.id)) continue;
        const b = button('button account-new', layerTitle(c), go(() => editor.create(c.id, { preset: { istat_code: comune } })));
        b.dataset.create = c.id;
        create.append(b);
      }
      create.append(el('p', 'hint', t('account.edit.hint')));
    }
    const out = button('button account-signout', t('account.signout'), () => session.signOut());
    root.replaceChildren(box, pick, open, create, out);
  };

  session.onChange(async (who) => {
    if (!who) {
      editable = new Set();
      if (privateViews.has(sheet.panel.dataset.view) && !sheet.panel.hidden) sheet.close();
      root.replaceChildren(signInForm());
      return;
    }
    // Which layers this token may write, as the service says (OPTIONS).
    const ids = [...collections.keys()];
    const allows = await Promise.all(ids.map((id) => session.allowed(`/collections/${encodeURIComponent(id)}/items`)));
    editable = new Set(ids.filter((_, i) => allows[i].includes('POST')));
    await signedIn(who);
  });
  root.replaceChildren(signInForm());
  session.restore();

  const api = {
    session, editor, plan, crisis, communities,
    comune: () => comune,
    busy: () => editor.busy(),
    /** Buttons under a feature's popup for the signed-in token. */
    actions(collectionID, feature) {
      if (!session.signedIn()) return null;
      const p = feature.properties ?? {};
      const id = feature.id ?? p.id;
      const box = el('div', 'popup-actions');
      if (editable.has(collectionID) && id !== undefined && (typeof p.istat_code !== 'string' || session.may('write', p.istat_code))) {
        box.append(button('button edit-open', t('edit.open'), () => editor.edit(collectionID, id)));
      }
      if (collectionID === 'plan-status' && typeof p.istat_code === 'string') {
        box.append(button('button plan-open', t('account.plan'), () => {
          popups.close();
          plan.show(p.istat_code);
        }));
      }
      if (collectionID === 'energy-communities' && id !== undefined) {
        box.append(button('button community-open', t('cer.open'), () => {
          popups.close();
          communities.open(id, comune);
        }));
      }
      return box.children.length ? box : null;
    },
  };
  window.atlanteEditing = api;
  return api;
}
