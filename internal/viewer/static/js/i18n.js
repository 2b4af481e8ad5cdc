// The viewer's language: Italian by default, English on request. Every
// visible string comes from the one table in messages.js through t(), tc()
// or tx(); numbers and dates are formatted with Intl for it-IT or en-GB.
//
// The language is, in order: ?lang=it|en in the address (remembered), the
// one chosen with the switch in the bar (remembered in localStorage), the
// first of the browser's languages that is Italian or English, Italian.
// Changing it reloads the page: the map's view stays in the address.

import { messages } from './messages.js';

export const languages = ['it', 'en'];
const locales = { it: 'it-IT', en: 'en-GB' };
const storageKey = 'atlante.lang';

function remember(l) {
  try {
    localStorage.setItem(storageKey, l);
    return true;
  } catch {
    return false; // storage refused (private mode): the address carries the choice
  }
}

function choose() {
  const asked = new URLSearchParams(window.location.search).get('lang');
  if (languages.includes(asked)) {
    remember(asked);
    return asked;
  }
  try {
    const stored = localStorage.getItem(storageKey);
    if (languages.includes(stored)) return stored;
  } catch {
    // no storage: fall through to the browser's languages
  }
  for (const l of navigator.languages?.length ? navigator.languages : [navigator.language]) {
    const primary = String(l ?? '').slice(0, 2).toLowerCase();
    if (languages.includes(primary)) return primary;
  }
  return 'it';
}

/** The language of the page: "it" or "en". */
export const lang = choose();
/** The Intl locale of the page. */
export const locale = locales[lang];

const plurals = new Intl.PluralRules(locale);
const integers = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });

function entry(key) {
  const e = messages[key];
  if (!e || e[lang] === undefined) {
    console.error(`atlante i18n: no text for "${key}" in ${lang}`);
    return null;
  }
  return e[lang];
}

/** Whether the table has a text for key. */
export function has(key) {
  return messages[key]?.[lang] !== undefined;
}

/** Splits a template at its {placeholders}, filling them from params; numbers are formatted. */
function fill(template, params) {
  const out = [];
  let last = 0;
  for (const m of template.matchAll(/\{(\w+)\}/g)) {
    if (m.index > last) out.push(template.slice(last, m.index));
    const v = params[m[1]];
    if (v === undefined) console.error(`atlante i18n: no value for {${m[1]}} in "${template}"`);
    out.push(typeof v === 'number' ? num(v) : v ?? '');
    last = m.index + m[0].length;
  }
  if (last < template.length) out.push(template.slice(last));
  return out;
}

function pick(v, count) {
  if (typeof v === 'string' || v === null) return v;
  return v[plurals.select(count)] ?? v.other;
}

/** The text of key with its {placeholders} filled from params (strings or numbers). */
export function t(key, params = {}) {
  const v = pick(entry(key), params.n ?? 0);
  return v === null ? key : fill(v, params).join('');
}

/** The text of key in the plural form for count, which fills {n}. */
export function tc(key, count, params = {}) {
  const v = pick(entry(key), count);
  return v === null ? key : fill(v, { n: count, ...params }).join('');
}

/**
 * The text of key as parts to append to an element: the placeholders may
 * be nodes (a badge, a date). params.n, if given, chooses the plural form.
 */
export function tx(key, params = {}) {
  const v = pick(entry(key), typeof params.n === 'number' ? params.n : 0);
  return v === null ? [key] : fill(v, params);
}

/** A number as the page's language writes it; digits fixes the decimals, else up to 2 for fractions. */
export function num(v, digits) {
  const n = Number(v);
  if (!Number.isFinite(n)) return '—';
  if (digits === undefined && Number.isInteger(n)) return integers.format(n);
  const opts = digits === undefined
    ? { maximumFractionDigits: 2 }
    : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  return new Intl.NumberFormat(locale, opts).format(n);
}

/** A percentage: "75,3 %" (one decimal unless told). */
export function pct(v, digits = 1) {
  return t('unit.percent', { n: num(v, digits) });
}

/**
 * The day of an instant as it was in Italy (the plans are Italian: a
 * validation at 23:30 UTC happened the next day there). A plain date
 * (YYYY-MM-DD) is that day.
 */
export function day(iso, month = 'long') {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T12:00:00Z`) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleDateString(locale, { day: 'numeric', month, year: 'numeric', timeZone: 'Europe/Rome' });
}

/** A distance in metres as a person reads it: "280 m", "1,3 km". */
export function distance(m) {
  return m < 1000 ? t('unit.m', { n: num(Math.round(m)) }) : t('unit.km', { n: num(m / 1000, 1) });
}

/**
 * Fills the static page: elements with data-i18n="key" get the text,
 * data-i18n-attr="attr:key attr:key" the attributes.
 */
export function translateDocument(root = document) {
  document.documentElement.lang = lang;
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of e.dataset.i18nAttr.trim().split(/\s+/)) {
      const [attr, key] = pair.split(':');
      e.setAttribute(attr, t(key));
    }
  }
}

/**
 * Wires the language buttons (elements with data-lang in group): the
 * current one is pressed; another reloads the page in its language.
 */
export function enableLanguageSwitch(group) {
  for (const b of group.querySelectorAll('[data-lang]')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
    b.addEventListener('click', () => {
      const l = b.dataset.lang;
      if (l === lang || !languages.includes(l)) return;
      const u = new URL(window.location.href);
      u.searchParams.delete('lang');
      if (!remember(l)) u.searchParams.set('lang', l);
      // The same address (the map's view is in its #fragment) would not reload.
      if (u.href === window.location.href) window.location.reload();
      else window.location.replace(u);
    });
  }
}
