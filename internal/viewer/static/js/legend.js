// Legends under the layers of the panel: a title, then one line per class
// with a swatch drawn in CSS (see .swatch in app.css).

import { el } from './dom.js';

/** Returns an empty legend: a title and a list to fill with legendItem. */
export function legend(title) {
  const root = el('div', 'legend');
  root.append(el('p', 'legend-title', title), el('ul'));
  return root;
}

/**
 * A line of a legend. kind is the swatch's classes ("point", "line dashed",
 * "polygon solid", "square", "hatch"); style sets more CSS properties on the
 * swatch (e.g. its opacity or size).
 */
export function legendItem(kind, color, text, style = {}) {
  const li = el('li');
  const sw = el('span', `swatch ${kind}`);
  sw.style.setProperty('--swatch', color);
  for (const [k, v] of Object.entries(style)) sw.style.setProperty(k, v);
  sw.setAttribute('aria-hidden', 'true');
  li.append(sw, text);
  return li;
}

/** Returns a legend whose classes are the entries of colors, named by labels. */
export function categoryLegend(title, kind, colors, labels) {
  const root = legend(title);
  const list = root.querySelector('ul');
  for (const [k, color] of Object.entries(colors)) list.append(legendItem(kind, color, labels[k] ?? k));
  return root;
}

/** Adds a note under a legend. */
export function legendNote(root, ...content) {
  const p = el('p', 'legend-note');
  p.append(...content);
  root.append(p);
  return p;
}
