// What a 412 shows: someone else saved a change since the person opened
// the thing, so their save was refused. A table names, field by field,
// the value when it was opened, the value now in the service and the
// person's own change; a note says where both changed the same field; a
// button reloads the current version (the caller keeps the person's
// changes that do not clash). Shared by the features' editor and the
// energy communities, so that both read alike.

import { button, el } from './dom.js';
import { t } from './i18n.js';
import { same } from './schemaform.js';

/**
 * Which of names someone else changed (theirs: current differs from
 * base) and which the person changed (ours, given), and where both did.
 * equal(k, a, b) compares values of k (same() unless given).
 */
export function compare(names, { base, current, ours, equal = (k, a, b) => same(a, b) }) {
  const theirs = names.filter((k) => !equal(k, current[k], base[k]));
  return { theirs, ours, clash: ours.filter((k) => theirs.includes(k)) };
}

/**
 * The conflict's box. rows: [{key, label, was, now, yours, by}] where
 * by is 'them', 'you' or 'both' and now/yours are null when unchanged;
 * title: its first line; clash: whether both changed something;
 * onReload() after the reload button.
 */
export function conflictBox({ title, rows, clash, onReload }) {
  const box = el('div', 'edit-conflict');
  box.setAttribute('role', 'alert');
  box.append(el('strong', '', title), el('p', '', t('edit.conflict.text')));
  const table = el('table', 'edit-diff');
  const head = table.createTHead().insertRow();
  for (const h of [t('edit.conflict.field'), t('edit.conflict.was'), t('edit.conflict.now'), t('edit.conflict.yours')]) {
    const th = el('th', '', h);
    th.scope = 'col';
    head.append(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.dataset.property = r.key;
    tr.dataset.changedBy = r.by;
    const th = el('th', '', r.label);
    th.scope = 'row';
    tr.append(th);
    tr.insertCell().textContent = r.was;
    tr.insertCell().textContent = r.now ?? t('edit.conflict.same');
    tr.insertCell().textContent = r.yours ?? t('edit.conflict.same');
  }
  box.append(table);
  if (clash) box.append(el('p', 'note', t('edit.conflict.clash')));
  box.append(button('button primary edit-reload', t('edit.conflict.reload'), onReload));
  return box;
}

/**
 * The rows of the properties that changed, in the order of names:
 * label(k) names a property, show(k, v) a value.
 */
export function propertyRows(names, { base, current, mine, theirs, ours, label, show }) {
  return names.filter((k) => theirs.includes(k) || ours.includes(k)).map((k) => ({
    key: k,
    label: label(k),
    by: theirs.includes(k) && ours.includes(k) ? 'both' : theirs.includes(k) ? 'them' : 'you',
    was: show(k, base[k]),
    now: theirs.includes(k) ? show(k, current[k]) : null,
    yours: ours.includes(k) ? show(k, mine[k]) : null,
  }));
}
