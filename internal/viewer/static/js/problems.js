// The service's refusals in words for people: an RFC 9457 problem becomes
// a box with what happened in the page's language (by status: 403 the
// token may not, 409 the plan is frozen or the state forbids it, 422 the
// data is not acceptable, ...), the service's own detail (in English, as
// the service writes it) under it, and one line per field it names.

import { el } from './dom.js';
import { t } from './i18n.js';
import { propertyLabel } from './properties.js';

const explained = new Set([400, 401, 403, 404, 409, 412, 413, 422, 429, 503]);

/**
 * A box for a refused request. res: an answer of session.send (status and
 * problem); heading: what failed ("Il salvataggio non è riuscito");
 * layerID names the fields.
 */
export function problemView(res, heading, layerID = '') {
  const box = el('div', 'problem edit-problem');
  box.setAttribute('role', 'alert');
  box.dataset.status = String(res.status);
  box.append(el('strong', '', heading));
  const status = res.status;
  box.append(el('p', 'problem-why', explained.has(status) ? t(`problem.status.${status}`) : t('problem.status.other', { status: String(status) })));
  const p = res.problem ?? {};
  if (p.detail) {
    const d = el('p', 'problem-detail');
    d.lang = 'en';
    d.append(t('problem.detail', { detail: p.detail }));
    box.append(d);
  }
  if (Array.isArray(p.errors) && p.errors.length) {
    const ul = el('ul', 'problem-fields');
    for (const f of p.errors) {
      const li = el('li', '', t('problem.field', { field: propertyLabel(layerID, f.field ?? ''), reason: f.reason ?? '' }));
      li.dataset.field = f.field ?? '';
      ul.append(li);
    }
    box.append(ul);
  }
  return box;
}

/** A box for a request that got no answer (the network, the service down). */
export function networkProblem(heading, err) {
  const box = el('div', 'problem edit-problem');
  box.setAttribute('role', 'alert');
  box.append(el('strong', '', heading), el('p', 'problem-why', t('problem.network', { error: err?.message ?? String(err) })));
  return box;
}

/**
 * The place under a form where the outcome of a request is said: a live
 * region, scrolled into sight when it says something. Returns {node, say(...nodes)}.
 */
export function outcomeArea() {
  const node = el('div', 'edit-outcome');
  node.setAttribute('aria-live', 'polite');
  const say = (...nodes) => {
    node.replaceChildren(...nodes);
    if (nodes.length) node.scrollIntoView({ block: 'nearest' });
  };
  return { node, say };
}
