// The layer panel: on wide screens a box at the left of the map that folds
// away; on phones a drawer that the bar's menu button opens over the map.
// Its body holds sections: the layer list (the collections of the catalog
// grouped by theme, see themes in styles.js; one checkbox per collection,
// which shows or hides every style layer drawn from it, with its legend
// or other controls under it while it is on), the basemap switch, and
// whatever other modules add with addSection (the editing screens).

import { el } from './dom.js';
import { t } from './i18n.js';
import { layerTitle } from './properties.js';
import { collectionKey, geometryKind, otherTheme, styleOf, themes } from './styles.js';

/** Screens at most this wide get the phone layout (see app.css). */
export const phoneQuery = '(max-width: 600px)';

/**
 * Wires the panel's folding (wide screens) and drawer (phones). Returns
 * {isOpen(), setOpen(open), addSection(id, title, node)}.
 */
export function enablePanel({ panel, body, toggle, close, menu, backdrop }) {
  const phone = window.matchMedia(phoneQuery);
  let open = !phone.matches;
  const apply = (focus = false) => {
    panel.dataset.open = String(open);
    toggle.setAttribute('aria-expanded', String(open));
    menu.setAttribute('aria-expanded', String(open));
    body.hidden = !open;
    backdrop.hidden = !(open && phone.matches);
    document.body.classList.toggle('drawer-open', open && phone.matches);
    if (focus && open) toggle.focus({ preventScroll: true });
  };
  const setOpen = (v, focus = false) => {
    open = v;
    apply(focus);
    panel.dispatchEvent(new Event('panelchange'));
  };
  toggle.addEventListener('click', () => setOpen(!open));
  close.addEventListener('click', () => {
    setOpen(false);
    menu.focus({ preventScroll: true });
  });
  menu.addEventListener('click', () => setOpen(!open, true));
  backdrop.addEventListener('click', () => setOpen(false));
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && phone.matches && open) {
      setOpen(false);
      menu.focus({ preventScroll: true });
    }
  });
  phone.addEventListener('change', () => setOpen(!phone.matches));
  apply();
  return {
    isOpen: () => open,
    setOpen,
    /** Adds a section (a heading and node) at the end of the panel's body, for other modules. */
    addSection(id, title, node) {
      const s = el('section', 'panel-section');
      s.id = `panel-${id}`;
      s.append(el('h2', 'panel-section-title', title), node);
      body.append(s);
      return s;
    },
  };
}

/**
 * Fills the container with the collections and wires their checkboxes to
 * the map. extras maps a collection id to an element shown under its entry
 * while the collection is on; onVisibility(id, visible) is called when a
 * collection is switched. Returns {show(id), visible(id)}.
 */
export function buildLayerList(map, container, collections, extras = {}, onVisibility = () => {}) {
  const inputs = new Map();
  const items = collections.map((c, i) => {
    const st = styleOf(c, i);
    const li = el('li');
    li.dataset.layerId = c.id;
    const input = el('input');
    input.type = 'checkbox';
    input.id = `layer-${c.id}`;
    input.checked = st.visible;
    inputs.set(c.id, input);
    const label = el('label');
    label.htmlFor = input.id;
    const swatch = el('span', `swatch ${st.swatch ?? geometryKind(c)}`);
    swatch.style.setProperty('--swatch', st.color);
    swatch.setAttribute('aria-hidden', 'true');
    label.append(swatch, el('span', 'layer-title', layerTitle(c)));
    const hint = el('span', 'zoom-hint');
    hint.id = `layer-${c.id}-hint`;
    input.setAttribute('aria-describedby', hint.id);
    li.append(input, label, hint);
    const extra = extras[c.id];
    if (extra) {
      extra.classList.add('layer-extra');
      extra.hidden = !input.checked;
      li.append(extra);
    }
    input.addEventListener('change', () => {
      setVisible(map, c.id, input.checked);
      if (extra) extra.hidden = !input.checked;
      onVisibility(c.id, input.checked);
    });
    return { li, hint, minZoom: c.minZoom ?? 0, theme: themes.includes(st.theme) ? st.theme : otherTheme };
  });

  const groups = [...themes, otherTheme].map((theme) => {
    const members = items.filter((it) => it.theme === theme);
    if (members.length === 0) return null;
    const set = el('fieldset', 'layer-group');
    set.dataset.theme = theme;
    set.append(el('legend', '', t(`theme.${theme}`)));
    const list = el('ul', 'layer-list');
    list.append(...members.map((it) => it.li));
    set.append(list);
    return set;
  }).filter(Boolean);
  container.replaceChildren(...groups);

  // Layers that only draw from a higher zoom say so.
  const updateZoomHints = () => {
    const z = map.getZoom();
    for (const it of items) {
      const out = z < it.minZoom;
      it.li.classList.toggle('out-of-zoom', out);
      it.hint.textContent = out ? t('panel.zoomin', { zoom: it.minZoom }) : '';
    }
  };
  map.on('zoomend', updateZoomHints);
  updateZoomHints();

  return {
    show(id) {
      const input = inputs.get(id);
      if (!input || input.checked) return;
      input.checked = true;
      input.dispatchEvent(new Event('change'));
    },
    visible: (id) => inputs.get(id)?.checked ?? false,
  };
}

function setVisible(map, collectionID, visible) {
  for (const layer of map.getStyle().layers) {
    if (layer.metadata?.[collectionKey] === collectionID) {
      map.setLayoutProperty(layer.id, 'visibility', visible ? 'visible' : 'none');
    }
  }
}
