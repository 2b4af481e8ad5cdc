// Drawing and reshaping geometries for the editing screens, with Terra Draw
// (terra-draw on npm, MIT) and its MapLibre adapter, vendored like MapLibre
// (static/vendor, see the Makefile) and loaded only when someone edits:
// people who only read the map never download it. Terra Draw draws with
// MapLibre layers of its own and sets only the cursor (no stylesheet, no
// eval), so the page's Content-Security-Policy holds.
//
// A polygon is drawn by clicking its corners and closed by clicking its
// first or last corner, Enter or the «Fine» button; then, as an existing
// feature, it is reshaped by dragging its corners (the small points between
// them add a corner; a right click on a corner takes it away) and moved by
// dragging it. A point is placed with a click and moved by dragging it. A
// MultiPolygon is edited as its parts, and a part can be added.
// (The statistics tool's area, draw.js, stays without a library: it is
// for everyone, keyboard included, and never reshaped.)

const vendor = ['/viewer/vendor/terra-draw.js', '/viewer/vendor/terra-draw-maplibre-gl-adapter.js'];

let loading = null;

/** Loads a classic script once (the vendored UMD builds; script-src 'self' allows them). */
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${src}: not loaded`));
    document.head.append(s);
  });
}

/** Terra Draw and its adapter, loaded on first use. */
export function loadTerraDraw() {
  loading ??= (async () => {
    for (const src of vendor) await loadScript(src);
    return { td: window.terraDraw, adapter: window.terraDrawMaplibreGlAdapter };
  })();
  loading.catch(() => { loading = null; });
  return loading;
}

const color = '#b45309';
const styles = {
  polygon: {
    fillColor: color, fillOpacity: 0.25, outlineColor: color, outlineWidth: 2,
    closingPointColor: '#ffffff', closingPointOutlineColor: color, closingPointWidth: 6, closingPointOutlineWidth: 2,
  },
  point: { pointColor: color, pointWidth: 7, pointOutlineColor: '#ffffff', pointOutlineWidth: 2 },
  select: {
    selectedPolygonColor: color, selectedPolygonFillOpacity: 0.3, selectedPolygonOutlineColor: color, selectedPolygonOutlineWidth: 3,
    selectedPointColor: color, selectedPointWidth: 8, selectedPointOutlineColor: '#ffffff', selectedPointOutlineWidth: 2,
    selectionPointColor: '#ffffff', selectionPointOutlineColor: color, selectionPointWidth: 6, selectionPointOutlineWidth: 2,
    midPointColor: color, midPointOutlineColor: '#ffffff', midPointWidth: 4, midPointOutlineWidth: 1,
  },
};

/**
 * The kind of geometry a collection takes: "polygon" (Polygon and
 * MultiPolygon layers) or "point".
 */
export function drawKind(collection) {
  return (collection.geometryType ?? '').toLowerCase().includes('polygon') ? 'polygon' : 'point';
}

/**
 * Starts drawing on the map for one feature of kind ("polygon" or
 * "point"). onChange() is called after every change of the geometry,
 * onDrawn() when a new shape is finished. Returns {draw(), addPart(),
 * load(geometry), geometry(), changed(), finish(), lock(on), drawing(),
 * stop()}; the promise waits for the library.
 */
export async function createDrawing(map, kind, { onChange = () => {}, onDrawn = () => {} } = {}) {
  const { td, adapter } = await loadTerraDraw();
  const selectFlags = kind === 'polygon'
    ? { polygon: { feature: { draggable: true, coordinates: { draggable: true, midpoints: true, deletable: true } } } }
    : { point: { feature: { draggable: true } } };
  const noSelfCrossing = (feature) => (feature.geometry.type === 'Polygon' ? td.ValidateNotSelfIntersecting(feature) : { valid: true });
  for (const f of Object.values(selectFlags)) f.feature.validation = noSelfCrossing;
  const draw = new td.TerraDraw({
    adapter: new adapter.TerraDrawMapLibreGLAdapter({ map, coordinatePrecision: 7 }),
    modes: [
      new td.TerraDrawPolygonMode({ styles: styles.polygon, keyEvents: { cancel: 'Escape', finish: 'Enter' }, validation: noSelfCrossing }),
      new td.TerraDrawPointMode({ styles: styles.point }),
      new td.TerraDrawSelectMode({
        styles: styles.select, flags: selectFlags, allowManualDeselection: false,
        keyEvents: { deselect: null, delete: null, rotate: null, scale: null },
      }),
    ],
  });
  draw.start();
  let dirty = false;
  let locked = false;
  let mode = 'static';

  // The shapes of the feature: not the library's guides (closing,
  // selection and mid points), which it keeps in the same store.
  const guide = ['closingPoint', 'selectionPoint', 'midPoint', 'coordinatePoint', 'snappingPoint'];
  const geomType = kind === 'polygon' ? 'Polygon' : 'Point';
  const shapes = () => draw.getSnapshot()
    .filter((f) => f.properties?.mode === kind && f.geometry.type === geomType && !guide.some((g) => f.properties[g]));
  const ids = () => shapes().map((f) => f.id);
  const selectFirst = () => {
    const [first] = ids();
    if (first !== undefined && !locked) draw.selectFeature(first);
  };
  const setMode = (m) => {
    mode = m;
    draw.setMode(m);
  };

  draw.on('finish', (id, ctx) => {
    dirty = true;
    if (ctx.action === 'draw') {
      // A new shape: now it can be reshaped like a stored one.
      setMode('select');
      draw.selectFeature(id);
      onDrawn();
    }
    onChange();
  });
  // Whatever is clicked, the feature stays selected: there is one.
  draw.on('deselect', () => {
    if (mode === 'select' && !locked) setTimeout(selectFirst, 0);
  });

  return {
    /** Starts drawing the shape of a new feature. */
    draw() {
      draw.clear();
      setMode(kind);
    },
    /** Starts drawing one more part (MultiPolygon layers). */
    addPart() {
      if (kind === 'polygon' && !locked) setMode('polygon');
    },
    /** Shows a feature's geometry, ready to be reshaped or moved. */
    load(geometry) {
      draw.clear();
      setMode('select');
      const parts = geometry.type === 'MultiPolygon'
        ? geometry.coordinates.map((c) => ({ type: 'Polygon', coordinates: c }))
        : [geometry];
      const results = draw.addFeatures(parts.map((g) => ({ type: 'Feature', geometry: g, properties: { mode: kind } })));
      const bad = results.filter((r) => !r.valid);
      if (bad.length) console.warn('atlante edit: the drawing library refused a part:', bad.map((r) => r.reason).join('; '));
      dirty = false;
      selectFirst();
    },
    /**
     * The geometry drawn: a Point, a Polygon, or a MultiPolygon of the
     * parts; null when nothing is drawn yet.
     */
    geometry() {
      const gs = shapes().map((f) => f.geometry);
      if (gs.length === 0) return null;
      if (kind === 'point' || gs.length === 1) return gs[0];
      return { type: 'MultiPolygon', coordinates: gs.map((g) => g.coordinates) };
    },
    /** Whether the geometry changed since it was loaded or drawn. */
    changed: () => dirty,
    /** Marks the geometry as changed (one kept from before a reload). */
    touched() {
      dirty = true;
    },
    /** Finishes the polygon being drawn (what Enter does, for touch screens). */
    finish() {
      map.getCanvas().dispatchEvent(new KeyboardEvent('keyup', { key: 'Enter', bubbles: true }));
    },
    /** Whether a shape is being drawn (not yet finished). */
    drawing: () => mode === kind && draw.getModeState() === 'drawing',
    /** Stops or allows changes (a frozen plan). */
    lock(on) {
      locked = on;
      if (on) {
        setMode('static');
      } else if (ids().length) {
        setMode('select');
        selectFirst();
      }
    },
    /** Removes the drawing and its layers from the map. */
    stop() {
      draw.stop();
    },
  };
}
