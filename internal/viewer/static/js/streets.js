// Street context without a basemap: the streets layer of the catalog (one
// line per street of the address register, with its name, comune and
// count of civic numbers; tiles from about zoom 14) drawn as pale roads
// with their names along them; and the street chosen in the search,
// highlighted with its civic numbers ringed and numbered. When the
// catalog has no streets layer, the chosen street's civic numbers are
// still highlighted.

import { getJSON, itemsURL } from './catalog.js';
import { labelFont } from './fonts.js';

const highlightSource = 'atlante-street';
const empty = { type: 'FeatureCollection', features: [] };

/** The streets: white roads with a grey edge, their names along them at high zoom. */
export const streetsStyle = {
  color: '#9aa5b1',
  swatch: 'line',
  layers: (base) => [
    {
      ...base, id: 'streets-casing', type: 'line',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#c9ccd1', 'line-width': ['interpolate', ['linear'], ['zoom'], 14, 3, 18, 14] },
    },
    {
      ...base, id: 'streets-line', type: 'line',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['linear'], ['zoom'], 14, 1.8, 18, 11] },
    },
    {
      ...base, id: 'streets-label', type: 'symbol', minzoom: Math.max(base.minzoom ?? 0, 15),
      layout: {
        'symbol-placement': 'line',
        'text-field': ['to-string', ['get', 'street']],
        'text-font': labelFont,
        'text-size': ['interpolate', ['linear'], ['zoom'], 15, 11, 18, 14],
        'text-max-angle': 30,
        'symbol-spacing': 300,
      },
      paint: {
        'text-color': '#3e4c59',
        'text-halo-color': 'rgba(255, 255, 255, 0.95)',
        'text-halo-width': 1.6,
      },
    },
  ],
};

/**
 * Returns the highlight of a chosen street: show({street, istat_code})
 * rings its civic numbers (from the civici items endpoint) with their
 * numbers and widens its line when the streets layer is drawn; clear()
 * takes it away.
 */
export function streetHighlight(map, collections) {
  let controller = null;
  let shown = null;

  const ensureLayers = () => {
    if (map.getSource(highlightSource)) return;
    map.addSource(highlightSource, { type: 'geojson', data: empty });
    if (map.getSource('streets')) {
      map.addLayer({
        id: `${highlightSource}-line`, type: 'line', source: 'streets', 'source-layer': 'streets',
        filter: ['==', ['get', 'street'], ''],
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': '#1d5fa8', 'line-opacity': 0.35, 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 6, 18, 22] },
      }, map.getLayer('streets-label') ? 'streets-label' : undefined);
    }
    map.addLayer({
      id: `${highlightSource}-civici`, type: 'circle', source: highlightSource,
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 4, 18, 11],
        'circle-color': 'rgba(0, 0, 0, 0)',
        'circle-stroke-color': '#1d5fa8',
        'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 13, 1.5, 18, 3],
      },
    });
    map.addLayer({
      id: `${highlightSource}-numbers`, type: 'symbol', source: highlightSource, minzoom: 16,
      layout: {
        'text-field': ['get', 'house'],
        'text-font': labelFont,
        'text-size': 11,
        'text-offset': [0, -1.3],
        'text-padding': 1,
        // The numbers never hide the street's own name along it.
        'text-ignore-placement': true,
      },
      paint: { 'text-color': '#1d3f6e', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    });
  };

  const clear = () => {
    controller?.abort();
    shown = null;
    map.getSource(highlightSource)?.setData(empty);
    if (map.getLayer(`${highlightSource}-line`)) map.setFilter(`${highlightSource}-line`, ['==', ['get', 'street'], '']);
  };

  const show = async ({ street, istat_code: code }) => {
    if (!street || !code) return;
    if (shown === `${code}|${street}`) return;
    clear();
    shown = `${code}|${street}`;
    ensureLayers();
    if (map.getLayer(`${highlightSource}-line`)) {
      map.setFilter(`${highlightSource}-line`, ['all', ['==', ['get', 'street'], street], ['==', ['get', 'istat_code'], code]]);
    }
    const civici = collections.get('civici');
    if (!civici) return;
    controller = new AbortController();
    const url = new URL(itemsURL(civici), document.baseURI);
    url.searchParams.set('istat_code', code);
    url.searchParams.set('street', street);
    url.searchParams.set('limit', String(civici.maxItemsLimit ?? 10000));
    try {
      const fc = await getJSON(url, { signal: controller.signal, headers: { Accept: 'application/geo+json' } });
      const features = (fc.features ?? []).map((f) => ({
        type: 'Feature',
        geometry: f.geometry,
        properties: { house: `${f.properties.number ?? ''}${f.properties.suffix ?? ''}` },
      }));
      map.getSource(highlightSource)?.setData({ type: 'FeatureCollection', features });
    } catch (err) {
      if (err.name !== 'AbortError') console.warn('atlante map: civic numbers of the street:', err.message);
    }
  };

  return { show, clear };
}
