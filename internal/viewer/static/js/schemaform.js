// Forms generated from a JSON Schema: the schema of a collection's
// features (OGC API – Features Part 5, /collections/{id}/schema) or of a
// crisis-unit member. Each property a client may write (not readOnly, not
// the geometry) gets a field of its type: a list for an enum (its values
// named by properties.js, as in the popups), a number field for integers
// and numbers, a check box for booleans, a text field otherwise; required
// ones say so. A property whose values name something else (a comune, a
// community) gets its choices from the caller. No form is written per
// layer: a property added to the catalog shows up here.

import { el } from './dom.js';
import { t } from './i18n.js';
import { enumLabel, propertyLabel } from './properties.js';

const schemas = new Map(); // url -> Promise<schema>: schemas describe fields, never data

/** Fetches a JSON Schema once per page. */
export function loadSchema(url) {
  if (!schemas.has(url)) {
    const p = fetch(url, { headers: { Accept: 'application/schema+json' } }).then((res) => {
      if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
      return res.json();
    });
    p.catch(() => schemas.delete(url));
    schemas.set(url, p);
  }
  return schemas.get(url);
}

/**
 * The properties a client may write, in the schema's order: {name, type,
 * required, nullable, enum, format, maxLength, minimum, maximum}.
 */
export function writableFields(schema) {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {})
    .filter(([, p]) => !p.readOnly && !(p.format ?? '').startsWith('geometry-') && p['x-ogc-role'] !== 'primary-geometry')
    .map(([name, p]) => {
      const types = Array.isArray(p.type) ? p.type : [p.type ?? 'string'];
      return {
        name,
        type: types.find((x) => x !== 'null') ?? 'string',
        required: required.has(name),
        nullable: types.includes('null') || !required.has(name),
        enum: Array.isArray(p.enum) ? p.enum : null,
        format: p.format ?? '',
        maxLength: p.maxLength,
        minimum: p.minimum,
        maximum: p.maximum,
      };
    });
}

/**
 * Fields for the named properties of a schema, whatever their readOnly
 * (an API other than Part 4 writes them: the energy communities), with
 * required as the API says.
 */
export function fieldsFrom(schema, names, required = []) {
  const all = writableFields({ properties: Object.fromEntries(names.filter((n) => schema.properties?.[n])
    .map((n) => [n, { ...schema.properties[n], readOnly: false }])), required });
  return all;
}

let seq = 0;

/** Reads a field's control as a typed value; empty is null. */
function readControl(f, control) {
  if (f.type === 'boolean') return control.checked;
  const raw = control.value.trim();
  if (raw === '') return null;
  if (f.type === 'integer' || f.type === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n)) return raw; // the service names the field
    return n;
  }
  return raw;
}

function writeControl(f, control, v) {
  if (f.type === 'boolean') control.checked = v === true;
  else control.value = v === null || v === undefined ? '' : String(v);
}

/**
 * Builds a form for fields (writableFields) of layerID (whose names and
 * values properties.js knows). choices maps a property to its [{value,
 * label}]. Returns {node, read(), set(values), changed(base), disable(on),
 * mark(names), focus()}.
 */
export function buildForm(fields, { layerID, values = {}, choices = {} } = {}) {
  const node = el('div', 'schema-form');
  node.dataset.layer = layerID;
  const controls = new Map();
  for (const f of fields) {
    const id = `field-${layerID}-${f.name}-${++seq}`;
    const wrap = el('div', `field field-${f.type}`);
    wrap.dataset.field = f.name;
    const label = el('label', '', propertyLabel(layerID, f.name));
    label.htmlFor = id;
    if (!f.required) label.append(' ', el('span', 'field-optional', t('form.optional')));
    let control;
    const options = choices[f.name] ?? (f.enum ? f.enum.map((v) => ({ value: v, label: enumLabel(layerID, f.name, v) ?? String(v) })) : null);
    if (options) {
      control = el('select');
      const none = el('option', '', f.required ? t('form.choose') : t('form.none'));
      none.value = '';
      if (f.required) none.disabled = true;
      control.append(none);
      for (const o of options) {
        const opt = el('option', '', o.label);
        opt.value = String(o.value);
        control.append(opt);
      }
      if (f.type === 'integer' || f.type === 'number') control.dataset.numeric = 'true';
    } else if (f.type === 'boolean') {
      control = el('input');
      control.type = 'checkbox';
    } else {
      control = el('input');
      if (f.type === 'integer' || f.type === 'number') {
        control.type = 'number';
        control.step = f.type === 'integer' ? '1' : 'any';
        control.inputMode = f.type === 'integer' ? 'numeric' : 'decimal';
        if (f.minimum !== undefined) control.min = String(f.minimum);
        if (f.maximum !== undefined) control.max = String(f.maximum);
      } else if (f.format === 'email') {
        control.type = 'email';
      } else if (f.name === 'phone') {
        control.type = 'tel';
      } else {
        control.type = 'text';
      }
      if (f.maxLength) control.maxLength = f.maxLength;
    }
    control.id = id;
    control.name = f.name;
    if (f.required) control.required = true;
    wrap.append(label, control);
    node.append(wrap);
    controls.set(f.name, { f, control, wrap });
  }

  const read = () => {
    const out = {};
    for (const [name, { f, control }] of controls) out[name] = readControl(f, control);
    return out;
  };
  const set = (vals) => {
    for (const [name, { f, control }] of controls) {
      if (name in vals) writeControl(f, control, vals[name]);
    }
  };
  set(values);
  return {
    node,
    read,
    set,
    /** The names whose value differs from base (what the person changed). */
    changed(base) {
      const now = read();
      return [...controls.keys()].filter((k) => !same(now[k], base[k]));
    },
    disable(on) {
      for (const { control } of controls.values()) control.disabled = on;
    },
    /** Marks the fields named (a conflict), unmarking the others. */
    mark(names, className = 'field-conflict') {
      for (const [name, { wrap }] of controls) wrap.classList.toggle(className, names.includes(name));
    },
    /** Checks the required fields; false (and the browser says which) when one is missing. */
    check() {
      for (const { control } of controls.values()) {
        if (!control.checkValidity()) {
          control.reportValidity();
          return false;
        }
      }
      return true;
    },
    focus() {
      controls.values().next().value?.control.focus();
    },
  };
}

/** Whether two property values are the same (null and absent are). */
export function same(a, b) {
  return (a ?? null) === (b ?? null) || (typeof a === 'number' && typeof b === 'string' && String(a) === b);
}
