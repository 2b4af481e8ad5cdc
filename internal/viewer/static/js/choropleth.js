// The coverage choropleth: each comune coloured by the share of its civic
// numbers connectable at a chosen speed (the coverage-comuni collection's
// pct_* properties). It is off by default, since it hides the comuni under
// it; its checkbox in the layer list turns it on, and a selector there
// chooses the speed.

import { num, t } from './i18n.js';

export const choroplethLayer = 'coverage-comuni-fill';

/** The shares the choropleth can show, by property (named choropleth.<property> in messages.js). */
export const metrics = ['pct_1000', 'pct_100', 'pct_30', 'pct_connectable'];

// Five classes of 20 %, light to dark.
const breaks = [20, 40, 60, 80];
const colors = ['#f0f9e8', '#bae4bc', '#7bccc4', '#3d9cc8', '#0b5f9e'];
const noData = '#d9d9d9';

/** The fill colour expression for a metric property. */
export function fillColor(property) {
  const v = ['get', property];
  const step = ['step', v, colors[0]];
  breaks.forEach((b, i) => step.push(b, colors[i + 1]));
  return ['case', ['==', ['typeof', v], 'number'], step, noData];
}

/** The style of the coverage-comuni collection (see styles.js). */
export const choroplethStyle = {
  color: colors[3],
  visible: false,
  layers: (base, selected) => [{
    ...base, id: choroplethLayer, type: 'fill',
    paint: {
      'fill-color': fillColor(metrics[0]),
      'fill-opacity': ['case', selected, 0.95, 0.8],
      'fill-outline-color': '#ffffff',
    },
  }],
};

/** Returns the selector and legend of the choropleth, wired to the map. */
export function choroplethControls(map) {
  const root = document.createElement('div');
  root.className = 'legend choropleth';
  const label = document.createElement('label');
  label.htmlFor = 'choropleth-metric';
  label.className = 'legend-title';
  label.textContent = t('choropleth.title');
  const select = document.createElement('select');
  select.id = 'choropleth-metric';
  for (const m of metrics) select.add(new Option(t(`choropleth.${m}`), m));
  select.addEventListener('change', () => {
    if (map.getLayer(choroplethLayer)) map.setPaintProperty(choroplethLayer, 'fill-color', fillColor(select.value));
  });
  const list = document.createElement('ul');
  list.className = 'legend-classes';
  const bounds = [0, ...breaks, 100];
  colors.forEach((c, i) => list.append(item(c, t('choropleth.class', { from: num(bounds[i]), to: num(bounds[i + 1]) }))));
  list.append(item(noData, t('choropleth.nodata')));
  root.append(label, select, list);
  return root;
}

function item(color, text) {
  const li = document.createElement('li');
  const sw = document.createElement('span');
  sw.className = 'swatch polygon solid';
  sw.style.setProperty('--swatch', color);
  sw.setAttribute('aria-hidden', 'true');
  li.append(sw, text);
  return li;
}
