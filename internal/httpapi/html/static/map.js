// The small map of Atlante's data pages: it draws the page's features (the
// GeoJSON alternate named by data-geojson) or a collection's extent
// (data-bbox) over a plain background and the comuni's outlines
// (data-context, a TileJSON), and fits them. No online basemap. Clicking a
// feature opens its page (data-items + "/" + id). The texts it shows come
// from the page (data-error), whose language the server chose.
(() => {
  'use strict';
  const el = document.getElementById('map');
  if (!el) {
    return;
  }
  const status = document.getElementById('map-status');
  const fail = (why) => {
    el.dataset.state = 'error';
    if (status) {
      status.textContent = el.dataset.error || 'The map cannot be shown.';
      status.hidden = false;
    }
    console.warn('atlante map:', why);
  };
  if (!window.maplibregl) {
    fail('MapLibre GL JS did not load');
    return;
  }
  const abs = (u) => new URL(u, window.location.href).href;
  const box = (el.dataset.bbox || '').split(',').map(Number);
  const hasBox = box.length === 4 && box.every(Number.isFinite);

  const map = new window.maplibregl.Map({
    container: el,
    style: {
      version: 8,
      sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1ec' } }],
    },
    bounds: hasBox ? [[box[0], box[1]], [box[2], box[3]]] : undefined,
    center: hasBox ? undefined : [9.69, 45.36],
    zoom: hasBox ? undefined : 9,
    fitBoundsOptions: { padding: 20 },
    // The source is written under the map (see layout.html): on a phone
    // MapLibre's attribution box would cover it.
    attributionControl: false,
  });
  window.atlantePageMap = map;
  map.addControl(new window.maplibregl.NavigationControl({ showCompass: false }), 'top-right');

  // bounds returns [west, south, east, north] of every coordinate in gj.
  const bounds = (gj) => {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    const walk = (c) => {
      if (typeof c[0] === 'number') {
        b[0] = Math.min(b[0], c[0]);
        b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]);
        b[3] = Math.max(b[3], c[1]);
        return;
      }
      c.forEach(walk);
    };
    const features = gj.type === 'FeatureCollection' ? gj.features : [gj];
    features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
    return b;
  };

  const addFeatures = (gj) => {
    const source = { type: 'geojson', data: gj };
    if (el.dataset.idProperty) {
      source.promoteId = el.dataset.idProperty;
    }
    map.addSource('features', source);
    const polygons = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
    const lines = ['match', ['geometry-type'], ['LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'], true, false];
    const points = ['match', ['geometry-type'], ['Point', 'MultiPoint'], true, false];
    map.addLayer({ id: 'features-fill', type: 'fill', source: 'features', filter: polygons,
      paint: { 'fill-color': '#0b5cad', 'fill-opacity': 0.18 } });
    map.addLayer({ id: 'features-line', type: 'line', source: 'features', filter: lines,
      paint: { 'line-color': '#0b5cad', 'line-width': 2 } });
    map.addLayer({ id: 'features-point', type: 'circle', source: 'features', filter: points,
      paint: { 'circle-color': '#0b5cad', 'circle-radius': 6, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } });
    const b = bounds(gj);
    if (b[0] <= b[2]) {
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 30, maxZoom: 16, animate: false });
    }
    const items = el.dataset.items;
    if (items) {
      for (const id of ['features-fill', 'features-line', 'features-point']) {
        map.on('click', id, (e) => {
          const f = e.features && e.features[0];
          if (f && f.id !== undefined) {
            window.location.href = abs(items + '/' + encodeURIComponent(String(f.id)));
          }
        });
        map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
        map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
      }
    }
  };

  const addBox = () => {
    map.addSource('extent', {
      type: 'geojson',
      data: { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[
        [box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]], [box[0], box[1]]]] } },
    });
    map.addLayer({ id: 'extent-line', type: 'line', source: 'extent',
      paint: { 'line-color': '#0b5cad', 'line-width': 2, 'line-dasharray': [2, 1] } });
  };

  map.on('error', (e) => fail(e && e.error ? e.error.message : 'map error'));
  map.on('load', () => {
    if (el.dataset.context) {
      map.addSource('context', { type: 'vector', url: abs(el.dataset.context) });
      map.addLayer({ id: 'context-line', type: 'line', source: 'context', 'source-layer': 'comuni',
        paint: { 'line-color': '#8a949e', 'line-width': 0.8 } });
    }
    const ready = () => map.once('idle', () => {
      if (el.dataset.state !== 'error') {
        el.dataset.state = 'ready';
      }
    });
    if (!el.dataset.geojson) {
      if (hasBox) {
        addBox();
      }
      ready();
      return;
    }
    fetch(abs(el.dataset.geojson), { headers: { Accept: 'application/geo+json' } })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error('HTTP ' + res.status))))
      .then((gj) => {
        addFeatures(gj);
        ready();
      })
      .catch((err) => fail(err.message));
  });
})();
