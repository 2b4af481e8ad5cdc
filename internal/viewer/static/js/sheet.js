// The sheet: the panel beside the map (a bottom sheet on phones) where a
// module shows a view that needs more room than a popup: the statistics
// of an area or a comune, the exposure of a scenario, and the screens of
// other modules (the editing screens plug in here). One view at a time; a
// view replaced or closed is told (onLeave), so it can take its marks off
// the map.

import { el } from './dom.js';
import { t } from './i18n.js';

/**
 * Wires the sheet (an element holding a title, a body and a close
 * button). onClose is called when the person closes it. Returns
 * {open(view), close(), panel}.
 */
export function createSheet(panel, { onClose = () => {} } = {}) {
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
   * Shows a view. view: {title, loading, load(signal) => Promise<Node[]>,
   * failure, onLeave, focus, name}: load's nodes replace the loading text
   * (a newer view aborts signal); failure heads the problem shown if load
   * throws; onLeave is called when the view is replaced or the sheet
   * closed; focus moves the focus to the title; name marks the view
   * (data-view) for styles and tests.
   */
  const open = async (view) => {
    controller?.abort();
    leaveView();
    controller = new AbortController();
    const { signal } = controller;
    leave = view.onLeave ?? null;
    panel.hidden = false;
    panel.dataset.view = view.name ?? '';
    title.textContent = view.title;
    panel.setAttribute('aria-busy', 'true');
    body.replaceChildren(el('p', 'hint', view.loading ?? t('sheet.loading')));
    if (view.focus) title.focus({ preventScroll: true });
    try {
      const nodes = await view.load(signal);
      if (!signal.aborted) body.replaceChildren(...nodes);
    } catch (err) {
      if (err.name === 'AbortError' || signal.aborted) return;
      body.replaceChildren(problemBox(view.failure ?? t('sheet.failed'), err.message));
    } finally {
      if (!signal.aborted) panel.removeAttribute('aria-busy');
    }
  };

  return { open, close, panel };
}

/** A box stating a problem: a heading and the service's words. */
export function problemBox(heading, text) {
  const box = el('div', 'problem');
  box.setAttribute('role', 'alert');
  box.append(el('strong', '', heading), el('p', 'problem-detail', text));
  return box;
}
