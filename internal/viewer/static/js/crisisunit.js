// A comune's local crisis unit (UCL) in the sheet: a table of its members
// (role, name, phone, e-mail). Personal data: it is read with the token
// only, the service answers Cache-Control: no-store and the request asks
// the browser to keep nothing (session.js); the members live in the
// table's cells while the view is open and nowhere else — no variable of
// this module keeps them, and the sheet empties its body when the view
// goes. Tokens that may write (editor, admin) add, change and remove
// members, with a form generated from the member's schema
// (/civil-protection/crisis-unit/schema) and If-Match on each member's
// ETag; the others see the table only. A frozen plan freezes its crisis
// unit too.

import { button, el } from './dom.js';
import { t } from './i18n.js';
import { frozenStatuses, planLabel } from './civilprotection.js';
import { networkProblem, outcomeArea, problemView } from './problems.js';
import { enumLabel, propertyLabel } from './properties.js';
import { buildForm, loadSchema, writableFields } from './schemaform.js';

/** The layer id under which messages.js names the members' fields (prop.crisis-unit.*). */
const layerID = 'crisis-unit';
const columns = ['role', 'name', 'phone', 'email'];

/** A member's field as the table shows it: the role by its name. */
function cellText(field, value) {
  if (value === null || value === undefined || value === '') return '—';
  return enumLabel(layerID, field, value) ?? String(value);
}

/** Returns the crisis-unit view over the sheet. */
export function createCrisisUnit({ sheet, session, comuneName }) {
  const unitURL = (istat) => `/civil-protection/plans/${encodeURIComponent(istat)}/crisis-unit`;

  async function view(istat, { force }, signal) {
    const [res, schema, plan] = await Promise.all([
      session.send(unitURL(istat), { signal }),
      loadSchema('/civil-protection/crisis-unit/schema'),
      session.send(`/civil-protection/plans/${encodeURIComponent(istat)}`, { signal }),
    ]);
    if (!res.ok) return [problemView(res, t('crisis.read.failed'), layerID)];
    const frozen = plan.ok && frozenStatuses.has(plan.data.status);
    const writer = !frozen && session.may('write', istat);
    const editable = writer || force;
    const fields = writableFields(schema);

    const root = el('div', 'crisis-unit');
    root.dataset.comune = istat;
    root.dataset.editable = String(writer);
    const { node: outcome, say } = outcomeArea();
    const formBox = el('div', 'crisis-form');
    root.append(el('p', 'note crisis-private', t('crisis.private')));
    if (!session.may('write', istat)) {
      root.append(el('p', 'hint crisis-readonly', t('crisis.readonly')));
    } else if (frozen) {
      const f = el('p', 'edit-frozen', t('edit.frozen', { comune: comuneName(istat) || istat, status: planLabel(plan.data.status) }));
      f.setAttribute('role', 'note');
      root.append(f);
    }

    const table = el('table', 'crisis-table stacked');
    const head = table.createTHead().insertRow();
    for (const k of columns) {
      const th = el('th', '', propertyLabel(layerID, k));
      th.scope = 'col';
      head.append(th);
    }
    if (editable) head.append(el('th', 'visually-hidden', t('crisis.actions')));
    const body = table.createTBody();
    const members = res.data.members ?? [];
    if (members.length === 0) {
      const td = body.insertRow().insertCell();
      td.colSpan = columns.length + 1;
      td.textContent = t('crisis.empty');
    }
    for (const m of members) {
      const tr = body.insertRow();
      tr.dataset.member = String(m.id);
      for (const k of columns) {
        const td = tr.insertCell();
        td.dataset.label = propertyLabel(layerID, k);
        td.dataset.field = k;
        td.textContent = cellText(k, m[k]);
      }
      if (editable) {
        const td = tr.insertCell();
        td.append(
          button('link-button crisis-edit', t('crisis.edit'), () => memberForm(m.id)),
          button('link-button crisis-remove', t('crisis.remove'), () => askRemove(m.id, m.name)),
        );
      }
    }
    root.append(table);
    if (editable) root.append(button('button primary crisis-add', t('crisis.add'), () => memberForm(null)));
    root.append(formBox, outcome);

    const reload = () => show(istat, { force });

    /** The form of a member (id null: a new one), read fresh with its ETag. */
    async function memberForm(id) {
      say();
      let etag = null;
      let values = {};
      if (id !== null) {
        const r = await session.send(`${unitURL(istat)}/${id}`);
        if (!r.ok) {
          say(problemView(r, t('crisis.read.failed'), layerID));
          return;
        }
        etag = r.etag;
        values = r.data;
      }
      const form = buildForm(fields, { layerID, values });
      const save = button('button primary crisis-save', t('edit.save'), async () => {
        if (!form.check()) return;
        const v = form.read();
        let r;
        try {
          r = id === null
            ? await session.send(unitURL(istat), { method: 'POST', body: v })
            : await session.send(`${unitURL(istat)}/${id}`, {
              method: 'PATCH', type: 'application/merge-patch+json', ifMatch: etag,
              body: Object.fromEntries(form.changed(values).map((k) => [k, v[k]])),
            });
        } catch (err) {
          say(networkProblem(t('edit.save.failed'), err));
          return;
        }
        if (r.status === 412) {
          say(conflictBox());
          return;
        }
        if (!r.ok) {
          say(problemView(r, t('edit.save.failed'), layerID));
          return;
        }
        await reload();
      });
      const cancel = button('button', t('tools.cancel'), () => formBox.replaceChildren());
      const box = el('div', 'crisis-member-form');
      box.append(el('h3', '', id === null ? t('crisis.add') : t('crisis.edit.title')), form.node, save, cancel);
      formBox.replaceChildren(box);
      form.focus();
    }

    function askRemove(id, name) {
      const yes = button('button danger crisis-remove-confirm', t('crisis.remove.confirm', { name }), async () => {
        const r0 = await session.send(`${unitURL(istat)}/${id}`);
        if (!r0.ok) {
          say(problemView(r0, t('crisis.read.failed'), layerID));
          return;
        }
        const r = await session.send(`${unitURL(istat)}/${id}`, { method: 'DELETE', ifMatch: r0.etag });
        if (!r.ok) {
          say(r.status === 412 ? conflictBox() : problemView(r, t('edit.delete.failed'), layerID));
          return;
        }
        await reload();
      });
      const box = el('div', 'edit-confirm');
      box.append(el('p', '', t('edit.delete.question', { name })), yes, button('button', t('edit.delete.keep'), () => say()));
      say(box);
      yes.focus();
    }

    function conflictBox() {
      const box = el('div', 'edit-conflict');
      box.setAttribute('role', 'alert');
      box.append(el('strong', '', t('edit.conflict.title')), el('p', '', t('crisis.conflict')),
        button('button primary edit-reload', t('edit.conflict.reload'), () => reload()));
      return box;
    }

    return [root];
  }

  /** Shows the crisis unit of comune istat; force offers the forms even to a token that may not write. */
  function show(istat, { force = false } = {}) {
    return sheet.open({
      name: 'crisis',
      title: t('crisis.title', { comune: comuneName(istat) || istat }),
      loading: t('crisis.loading'),
      failure: t('crisis.read.failed'),
      focus: true,
      load: (signal) => view(istat, { force }, signal),
    });
  }

  return { show };
}
