// Drawing an area on the map, without a plugin: a GeoJSON source and three
// layers (fill, outline, corners) on top of the data. While drawing, a
// click adds a corner, a double click or Enter finishes, Backspace takes
// the last corner back, Escape cancels; with the focus on the map, Space
// adds a corner at the centre, so the arrow keys and Space draw too.

import { t } from './i18n.js';

const source = 'atlante-draw';
const empty = { type: 'FeatureCollection', features: [] };

/** Corners closer than this, in pixels, are one (the clicks of a double click). */
const samePointPx = 4;

/**
 * Returns the drawing tool. onFinish(polygon) gets a GeoJSON Polygon
 * (exterior ring counter-clockwise, RFC 7946 §3.1.6); onEnd() is called
 * whenever drawing stops, finished or cancelled; onChange(corners) after
 * every corner added or taken back.
 */
export function createDraw(map, { onFinish, onEnd, onChange = () => {} }) {
  let corners = []; // [lon, lat]
  let pointer = null; // [lon, lat] of the mouse, for the rubber band
  let active = false;

  const ensureLayers = () => {
    if (map.getSource(source)) return;
    map.addSource(source, { type: 'geojson', data: empty });
    map.addLayer({ id: `${source}-fill`, type: 'fill', source, filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': '#f59e0b', 'fill-opacity': 0.15 } });
    map.addLayer({ id: `${source}-line`, type: 'line', source, filter: ['==', ['geometry-type'], 'LineString'],
      layout: { 'line-join': 'round' },
      paint: { 'line-color': '#b45309', 'line-width': 2, 'line-dasharray': ['literal', [2, 1]] } });
    map.addLayer({ id: `${source}-corner`, type: 'circle', source, filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 4, 'circle-color': '#ffffff', 'circle-stroke-color': '#b45309', 'circle-stroke-width': 2 } });
  };

  const redraw = (closed = false) => {
    const features = corners.map((c) => point(c));
    const ring = closed || !pointer ? corners : [...corners, pointer];
    // The outline is a line of its own: MapLibre drops polygons without
    // area, such as a symmetric bow-tie, which must still show.
    if (ring.length >= 3) {
      features.unshift(
        feature({ type: 'Polygon', coordinates: [[...ring, ring[0]]] }),
        feature({ type: 'LineString', coordinates: [...ring, ring[0]] }),
      );
    } else if (ring.length === 2) {
      features.unshift(feature({ type: 'LineString', coordinates: ring }));
    }
    map.getSource(source)?.setData({ type: 'FeatureCollection', features });
  };

  const add = (lngLat) => {
    const c = [lngLat.lng, lngLat.lat];
    const last = corners[corners.length - 1];
    if (last) {
      const a = map.project(last);
      const b = map.project(c);
      if (Math.hypot(a.x - b.x, a.y - b.y) < samePointPx) return;
    }
    corners.push(c);
    redraw();
    onChange(corners.length);
  };

  const onClick = (e) => add(e.lngLat);
  const onMove = (e) => {
    pointer = [e.lngLat.lng, e.lngLat.lat];
    redraw();
  };
  const onDblClick = (e) => {
    e.preventDefault();
    finish();
  };
  const onKey = (e) => {
    if (e.target.closest?.('input, select, textarea')) return;
    switch (e.key) {
      case 'Enter':
        e.preventDefault();
        finish();
        break;
      case 'Escape':
        e.preventDefault();
        cancel();
        break;
      case 'Backspace':
        e.preventDefault();
        corners.pop();
        redraw();
        onChange(corners.length);
        break;
      case ' ':
        if (e.target !== map.getCanvas()) return;
        e.preventDefault();
        add(map.getCenter());
        break;
      default:
    }
  };

  const stop = () => {
    active = false;
    pointer = null;
    map.off('click', onClick);
    map.off('mousemove', onMove);
    map.off('dblclick', onDblClick);
    document.removeEventListener('keydown', onKey);
    // Re-enabled after the double click that finished has been handled.
    setTimeout(() => map.doubleClickZoom.enable(), 0);
    onEnd();
  };

  function finish() {
    if (corners.length < 3) {
      onChange(corners.length, t('tools.draw.few'));
      return;
    }
    const ring = [...corners, corners[0]];
    if (signedArea(ring) < 0) ring.reverse();
    redraw(true);
    stop();
    onFinish({ type: 'Polygon', coordinates: [ring] });
  }

  function cancel() {
    corners = [];
    redraw();
    stop();
  }

  return {
    get active() { return active; },
    start() {
      if (active) return;
      ensureLayers();
      active = true;
      corners = [];
      pointer = null;
      redraw();
      map.doubleClickZoom.disable();
      map.on('click', onClick);
      map.on('mousemove', onMove);
      map.on('dblclick', onDblClick);
      document.addEventListener('keydown', onKey);
      onChange(0);
    },
    cancel() {
      if (active) cancel();
    },
    /** Finishes the area (the Enter key, or the Finish button for touch). */
    finish() {
      if (active) finish();
    },
    /** Takes the last corner back. */
    undo() {
      if (!active) return;
      corners.pop();
      redraw();
      onChange(corners.length);
    },
    /** Removes the drawn area from the map. */
    clear() {
      if (active) return;
      corners = [];
      map.getSource(source)?.setData(empty);
    },
  };
}

/** Twice the signed area of a closed ring in lon/lat: positive when counter-clockwise. */
function signedArea(ring) {
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) a += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return a;
}

function point(c) {
  return feature({ type: 'Point', coordinates: c });
}

function feature(geometry) {
  return { type: 'Feature', properties: {}, geometry };
}
