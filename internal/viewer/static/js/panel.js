// The layer panel: one checkbox per collection of the catalog, which shows or
// hides every style layer drawn from that collection, and under it the
// collection's legend (or other controls), shown while it is on.

import { collectionKey, geometryKind, styleOf } from './styles.js';

/**
 * Fills the list with the collections and wires their checkboxes to the
 * map. extras maps a collection id to an element shown under its entry
 * while the collection is on.
 */
export function buildLayerList(map, list, collections, extras = {}) {
  const items = collections.map((c, i) => {
    const li = document.createElement('li');
    li.dataset.layerId = c.id;
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.id = `layer-${c.id}`;
    input.checked = styleOf(c, i).visible;
    const label = document.createElement('label');
    label.htmlFor = input.id;
    const swatch = document.createElement('span');
    swatch.className = `swatch ${geometryKind(c)}`;
    swatch.style.setProperty('--swatch', styleOf(c, i).color);
    swatch.setAttribute('aria-hidden', 'true');
    const title = document.createElement('span');
    title.className = 'layer-title';
    title.textContent = c.title || c.id;
    label.append(swatch, title);
    const hint = document.createElement('span');
    hint.className = 'zoom-hint';
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
    return { li, hint, minZoom: c.minZoom ?? 0 };
  });
  list.replaceChildren(...items.map((it) => it.li));

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
}

function setVisible(map, collectionID, visible) {
  for (const layer of map.getStyle().layers) {
    if (layer.metadata?.[collectionKey] === collectionID) {
      map.setLayoutProperty(layer.id, 'visibility', visible ? 'visible' : 'none');
    }
  }
}
