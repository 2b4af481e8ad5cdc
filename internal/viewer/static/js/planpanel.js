// A comune's civil-protection plan in the sheet, for the people who own
// it: its status and version, since when, what it holds, its history (with
// who and why, for the tokens that may read the comune's private data),
// whether it is frozen, and the transitions this token may take now.
//
// Which transitions the status allows follows the lifecycle the service
// enforces (draft or returned → submit; submitted → validate or return;
// validated → reopen); which of them the token may take, the service says:
// OPTIONS on each transition's URL lists POST only for a token allowed to
// (RFC 9110 §9.3.7). Returning a plan needs a reason; the others take one
// if given.

import { badge, button, dateElement, el, row } from './dom.js';
import { num, t, tx } from './i18n.js';
import { frozenStatuses, planColors, planLabel } from './civilprotection.js';
import { networkProblem, problemView } from './problems.js';

/** The transitions each status allows, in the order they are offered. */
const nextSteps = {
  draft: ['submit'],
  returned: ['submit'],
  submitted: ['validate', 'return'],
  validated: ['reopen'],
};

/** Transitions whose reason the service requires. */
const needsReason = new Set(['return']);

/**
 * Returns the plan view over the sheet. deps: session; comuneName(istat);
 * refresh(ids) reloads layers' tiles after a transition.
 */
export function createPlanPanel({ sheet, session, comuneName, refresh }) {
  const planURL = (istat) => `/civil-protection/plans/${encodeURIComponent(istat)}`;

  /** The transitions the status allows and the token may take, from OPTIONS. */
  async function allowedSteps(istat, status) {
    // Without a token OPTIONS lists what some token could do: nothing here.
    if (!session.signedIn()) return [];
    const steps = nextSteps[status] ?? [];
    const allowed = await Promise.all(steps.map(async (s) => (await session.allowed(`${planURL(istat)}/${s}`)).includes('POST')));
    return steps.filter((_, i) => allowed[i]);
  }

  function history(plan) {
    const list = el('ol', 'plan-history');
    for (const h of plan.history ?? []) {
      const li = el('li');
      li.dataset.to = h.to;
      li.append(...tx(h.role ? 'cp.plan.step.role' : 'cp.plan.step', {
        date: dateElement(h.at), version: h.version, from: h.from ? planLabel(h.from) : t('cp.plan.new'), to: planLabel(h.to),
        role: h.role ? t(`role.${h.role}`) : '',
      }));
      if (h.actor) li.append(el('span', 'plan-actor', t('plan.by', { actor: h.actor })));
      if (h.reason) li.append(el('q', 'plan-reason', h.reason));
      list.append(li);
    }
    return list;
  }

  async function render(istat, plan, root) {
    const name = plan.name || comuneName(istat) || istat;
    const head = el('p', 'best-offer plan-status-line');
    head.dataset.status = plan.status;
    head.append(badge(planLabel(plan.status), planColors[plan.status] ?? planColors.draft));
    if (plan.version) head.append(' ', t('plan.version', { version: plan.version }));
    const out = [head];
    const table = el('table', 'plan-facts');
    if (plan.status_since) row(table, t('prop.status_since'), dateElement(plan.status_since));
    if (plan.validated_at) {
      const v = el('span');
      v.append(...tx('plan.validated', { date: dateElement(plan.validated_at), version: plan.validated_version }));
      row(table, t('prop.validated_at'), v);
    }
    if (plan.counts) {
      row(table, t('cp.plan.scenarios'), num(plan.counts.scenarios));
      row(table, t('cp.plan.areas'), num(plan.counts.emergency_areas));
      row(table, t('cp.plan.buildings'), num(plan.counts.strategic_buildings));
    }
    if (table.rows.length) out.push(table);
    if (frozenStatuses.has(plan.status)) {
      const f = el('p', 'edit-frozen plan-frozen', t(`plan.frozen.${plan.status}`, { comune: name }));
      f.setAttribute('role', 'note');
      out.push(f);
    }
    if (plan.status === 'none') out.push(el('p', 'hint', t('plan.none')));

    const steps = await allowedSteps(istat, plan.status);
    const box = el('div', 'plan-steps');
    const result = el('div', 'plan-result');
    result.setAttribute('aria-live', 'polite');
    if (steps.length === 0) {
      if (plan.status !== 'none') box.append(el('p', 'hint plan-no-steps', session.signedIn() ? t('plan.steps.none') : t('plan.steps.signin')));
    } else {
      const id = `plan-reason-${istat}`;
      const label = el('label', '', t(steps.some((s) => needsReason.has(s)) ? 'plan.reason.return' : 'plan.reason'));
      label.htmlFor = id;
      const reason = el('textarea', 'plan-reason-input');
      reason.id = id;
      reason.rows = 2;
      reason.maxLength = 2000;
      const buttons = el('div', 'edit-actions');
      for (const s of steps) {
        const b = button(`button ${s === 'return' ? 'danger' : 'primary'} plan-do`, t(`plan.do.${s}`), async () => {
          const why = reason.value.trim();
          if (needsReason.has(s) && !why) {
            result.replaceChildren(el('p', 'problem', t('plan.reason.missing')));
            reason.focus();
            return;
          }
          for (const x of buttons.querySelectorAll('button')) x.disabled = true;
          result.replaceChildren(el('p', 'hint', t('plan.doing')));
          let res;
          try {
            res = await session.send(`${planURL(istat)}/${s}`, { method: 'POST', body: why ? { reason: why } : {} });
          } catch (err) {
            result.replaceChildren(networkProblem(t('plan.failed'), err));
            for (const x of buttons.querySelectorAll('button')) x.disabled = false;
            return;
          }
          if (!res.ok) {
            result.replaceChildren(problemView(res, t('plan.failed')));
            for (const x of buttons.querySelectorAll('button')) x.disabled = false;
            return;
          }
          refresh(['plan-status']);
          root.replaceChildren(...await render(istat, res.data, root));
          root.querySelector('.plan-result')?.replaceChildren(el('p', 'edit-saved', t('plan.done', { status: planLabel(res.data.status) })));
        });
        b.dataset.step = s;
        buttons.append(b);
      }
      box.append(label, reason, buttons);
    }
    out.push(box, result);
    if (plan.history?.length) {
      const d = el('details', 'stats-more plan-history-box');
      d.open = true;
      d.append(el('summary', '', t('cp.plan.history', { n: plan.history.length })), history(plan));
      out.push(d);
    }
    return out;
  }

  return {
    /** Shows the plan of comune istat. */
    show(istat) {
      return sheet.open({
        name: 'plan',
        title: t('plan.title', { comune: comuneName(istat) || istat }),
        loading: t('cp.plan.loading'),
        failure: t('plan.read.failed'),
        focus: true,
        load: async (signal) => {
          const res = await session.send(planURL(istat), { signal });
          if (!res.ok) return [problemView(res, t('plan.read.failed'))];
          const root = el('div', 'plan-panel');
          root.dataset.comune = istat;
          root.append(...await render(istat, res.data, root));
          return [root];
        },
      });
    },
  };
}
