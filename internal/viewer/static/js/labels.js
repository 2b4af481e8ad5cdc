// Label points: one per feature, so that a comune split across vector tiles
// still gets exactly one name, placed well inside its largest part (the
// pole of inaccessibility: the inner point farthest from the boundary).

import { getJSON, itemsURL } from './catalog.js';

/**
 * Fetches a collection's features; returns {points, features}: a
 * FeatureCollection of their label points, and the features themselves.
 */
export async function loadLabelPoints(collection) {
  const url = new URL(itemsURL(collection), document.baseURI);
  url.searchParams.set('limit', String(collection.maxItemsLimit ?? 10000));
  const fc = await getJSON(url, { headers: { Accept: 'application/geo+json' } });
  const points = [];
  for (const f of fc.features ?? []) {
    const p = labelPoint(f.geometry);
    if (p) points.push({ type: 'Feature', properties: f.properties, geometry: { type: 'Point', coordinates: p } });
  }
  return { points: { type: 'FeatureCollection', features: points }, features: fc.features ?? [] };
}

/** Returns a point inside a geometry at which to label it, or null. */
export function labelPoint(geometry) {
  switch (geometry?.type) {
    case 'Point':
      return geometry.coordinates;
    case 'Polygon':
      return poleOfInaccessibility(geometry.coordinates);
    case 'MultiPolygon': {
      let best = null;
      let bestArea = -1;
      for (const rings of geometry.coordinates) {
        const a = Math.abs(ringArea(rings[0]));
        if (a > bestArea) [best, bestArea] = [rings, a];
      }
      return best ? poleOfInaccessibility(best) : null;
    }
    default:
      return null;
  }
}

function ringArea(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    a += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  }
  return a / 2;
}

/**
 * Finds the pole of inaccessibility of a polygon (outer ring, then holes) in
 * lon/lat, to about 1/200 of its size: cells covering the polygon are split
 * best-first, and a cell is dropped once no point of it can beat the best
 * distance found so far. Longitudes are scaled by cos(latitude) so distances
 * are roughly isotropic.
 */
export function poleOfInaccessibility(rings) {
  const outer = rings[0];
  if (!outer || outer.length < 3) return null;
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of outer) {
    minX = Math.min(minX, x); minY = Math.min(minY, y);
    maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
  }
  const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  const poly = rings.map((r) => r.map(([x, y]) => [x * k, y]));
  [minX, maxX] = [minX * k, maxX * k];
  const size = Math.min(maxX - minX, maxY - minY);
  if (size === 0) return [minX / k, minY];
  const precision = Math.max(maxX - minX, maxY - minY) / 200;

  const cell = (x, y, h) => {
    const d = signedDistance(x, y, poly);
    return { x, y, h, d, max: d + h * Math.SQRT2 };
  };
  const queue = [];
  for (let x = minX; x < maxX; x += size) {
    for (let y = minY; y < maxY; y += size) queue.push(cell(x + size / 2, y + size / 2, size / 2));
  }
  let best = cell((minX + maxX) / 2, (minY + maxY) / 2, 0);
  const c = centroid(poly[0]);
  if (c) {
    const cc = cell(c[0], c[1], 0);
    if (cc.d > best.d) best = cc;
  }
  while (queue.length > 0) {
    let i = 0;
    for (let j = 1; j < queue.length; j++) if (queue[j].max > queue[i].max) i = j;
    const q = queue[i];
    queue[i] = queue[queue.length - 1];
    queue.pop();
    if (q.d > best.d) best = q;
    if (q.max - best.d <= precision) continue;
    const h = q.h / 2;
    queue.push(cell(q.x - h, q.y - h, h), cell(q.x + h, q.y - h, h), cell(q.x - h, q.y + h, h), cell(q.x + h, q.y + h, h));
  }
  return [best.x / k, best.y];
}

function centroid(ring) {
  let a = 0, cx = 0, cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[i][0] * ring[j][1] - ring[j][0] * ring[i][1];
    cx += (ring[i][0] + ring[j][0]) * f;
    cy += (ring[i][1] + ring[j][1]) * f;
    a += f * 3;
  }
  return a === 0 ? null : [cx / a, cy / a];
}

/** Distance from (x, y) to the polygon's boundary: positive inside, negative outside. */
function signedDistance(x, y, rings) {
  let inside = false;
  let min = Infinity;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [ax, ay] = ring[i];
      const [bx, by] = ring[j];
      if ((ay > y) !== (by > y) && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
      min = Math.min(min, segmentDistance2(x, y, ax, ay, bx, by));
    }
  }
  return (inside ? 1 : -1) * Math.sqrt(min);
}

function segmentDistance2(px, py, ax, ay, bx, by) {
  let [x, y] = [ax, ay];
  const [dx, dy] = [bx - ax, by - ay];
  if (dx !== 0 || dy !== 0) {
    const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
    [x, y] = [ax + dx * t, ay + dy * t];
  }
  return (px - x) ** 2 + (py - y) ** 2;
}
