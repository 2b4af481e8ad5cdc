// The layer panel: the collections of the catalog grouped by theme
// (Boundaries, Fibre coverage, Civil protection, Energy communities; see
// themes in styles.js), one fieldset per theme and one checkbox per
// collection, which shows or hides every style layer drawn from that
// collection; under it the collection's legend (or other controls), shown
// while it is on.

import { el } from './dom.js';
import { collectionKey, geometryKind, otherTheme, styleOf, themes } from './styles.js';

/**
 * Fills the container with the collections and wires their checkboxes to
 * the map. extras maps a collection id to an element shown under its entry
 * while the collection is on. Returns {show(id)}, which switches a
 * collection on as its checkbox would.
 */
export function buildLayerList(map, container, collections, extras = {}) {
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
    label.append(swatch, el('span', 'layer-title', c.title || c.id));
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
    });
    return { li, hint, minZoom: c.minZoom ?? 0, theme: themes.includes(st.theme) ? st.theme : otherTheme };
  });

  const groups = [...themes, otherTheme].map((theme) => {
    const members = items.filter((it) => it.theme === theme);
    if (members.length === 0) return null;
    const set = el('fieldset', 'layer-group');
    set.dataset.theme = theme;
    set.append(el('legend', '', theme));
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
      it.hint.textContent = out ? `zoom in to see (from ${it.minZoom})` : '';
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
  };
}

function setVisible(map, collectionID, visible) {
  for (const layer of map.getStyle().layers) {
    if (layer.metadata?.[collectionKey] === collectionID) {
      map.setLayoutProperty(layer.id, 'visibility', visible ? 'visible' : 'none');
    }
  }
}
