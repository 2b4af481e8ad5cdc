// Small DOM and formatting helpers shared by the map's modules.

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
 * A <time> naming the day of an instant as it was in Italy (the plans are
 * Italian: a validation at 23:30 UTC happened the next day there), with the
 * instant itself in its datetime attribute.
 */
export function dateElement(iso) {
  const t = el('time', '', new Date(iso).toLocaleDateString('en-GB', {
    day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Rome',
  }));
  t.dateTime = iso;
  return t;
}

/** A distance in metres as a person reads it: "280 m", "1.3 km". */
export function distance(m) {
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`;
}

/** A count with its noun: "1 civic number", "890 civic numbers". */
export function count(n, one, many) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Upper-cases the first letter of a sentence. */
export function sentence(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
