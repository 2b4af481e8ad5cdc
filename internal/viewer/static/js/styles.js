// How each collection is drawn. Every collection of the catalog is drawn by
// its geometry type (areas: fill and outline; lines: line; points: circle);
// layerStyles refines the look of the ones that need it, keyed by collection
// id. A collection missing here still shows, in a colour of the palette.

import { collectionKey } from './catalog.js';
import { choroplethStyle } from './choropleth.js';
import { areasStyle, buildingsStyle, planStatusStyle, scenariosStyle } from './civilprotection.js';
import { civiciStyle, networkStyle, streetsColor } from './coverage.js';
import { communitiesStyle, sitesStyle, zonesStyle } from './energy.js';

/**
 * Per-collection styles. Keys: color; fillOpacity, lineWidth, circleRadius;
 * label: {field, minZoom, color} draws one label per feature from the items
 * (meant for small polygon layers such as the comuni); visible: false
 * starts the collection switched off; theme names its group in the layer
 * panel; swatch the shape of its swatch there, if not its geometry's; z
 * raises its layers above those of the same type with a lower z (default
 * 0), so that a click finds a scenario before the comune summaries under
 * it; layers(base, selected) replaces the layers drawn by geometry type
 * with the collection's own (base holds source, source-layer, minzoom and
 * metadata; selected is the feature-state test of the selected feature).
 */
export const layerStyles = {
  comuni: { theme: 'Boundaries', color: '#1d5fa8', fillOpacity: 0.1, lineWidth: 1.4, label: { field: 'name', minZoom: 8 } },
  civici: { theme: 'Fibre coverage', ...civiciStyle },
  network: { theme: 'Fibre coverage', ...networkStyle },
  'coverage-comuni': { theme: 'Fibre coverage', ...choroplethStyle },
  scenarios: scenariosStyle,
  'emergency-areas': areasStyle,
  'strategic-buildings': buildingsStyle,
  'plan-status': planStatusStyle,
  'energy-zones': zonesStyle,
  'energy-communities': communitiesStyle,
  'energy-sites': sitesStyle,
  streets: { color: streetsColor, lineWidth: 1, visible: false },
};

/** The groups of the layer panel, in order; a collection of no theme goes last, under "Other layers". */
export const themes = ['Boundaries', 'Fibre coverage', 'Civil protection', 'Energy communities'];
export const otherTheme = 'Other layers';

/** Metadata key of a style layer's z (see layerStyles). */
export const zKey = 'atlante:z';

const palette = ['#1d5fa8', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0f766e', '#a16207'];

/** The fonts labels are drawn with. The style has no glyphs URL, so MapLibre draws text locally with these CSS families. */
export const labelFont = ['system-ui', 'sans-serif'];

export { collectionKey };

/** Returns the kind of geometry a collection holds: "polygon", "line", "point" or "any". */
export function geometryKind(collection) {
  const t = (collection.geometryType ?? '').toLowerCase();
  if (t.includes('polygon')) return 'polygon';
  if (t.includes('line')) return 'line';
  if (t.includes('point')) return 'point';
  return 'any';
}

/** Returns the style of a collection, defaults filled in. */
export function styleOf(collection, index) {
  return {
    color: palette[index % palette.length],
    fillOpacity: 0.15,
    lineWidth: 1.5,
    circleRadius: 4,
    visible: true,
    ...layerStyles[collection.id],
  };
}

/** Whether a feature is the selected one (feature state, set by the popups). */
export const selected = ['boolean', ['feature-state', 'selected'], false];

/**
 * Returns the MapLibre layers that draw a collection from its vector tile
 * source (the source and its MVT layer are both named by the collection id).
 */
export function layersFor(collection, index) {
  const id = collection.id;
  const st = styleOf(collection, index);
  const kind = geometryKind(collection);
  const base = {
    source: id,
    'source-layer': id,
    minzoom: collection.minZoom ?? 0,
    metadata: { [collectionKey]: id, [zKey]: st.z ?? 0 },
  };
  const visibility = st.visible ? 'visible' : 'none';
  const withVisibility = (l) => ({ ...l, layout: { ...l.layout, visibility } });
  if (st.layers) return st.layers(base, selected).map(withVisibility);
  const only = (types) => (kind === 'any' ? { filter: ['in', ['geometry-type'], ['literal', types]] } : {});
  const layers = [];
  if (kind === 'polygon' || kind === 'any') {
    layers.push({
      ...base, ...only(['Polygon', 'MultiPolygon']), id: `${id}-fill`, type: 'fill',
      paint: {
        'fill-color': st.color,
        'fill-opacity': ['case', selected, Math.min(1, st.fillOpacity + 0.3), st.fillOpacity],
      },
    });
    layers.push({
      ...base, ...only(['Polygon', 'MultiPolygon']), id: `${id}-outline`, type: 'line',
      paint: { 'line-color': st.color, 'line-width': ['case', selected, st.lineWidth * 2, st.lineWidth] },
    });
  }
  if (kind === 'line' || kind === 'any') {
    layers.push({
      ...base, ...only(['LineString', 'MultiLineString']), id: `${id}-line`, type: 'line',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': st.color, 'line-width': ['case', selected, st.lineWidth * 2.5, st.lineWidth * 1.5] },
    });
  }
  if (kind === 'point' || kind === 'any') {
    layers.push({
      ...base, ...only(['Point', 'MultiPoint']), id: `${id}-circle`, type: 'circle',
      paint: {
        'circle-color': st.color,
        'circle-radius': ['case', selected, st.circleRadius * 1.6, st.circleRadius],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 1,
      },
    });
  }
  return layers.map(withVisibility);
}

const drawRank = { fill: 0, line: 1, circle: 2, symbol: 3 };

/**
 * Orders layers so that what is drawn on top is also the most specific:
 * areas at the bottom, then lines, then points, then labels, each group by
 * z, then in catalog order. A click then finds a civic number before its
 * comune, and a scenario before the plan status of its comune.
 */
export function drawOrder(layers) {
  return layers
    .map((l, i) => [drawRank[l.type] ?? 0, l.metadata?.[zKey] ?? 0, i, l])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
    .map(([, , , l]) => l);
}

/** Returns the label layer of a collection, drawn from a GeoJSON source of label points, or null. */
export function labelLayerFor(collection, index) {
  const st = styleOf(collection, index);
  if (!st.label) return null;
  return {
    id: `${collection.id}-label`,
    type: 'symbol',
    source: labelSourceID(collection),
    minzoom: Math.max(collection.minZoom ?? 0, st.label.minZoom ?? 0),
    metadata: { [collectionKey]: collection.id },
    layout: {
      visibility: st.visible ? 'visible' : 'none',
      'text-field': ['to-string', ['get', st.label.field]],
      'text-font': labelFont,
      'text-size': ['interpolate', ['linear'], ['zoom'], 8, 10, 13, 15],
      'text-max-width': 8,
      'text-padding': 3,
    },
    paint: {
      'text-color': st.label.color ?? '#1f2933',
      'text-halo-color': 'rgba(255, 255, 255, 0.9)',
      'text-halo-width': 1.5,
    },
  };
}

/** The id of the GeoJSON source holding a collection's label points. */
export function labelSourceID(collection) {
  return `${collection.id}-labels`;
}
