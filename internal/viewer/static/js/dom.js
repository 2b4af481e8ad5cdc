// Small DOM helpers shared by the map's modules.

import { day } from './i18n.js';

/** Creates an element with a class and text. */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A row of a two-column table: a header cell and a value. */
export function row(table, label, value) {
  const tr = table.insertRow();
  const th = el('th', '', label);
  th.scope = 'row';
  tr.append(th);
  const td = tr.insertCell();
  td.append(value instanceof Node ? value : String(value));
  return tr;
}

/**
 * A <time> naming the day of an instant as it was in Italy, with the
 * instant itself in its datetime attribute.
 */
export function dateElement(iso) {
  const e = el('time', '', day(iso));
  e.dateTime = iso;
  return e;
}

/** A coloured badge naming a class. */
export function badge(text, color) {
  const b = el('span', 'badge', text);
  b.style.setProperty('--badge', color);
  return b;
}

/** Upper-cases the first letter of a sentence. */
export function sentence(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** A button of the given class and text. */
export function button(className, text, onClick) {
  const b = el('button', className, text);
  b.type = 'button';
  if (onClick) b.addEventListener('click', onClick);
  return b;
}
