// How the map names and formats what the catalog serves: a layer's title
// and a property's label, value and unit in the page's language, instead
// of the catalog's identifiers ("pct_1000 75.3" reads "Copertura ≥ 1
// Gbit/s: 75,3 %"). Texts come from messages.js: layer.<id>.title,
// prop.<layer>.<name> or prop.<name>, and enumerated values under the
// domain's prefix (enums below). A property or layer the table does not
// know falls back to the catalog's own words, with a warning in the
// console; the browser tests fail on any such fallback for the catalog's
// layers.

import { day, has, num, pct, t, tc } from './i18n.js';

/** The message prefix of each enumerated property, by "layer.property" or "property". */
const enums = {
  'civici.best_status': 'coverage.status',
  'civici.status': 'coverage.status',
  'civici.best_technology': 'coverage.technology',
  'civici.technology': 'coverage.technology',
  'network.status': 'coverage.status',
  'network.programme': 'coverage.programme',
  'scenarios.hazard': 'cp.hazard',
  'scenarios.severity': 'cp.severity',
  'emergency-areas.kind': 'cp.area',
  'emergency-area-points.kind': 'cp.area',
  'strategic-buildings.kind': 'cp.building',
  'plan-status.status': 'cp.plan',
  'energy-communities.status': 'energy.status',
  'energy-sites.community_status': 'energy.status',
  'energy-sites.kind': 'energy.kind',
  'energy-sites.category': 'energy.category',
  'crisis-unit.role': 'cp.crisis.role',
};

/**
 * Units and formats, by "layer.property" or "property": unit is the
 * message of the value with its unit ({n} the number), digits the
 * decimals, percent a share in %, date a day, plain a number written as
 * it is (a house number), count a plural message.
 */
const formats = {
  area_km2: { unit: 'unit.km2', digits: 2 },
  pct_connectable: { percent: true },
  pct_1000: { percent: true },
  pct_100: { percent: true },
  pct_30: { percent: true },
  network_km: { unit: 'unit.km', digits: 1 },
  length_m: { unit: 'unit.m', digits: 0 },
  best_down_mbps: { unit: 'unit.mbps' },
  mbps: { unit: 'unit.mbps' },
  capacity: { count: 'unit.persons' },
  installed_kw: { unit: 'unit.kw' },
  pv_kw: { unit: 'unit.kw' },
  storage_kwh: { unit: 'unit.kwh' },
  consumption_kwh: { unit: 'unit.kwh.year' },
  number: { plain: true },
  anncsu_id: { plain: true },
  number_min: { plain: true },
  number_max: { plain: true },
  status_since: { date: true },
  validated_at: { date: true },
  updated_at: { date: true },
  status_date: { date: true },
  civici: { count: 'unit.civici' },
};

/** Properties popups leave out: internal, or said otherwise (synthetic is the demo note). */
const hidden = new Set(['synthetic', 'community_id', 'wkb']);

const warned = new Set();
function warnOnce(what) {
  if (warned.has(what)) return;
  warned.add(what);
  console.warn(`atlante i18n: no translation for ${what}; showing the catalog's words`);
}

function lookup(layerID, name, table) {
  return table[`${layerID}.${name}`] ?? table[name];
}

/** The title of a collection in the page's language. */
export function layerTitle(collection) {
  const key = `layer.${collection?.id}.title`;
  if (has(key)) return t(key);
  warnOnce(`layer ${collection?.id}`);
  return collection?.title || collection?.id || '';
}

/** The label of a property of a layer. */
export function propertyLabel(layerID, name) {
  for (const key of [`prop.${layerID}.${name}`, `prop.${name}`]) {
    if (has(key)) return t(key);
  }
  warnOnce(`property ${layerID}.${name}`);
  return name.replaceAll('_', ' ');
}

/** Whether a popup shows this property. */
export function shownProperty(name) {
  return !hidden.has(name);
}

/** The label of an enumerated value, or null when the property is not enumerated. */
export function enumLabel(layerID, name, value) {
  const prefix = lookup(layerID, name, enums);
  if (!prefix) return null;
  const key = `${prefix}.${value}`;
  if (has(key)) return t(key);
  warnOnce(`value ${value} of ${layerID}.${name}`);
  return String(value);
}

/** A property's value as a person reads it: translated, formatted, with its unit. */
export function propertyValue(layerID, name, v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return t(v ? 'value.yes' : 'value.no');
  const e = enumLabel(layerID, name, v);
  if (e !== null) return e;
  const f = lookup(layerID, name, formats) ?? {};
  if (f.date && typeof v === 'string') return day(v);
  if (typeof v === 'number') {
    if (f.plain) return String(v);
    if (f.percent) return pct(v);
    if (f.count) return tc(f.count, v);
    const n = num(v, f.digits);
    return f.unit ? t(f.unit, { n }) : n;
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
