// The map tools, toggle buttons in the bar: "Draw area" (draw a polygon,
// then see its statistics), "Comune stats" (click a comune, or press Enter
// on the map for the one at its centre, to see its statistics) and "Which
// zone?" (click a point, or press Enter on the map for its centre, to see
// its primary-substation zone). One tool at a time; while one is on, clicks
// on the map belong to it, not to popups, and a line above the map says
// what to do, with buttons for what a touch screen has no key for
// (finish the area, undo a corner, cancel).

import { collectionKey } from './catalog.js';
import { button, el } from './dom.js';
import { createDraw } from './draw.js';
import { t, tc } from './i18n.js';

/** Collections whose features are comuni, for "Comune stats". */
const comuniCollections = new Set(['comuni', 'coverage-comuni', 'plan-status']);

/**
 * Wires the tools' buttons (elements with data-tool="draw", "pick" or
 * "zone" in group). stats is the statistics panel (stats.js), popups the
 * popup controller (popup.js), hint the element that explains the tool;
 * zone(lngLat, opts) looks up the zone of a point (zones.js) and onZoneTool()
 * is called when "Which zone?" is switched on.
 * Returns {busy()}: whether a tool has the map's clicks.
 */
export function enableTools(map, { group, stats, popups, hint, zone = null, onZoneTool = () => {} }) {
  let mode = null; // 'draw' | 'pick' | 'zone' | null
  const say = (text, ...actions) => {
    hint.replaceChildren(el('span', 'tool-hint-text', text), ...actions);
    hint.hidden = !text;
  };
  const cancelButton = () => button('tool-action', t('tools.cancel'), () => setMode(null));
  const drawHelp = () => t(window.matchMedia('(pointer: coarse)').matches ? 'tools.draw.help.touch' : 'tools.draw.help');

  const draw = createDraw(map, {
    onFinish: (polygon) => stats.showPolygon(polygon),
    onEnd: () => setMode(null),
    onChange: (n, problem) => say(problem ?? (n < 3 ? `${drawHelp()} ${tc('tools.draw.corners', n)}` : drawHelp()),
      button('tool-action tool-finish', t('tools.draw.finish'), () => draw.finish()),
      button('tool-action', t('tools.draw.undo'), () => draw.undo()),
      cancelButton()),
  });

  const buttons = {};
  for (const b of group.querySelectorAll('[data-tool]')) {
    const name = b.dataset.tool;
    if (name === 'zone' && !zone) {
      b.hidden = true;
      continue;
    }
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
      say(t('tools.pick.help'), cancelButton());
    } else if (mode === 'zone') {
      onZoneTool();
      say(t('tools.zone.help'), cancelButton());
    } else {
      say('');
    }
  }

  // After the other click handlers (the popups') have seen the tool busy.
  const done = () => setTimeout(() => setMode(null), 0);

  // Pick mode: the comune under the click, from the collections of comuni
  // (the comuni, their labels, the choropleth, the plan status).
  const pick = (point) => {
    const f = map.queryRenderedFeatures(point).find((f) => comuniCollections.has(f.layer.metadata?.[collectionKey])
      && typeof f.properties.istat_code === 'string' && typeof f.properties.name === 'string');
    if (!f) {
      say(t('tools.pick.none'), cancelButton());
      return;
    }
    stats.showComune(f.properties.istat_code, f.properties.name);
    done();
  };
  const lookUp = (lngLat, fromKeyboard) => {
    zone(lngLat, { focusOnClose: fromKeyboard ? map.getCanvas() : null });
    done();
  };
  map.on('click', (e) => {
    if (mode === 'pick') pick(e.point);
    if (mode === 'zone') lookUp(e.lngLat, false);
  });
  // "Which zone?" answers on the keyup of an Enter pressed on the map: its
  // popup takes the focus, and the rest of the keystroke must not reach the
  // popup's close button (see popup.js).
  let zoneEnter = false;
  document.addEventListener('keydown', (e) => {
    if (mode !== 'pick' && mode !== 'zone') return;
    if (e.key === 'Escape') setMode(null);
    if (e.key !== 'Enter' || e.target !== map.getCanvas()) return;
    if (mode === 'pick') pick(map.project(map.getCenter()));
    else zoneEnter = true;
  });
  document.addEventListener('keyup', (e) => {
    if (e.key !== 'Enter' || !zoneEnter) return;
    zoneEnter = false;
    if (mode === 'zone' && e.target === map.getCanvas()) lookUp(map.getCenter(), true);
  });

  return {
    busy: () => mode !== null,
    /** Removes a drawn area when its statistics are closed. */
    clear: () => draw.clear(),
    /** Switches off the tool that is on, if any. */
    stop: () => setMode(null),
    /** Offers the tools, or not (while an editor has the map's clicks). */
    enable(on) {
      for (const b of Object.values(buttons)) b.disabled = !on;
    },
  };
}
