// Civil protection on the map: how the risk scenarios, emergency areas,
// strategic buildings and the status of each comune's plan are drawn, their
// legends, and their popups. All four layers start switched off. Scenarios
// are coloured by hazard and more opaque the more severe; their popup
// offers the exposure (exposure.js). A plan's popup says since when it is
// validated, from GET /civil-protection/plans/{istat}.

import { getJSON, itemsURL } from './catalog.js';
import { badge, button, dateElement, el, row } from './dom.js';
import { num, t, tc, tx } from './i18n.js';
import { hatchPattern, squareIcon } from './images.js';
import { categoryLegend, legend, legendItem, legendNote } from './legend.js';
import { defaultRenderer } from './popup.js';

export const theme = 'civilprotection';

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


const severityOpacity = { 1: 0.14, 2: 0.24, 3: 0.36, 4: 0.52 };

export const areaColors = { attesa: '#15803d', accoglienza: '#1d4ed8', ammassamento: '#b45309' };

export const buildingColors = {
  municipio: '#334155',
  scuola: '#9333ea',
  ospedale: '#e11d48',
  caserma: '#0369a1',
  sede_protezione_civile: '#ea580c',
  altro: '#6b7280',
};

export const planColors = {
  validated: '#16a34a',
  submitted: '#f59e0b',
  returned: '#dc2626',
  draft: '#9ca3af',
  none: '#ffffff',
};

/**
 * Plan statuses that freeze a plan: its scenarios, areas, buildings and
 * crisis unit cannot change until it is returned or reopened (the service
 * answers 409).
 */
export const frozenStatuses = new Set(['submitted', 'validated']);

/** The names of hazards, kinds of area and building, plan statuses, severities (messages cp.*). */
export const hazardLabel = (k) => t(`cp.hazard.${k ?? 'altro'}`);
export const areaLabel = (k) => t(`cp.area.${k}`);
export const buildingLabel = (k) => t(`cp.building.${k}`);
export const planLabel = (k) => t(`cp.plan.${k ?? 'none'}`);
const labelsOf = (colors, label) => Object.fromEntries(Object.keys(colors).map((k) => [k, label(k)]));

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
  const root = categoryLegend(t('cp.legend.scenarios'), 'polygon solid', hazardColors, labelsOf(hazardColors, hazardLabel));
  const sev = el('ul', 'legend-row');
  sev.setAttribute('aria-label', t('cp.severity'));
  for (const [k, o] of Object.entries(severityOpacity)) {
    sev.append(legendItem('polygon solid', hazardColors.idraulico, num(Number(k)), { opacity: String(Math.min(1, o * 1.6)) }));
  }
  const note = legendNote(root, t('cp.legend.severity'));
  note.after(sev);
  return root;
}

export function areasLegend() {
  const root = categoryLegend(t('cp.legend.areas'), 'polygon solid', areaColors, labelsOf(areaColors, areaLabel));
  legendNote(root, t('cp.legend.areas.note'));
  return root;
}

export function areaPointsLegend() {
  const root = categoryLegend(t('cp.legend.areaPoints'), 'point', areaColors, labelsOf(areaColors, areaLabel));
  legendNote(root, t('cp.legend.areaPoints.note'));
  return root;
}

export function buildingsLegend() {
  return categoryLegend(t('cp.legend.buildings'), 'square', buildingColors, labelsOf(buildingColors, buildingLabel));
}

export function planStatusLegend() {
  const root = legend(t('cp.legend.plans'));
  const list = root.querySelector('ul');
  for (const [k, color] of Object.entries(planColors)) {
    list.append(legendItem(k === 'none' ? 'polygon hatch' : 'polygon solid', color, planLabel(k)));
  }
  list.append(legendItem('line dashed', planColors.validated, t('cp.legend.plans.earlier')));
  legendNote(root, t('cp.legend.plans.note'));
  return root;
}

/** "Idraulico (alluvione) · gravità 4, molto alta". */
export function hazardLine(hazard, severity) {
  const p = el('p', 'best-offer');
  p.append(badge(hazardLabel(hazard), hazardColors[hazard] ?? hazardColors.altro));
  if (severity) p.append(' ', t('cp.severity.line', { n: severity, label: t(`cp.severity.${severity}`) }));
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
      root.append(el('h2', '', p.title ?? t('cp.scenario.untitled', { id })),
        el('p', 'layer-name', t('cp.scenario.where', { code: p.istat_code ?? '' })));
      root.append(hazardLine(p.hazard, p.severity));
      const table = el('table');
      if (p.description) row(table, t('prop.description'), p.description);
      if (p.source) row(table, t('prop.source'), p.source);
      if (table.rows.length) root.append(table);
      if (p.synthetic) root.append(el('p', 'layer-name demo-line', t('cp.scenario.demo')));
      if (id !== undefined) root.append(button('link-button exposure-button', t('cp.exposure.button'), () => onExposure(id, p.title)));
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
  line.append(badge(p.kind ? areaLabel(p.kind) : t('cp.area'), areaColors[p.kind] ?? '#52606d'));
  if (typeof p.capacity === 'number') line.append(' ', tc('cp.area.capacity', p.capacity));
  return line;
});

export const buildingPopup = kindPopup((p) => {
  const line = el('p', 'best-offer');
  line.append(badge(p.kind ? buildingLabel(p.kind) : t('cp.building'), buildingColors[p.kind] ?? buildingColors.altro));
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
    root.append(el('h2', '', name ?? p.istat_code ?? t('cp.plan.comune')), el('p', 'layer-name', t('cp.plan.where', { code: p.istat_code ?? '' })));
    const line = el('p', 'best-offer');
    line.append(badge(planLabel(status), planColors[status] ?? planColors.draft));
    root.append(line);
    return root;
  };
  const content = head(p.name, p.status);
  content.append(el('p', 'hint', t('cp.plan.loading')));
  if (typeof p.istat_code !== 'string') return { content };
  const more = getJSON(`/civil-protection/plans/${encodeURIComponent(p.istat_code)}`).then(
    (plan) => renderPlan(head(plan.name, plan.status), plan),
    (err) => {
      const root = head(p.name, p.status);
      root.append(el('p', 'problem', t('cp.plan.failed', { error: err.message })));
      return root;
    },
  );
  return { content, more };
}

function renderPlan(root, plan) {
  const since = el('p', 'plan-validated');
  if (plan.status === 'validated' && plan.validated_at) {
    since.append(...tx('cp.plan.text.validated', { date: dateElement(plan.validated_at), version: plan.validated_version ?? plan.version }));
  } else if (plan.has_validated_plan && plan.validated_at) {
    since.append(...tx('cp.plan.text.earlier', {
      version: plan.version, status: planLabel(plan.status), validated: plan.validated_version, date: dateElement(plan.validated_at),
    }));
  } else if (plan.status === 'none') {
    since.append(t('cp.plan.text.none'));
  } else if (plan.status_since) {
    since.append(...tx('cp.plan.text.never.since', { version: plan.version, status: planLabel(plan.status), date: dateElement(plan.status_since) }));
  } else {
    since.append(t('cp.plan.text.never', { version: plan.version, status: planLabel(plan.status) }));
  }
  root.append(since);
  if (plan.counts) {
    const table = el('table');
    row(table, t('cp.plan.scenarios'), num(plan.counts.scenarios));
    row(table, t('cp.plan.areas'), num(plan.counts.emergency_areas));
    row(table, t('cp.plan.buildings'), num(plan.counts.strategic_buildings));
    root.append(table);
  }
  if (plan.history?.length) {
    const d = el('details', 'stats-more');
    d.append(el('summary', '', t('cp.plan.history', { n: plan.history.length })));
    const list = el('ol', 'plan-history');
    for (const h of plan.history) {
      const li = el('li');
      li.append(...tx(h.role ? 'cp.plan.step.role' : 'cp.plan.step', {
        date: dateElement(h.at), version: h.version, from: h.from ? planLabel(h.from) : t('cp.plan.new'), to: planLabel(h.to),
        role: h.role ? t(`role.${h.role}`) : '',
      }));
      list.append(li);
    }
    d.append(list);
    root.append(d);
  }
  return root;
}
