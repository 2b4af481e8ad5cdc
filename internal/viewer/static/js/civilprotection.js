// Civil protection on the map: how the risk scenarios, emergency areas,
// strategic buildings and the status of each comune's plan are drawn, their
// legends, and their popups. All four layers start switched off. Scenarios
// are coloured by hazard and more opaque the more severe; their popup
// offers the exposure (exposure.js). A plan's popup says since when it is
// validated, from GET /civil-protection/plans/{istat}.

import { getJSON, itemsURL } from './catalog.js';
import { count, dateElement, el, row } from './dom.js';
import { hatchPattern, squareIcon } from './images.js';
import { categoryLegend, legend, legendItem, legendNote } from './legend.js';
import { defaultRenderer } from './popup.js';

export const theme = 'Civil protection';

/** Hazards of a scenario, in the order of the service's list, with a categorical palette. */
export const hazardColors = {
  idraulico: '#1f6fd1',
  idrogeologico: '#8c5a2b',
  sismico: '#7b3fc4',
  incendio_boschivo: '#d62728',
  industriale: '#d6338f',
  trasporti: '#f07f0e',
  neve: '#17becf',
  vento_temporali: '#4f5b66',
  ondate_calore: '#e3b505',
  altro: '#6a9a1f',
};

export const hazardLabels = {
  idraulico: 'Flood (idraulico)',
  idrogeologico: 'Landslide (idrogeologico)',
  sismico: 'Earthquake (sismico)',
  incendio_boschivo: 'Wildfire (incendio boschivo)',
  industriale: 'Industrial (industriale)',
  trasporti: 'Transport (trasporti)',
  neve: 'Snow (neve)',
  vento_temporali: 'Wind and storms (vento, temporali)',
  ondate_calore: 'Heat wave (ondate di calore)',
  altro: 'Other (altro)',
};

export const severityLabels = { 1: 'low', 2: 'medium', 3: 'high', 4: 'very high' };
const severityOpacity = { 1: 0.14, 2: 0.24, 3: 0.36, 4: 0.52 };

export const areaColors = { attesa: '#15803d', accoglienza: '#1d4ed8', ammassamento: '#b45309' };
export const areaLabels = {
  attesa: 'Waiting (attesa)',
  accoglienza: 'Shelter (accoglienza)',
  ammassamento: 'Staging (ammassamento)',
};

export const buildingColors = {
  municipio: '#334155',
  scuola: '#9333ea',
  ospedale: '#e11d48',
  caserma: '#0369a1',
  sede_protezione_civile: '#ea580c',
  altro: '#6b7280',
};
export const buildingLabels = {
  municipio: 'Town hall (municipio)',
  scuola: 'School (scuola)',
  ospedale: 'Hospital (ospedale)',
  caserma: 'Barracks (caserma)',
  sede_protezione_civile: 'Civil-protection base',
  altro: 'Other (altro)',
};

export const planColors = {
  validated: '#16a34a',
  submitted: '#f59e0b',
  returned: '#dc2626',
  draft: '#9ca3af',
  none: '#ffffff',
};
export const planLabels = {
  validated: 'validated',
  submitted: 'submitted, awaiting validation',
  returned: 'returned for changes',
  draft: 'draft',
  none: 'no plan',
};

/** A match expression colouring by a property, the last colour for anything else. */
function byProperty(property, colors, fallback) {
  return ['match', ['get', property], ...Object.entries(colors).flat(), fallback];
}

const hazardColor = byProperty('hazard', hazardColors, hazardColors.altro);

/** Scenarios: filled by hazard, more opaque the more severe. */
export const scenariosStyle = {
  theme,
  visible: false,
  z: 1,
  color: hazardColors.idraulico,
  layers: (base, selected) => [
    {
      // The most severe on top, so that a click inside a flood band in a
      // comune-wide snow scenario finds the flood.
      ...base, id: 'scenarios-fill', type: 'fill',
      layout: { 'fill-sort-key': ['coalesce', ['get', 'severity'], 0] },
      paint: {
        'fill-color': hazardColor,
        'fill-opacity': ['case', selected, 0.72,
          ['match', ['get', 'severity'], ...Object.entries(severityOpacity).flatMap(([k, v]) => [Number(k), v]), severityOpacity[2]]],
      },
    },
    {
      ...base, id: 'scenarios-outline', type: 'line',
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': hazardColor,
        'line-width': ['case', selected, 3, ['interpolate', ['linear'], ['get', 'severity'], 1, 0.6, 4, 1.6]],
        'line-opacity': 0.9,
      },
    },
  ],
};

const areaColor = byProperty('kind', areaColors, '#52606d');

/** Emergency areas mapped as polygons, by kind (those mapped as points are the next layer). */
export const areasStyle = {
  theme,
  visible: false,
  z: 1,
  color: areaColors.attesa,
  layers: (base, selected) => [
    {
      ...base, id: 'emergency-areas-fill', type: 'fill',
      paint: { 'fill-color': areaColor, 'fill-opacity': ['case', selected, 0.7, 0.4] },
    },
    {
      ...base, id: 'emergency-areas-outline', type: 'line',
      paint: { 'line-color': areaColor, 'line-width': ['case', selected, 3, 1.4] },
    },
  ],
};

/** Emergency areas mapped as points, by kind. */
export const areaPointsStyle = {
  theme,
  visible: false,
  z: 1,
  color: areaColors.attesa,
  layers: (base, selected) => [
    {
      ...base, id: 'emergency-area-points-circle', type: 'circle',
      paint: {
        'circle-color': areaColor,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, ['case', selected, 6, 3.5], 16, ['case', selected, 11, 7]],
        'circle-stroke-color': ['case', selected, '#1f2933', '#ffffff'],
        'circle-stroke-width': ['case', selected, 2.5, 1.2],
      },
    },
  ],
};

/** Strategic buildings: squares (an SDF icon made in images.js), by kind. */
export const buildingsStyle = {
  theme,
  visible: false,
  color: buildingColors.municipio,
  swatch: 'square',
  layers: (base, selected) => [
    {
      ...base, id: 'strategic-buildings-icon', type: 'symbol',
      layout: {
        'icon-image': squareIcon,
        'icon-size': ['interpolate', ['linear'], ['zoom'], 10, 1, 16, 2],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
      },
      paint: {
        'icon-color': byProperty('kind', buildingColors, buildingColors.altro),
        'icon-halo-color': ['case', selected, '#111827', '#ffffff'],
        'icon-halo-width': ['case', selected, 3, 1.2],
      },
    },
  ],
};

/** Plan status per comune: coloured by status, hatched without a plan, dashed green when an earlier version is validated. */
export const planStatusStyle = {
  theme,
  visible: false,
  color: planColors.validated,
  layers: (base, selected) => [
    {
      ...base, id: 'plan-status-fill', type: 'fill', filter: ['!=', ['get', 'status'], 'none'],
      paint: {
        'fill-color': byProperty('status', planColors, planColors.none),
        'fill-opacity': ['case', selected, 0.8, 0.55],
      },
    },
    {
      ...base, id: 'plan-status-none', type: 'fill', filter: ['==', ['get', 'status'], 'none'],
      paint: { 'fill-pattern': hatchPattern, 'fill-opacity': ['case', selected, 1, 0.85] },
    },
    {
      ...base, id: 'plan-status-outline', type: 'line',
      paint: { 'line-color': ['case', selected, '#1f2933', '#ffffff'], 'line-width': ['case', selected, 2.5, 0.8] },
    },
    {
      ...base, id: 'plan-status-earlier', type: 'line',
      filter: ['all', ['==', ['get', 'has_validated_plan'], true], ['!=', ['get', 'status'], 'validated']],
      paint: { 'line-color': planColors.validated, 'line-width': 2.5, 'line-dasharray': ['literal', [2, 1]], 'line-offset': 1.5 },
    },
  ],
};

/** Legend of the scenarios: hazards, then severity as opacity. */
export function scenariosLegend() {
  const root = categoryLegend('Scenarios, by hazard', 'polygon solid', hazardColors, hazardLabels);
  const sev = el('ul', 'legend-row');
  sev.setAttribute('aria-label', 'Severity');
  for (const [k, o] of Object.entries(severityOpacity)) {
    sev.append(legendItem('polygon solid', hazardColors.idraulico, `${k}`, { opacity: String(Math.min(1, o * 1.6)) }));
  }
  const note = legendNote(root, 'Severity 1 (low) to 4 (very high): the more severe, the more opaque. ');
  note.after(sev);
  return root;
}

export function areasLegend() {
  const root = categoryLegend('Emergency areas, by kind', 'polygon solid', areaColors, areaLabels);
  legendNote(root, 'The areas mapped as polygons; the popup gives the capacity in persons.');
  return root;
}

export function areaPointsLegend() {
  const root = categoryLegend('Emergency areas, by kind', 'point', areaColors, areaLabels);
  legendNote(root, 'The areas mapped as points; the popup gives the capacity in persons.');
  return root;
}

export function buildingsLegend() {
  return categoryLegend('Strategic buildings, by kind', 'square', buildingColors, buildingLabels);
}

export function planStatusLegend() {
  const root = legend('Civil-protection plan, by status');
  const list = root.querySelector('ul');
  for (const [k, color] of Object.entries(planColors)) {
    list.append(legendItem(k === 'none' ? 'polygon hatch' : 'polygon solid', color, planLabels[k]));
  }
  list.append(legendItem('line dashed', planColors.validated, 'an earlier version is validated'));
  legendNote(root, 'The popup says since when a plan is validated.');
  return root;
}

/** A coloured badge. */
export function badge(text, color) {
  const b = el('span', 'badge', text);
  b.style.setProperty('--badge', color);
  return b;
}

/** "Flood (idraulico) · severity 4, very high". */
export function hazardLine(hazard, severity) {
  const p = el('p', 'best-offer');
  p.append(badge(hazardLabels[hazard] ?? hazard, hazardColors[hazard] ?? hazardColors.altro));
  if (severity) p.append(` severity ${severity}, ${severityLabels[severity] ?? ''}`);
  return p;
}

/**
 * Popup renderer of the scenarios: hazard and severity, the feature's
 * details, and a button that shows the scenario's exposure
 * (onExposure(id, title)).
 */
export function scenarioPopup({ onExposure }) {
  return (feature, collection) => {
    const id = feature.id ?? feature.properties?.id;
    const draw = (p) => {
      const root = el('div', 'feature-popup scenario-popup');
      root.append(el('h2', '', p.title ?? `Scenario ${id}`), el('p', 'layer-name', `Risk scenario · comune ${p.istat_code ?? ''}`));
      root.append(hazardLine(p.hazard, p.severity));
      const table = el('table');
      if (p.description) row(table, 'description', p.description);
      if (p.source) row(table, 'source', p.source);
      if (table.rows.length) root.append(table);
      if (p.synthetic) root.append(el('p', 'layer-name', 'Demo scenario: made-up geometry.'));
      if (id !== undefined) {
        const b = el('button', 'link-button exposure-button', 'Exposure: who and what is inside');
        b.type = 'button';
        b.addEventListener('click', () => onExposure(id, p.title));
        root.append(b);
      }
      return root;
    };
    const content = draw(feature.properties ?? {});
    if (id === undefined || !collection) return { content };
    const more = getJSON(`${itemsURL(collection)}/${encodeURIComponent(id)}`, { headers: { Accept: 'application/geo+json' } })
      .then((f) => draw(f.properties ?? {}), () => null);
    return { content, more };
  };
}

/** The default popup with a coloured line naming what kind of feature it is. */
function kindPopup(line) {
  return (feature, collection, ctx) => {
    const add = (node) => {
      if (!node) return node;
      node.querySelector('h2')?.after(line(feature.properties ?? {}));
      return node;
    };
    const { content, more } = defaultRenderer(feature, collection, ctx);
    return { content: add(content), more: more?.then(add) };
  };
}

export const areaPopup = kindPopup((p) => {
  const line = el('p', 'best-offer');
  line.append(badge(areaLabels[p.kind] ?? p.kind ?? 'area', areaColors[p.kind] ?? '#52606d'));
  if (typeof p.capacity === 'number') line.append(` for ${count(p.capacity, 'person', 'persons')}`);
  return line;
});

export const buildingPopup = kindPopup((p) => {
  const line = el('p', 'best-offer');
  line.append(badge(buildingLabels[p.kind] ?? p.kind ?? 'building', buildingColors[p.kind] ?? buildingColors.altro));
  return line;
});

/**
 * Popup renderer of the plan status: the status from the tile, then the
 * plan from /civil-protection/plans/{istat}: since when it is validated,
 * what it holds, and its history.
 */
export function planPopup(feature) {
  const p = feature.properties ?? {};
  const head = (name, status) => {
    const root = el('div', 'feature-popup plan-popup');
    root.append(el('h2', '', name ?? p.istat_code ?? 'Comune'), el('p', 'layer-name', `Civil-protection plan · ${p.istat_code ?? ''}`));
    const line = el('p', 'best-offer');
    line.append(badge(planLabels[status] ?? status ?? 'unknown', planColors[status] ?? planColors.draft));
    root.append(line);
    return root;
  };
  const content = head(p.name, p.status);
  content.append(el('p', 'hint', 'Loading the plan…'));
  if (typeof p.istat_code !== 'string') return { content };
  const more = getJSON(`/civil-protection/plans/${encodeURIComponent(p.istat_code)}`).then(
    (plan) => renderPlan(head(plan.name, plan.status), plan),
    (err) => {
      const root = head(p.name, p.status);
      root.append(el('p', 'problem', `The plan could not be loaded: ${err.message}`));
      return root;
    },
  );
  return { content, more };
}

function renderPlan(root, plan) {
  const since = el('p', 'plan-validated');
  if (plan.status === 'validated' && plan.validated_at) {
    since.append('Validated since ', dateElement(plan.validated_at), ` (version ${plan.validated_version ?? plan.version}).`);
  } else if (plan.has_validated_plan && plan.validated_at) {
    since.append(`Version ${plan.version} is ${planLabels[plan.status] ?? plan.status}; version ${plan.validated_version} was validated on `,
      dateElement(plan.validated_at), '.');
  } else if (plan.status === 'none') {
    since.append('This comune has no plan recorded.');
  } else {
    since.append(`Never validated. Version ${plan.version}, ${planLabels[plan.status] ?? plan.status}`);
    if (plan.status_since) since.append(' since ', dateElement(plan.status_since));
    since.append('.');
  }
  root.append(since);
  if (plan.counts) {
    const table = el('table');
    row(table, 'risk scenarios', plan.counts.scenarios.toLocaleString());
    row(table, 'emergency areas', plan.counts.emergency_areas.toLocaleString());
    row(table, 'strategic buildings', plan.counts.strategic_buildings.toLocaleString());
    root.append(table);
  }
  if (plan.history?.length) {
    const d = el('details', 'stats-more');
    d.append(el('summary', '', `History (${plan.history.length})`));
    const list = el('ol', 'plan-history');
    for (const h of plan.history) {
      const li = el('li');
      li.append(dateElement(h.at), `: version ${h.version}, ${h.from ?? 'new'} → ${h.to}${h.role ? ` (${h.role})` : ''}`);
      list.append(li);
    }
    d.append(list);
    root.append(d);
  }
  return root;
}
