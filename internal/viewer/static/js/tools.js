// The statistics tools, two toggle buttons in the bar: "Draw area" (draw a
// polygon, then see its statistics) and "Comune stats" (click a comune, or press
// Enter on the map for the one at its centre, to see its statistics). One
// tool at a time; while one is on, clicks on the map belong to it, not to
// popups, and a line above the map says what to do.

import { createDraw } from './draw.js';

/**
 * Wires the tools' buttons (elements with data-tool="draw" or "pick" in
 * group). stats is the statistics panel (stats.js), popups the popup
 * controller (popup.js), hint the element that explains the tool.
 * Returns {busy()}: whether a tool has the map's clicks.
 */
export function enableTools(map, { group, stats, popups, hint }) {
  let mode = null; // 'draw' | 'pick' | null
  const say = (text) => {
    hint.textContent = text;
    hint.hidden = !text;
  };
  const drawHelp = 'Click to add corners (or, on the focused map, Space for its centre); '
    + 'double-click or Enter to finish; Backspace undoes a corner; Esc cancels.';

  const draw = createDraw(map, {
    onFinish: (polygon) => stats.showPolygon(polygon),
    onEnd: () => setMode(null),
    onChange: (n, problem) => say(problem ?? (n < 3 ? `${drawHelp} (${n} of at least 3 corners)` : drawHelp)),
  });

  const buttons = {};
  for (const b of group.querySelectorAll('[data-tool]')) {
    const name = b.dataset.tool;
    buttons[name] = b;
    b.addEventListener('click', () => setMode(mode === name ? null : name));
  }

  function setMode(next) {
    if (next === mode) return;
    const prev = mode;
    mode = next;
    if (prev === 'draw') draw.cancel(); // no-op once finished
    for (const [name, b] of Object.entries(buttons)) b.setAttribute('aria-pressed', String(name === mode));
    map.getContainer().classList.toggle('tool-active', mode !== null);
    if (mode) popups.close();
    if (mode === 'draw') {
      draw.clear();
      draw.start();
    } else if (mode === 'pick') {
      say('Click a comune (or press Enter on the map for the one at its centre) to see its statistics; Esc cancels.');
    } else {
      say('');
    }
  }

  // Pick mode: the comune under the click, from any drawn feature that has
  // an ISTAT code and a name (the comuni, their labels, the choropleth).
  const pick = (point) => {
    const f = map.queryRenderedFeatures(point).find((f) =>
      typeof f.properties.istat_code === 'string' && typeof f.properties.name === 'string');
    if (!f) {
      say('No comune there. Click inside a comune, or press Esc.');
      return;
    }
    stats.showComune(f.properties.istat_code, f.properties.name);
    // After the other click handlers (the popups') have seen the tool busy.
    setTimeout(() => setMode(null), 0);
  };
  map.on('click', (e) => {
    if (mode === 'pick') pick(e.point);
  });
  document.addEventListener('keydown', (e) => {
    if (mode !== 'pick') return;
    if (e.key === 'Escape') setMode(null);
    if (e.key === 'Enter' && e.target === map.getCanvas()) pick(map.project(map.getCenter()));
  });

  return {
    busy: () => mode !== null,
    /** Removes a drawn area when its statistics are closed. */
    clear: () => draw.clear(),
  };
}
