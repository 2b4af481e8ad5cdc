// The layer list comes from the service's catalog: GET /collections, the
// OGC API – Features collections, each with its geometry type, zoom range,
// attribution and links to its items and its TileJSON.

/** Metadata key naming the collection a style layer belongs to (see styles.js). */
export const collectionKey = 'atlante:collection';

/** Fetches JSON, failing with the problem detail the service sent, if any. */
export async function getJSON(url, init = {}) {
  const res = await fetch(url, { ...init, headers: { Accept: 'application/json', ...init.headers } });
  if (!res.ok) {
    let detail = '';
    try {
      const body = await res.json();
      detail = body.detail || body.title || '';
    } catch {
      // not a problem+json body: the status says enough
    }
    throw new Error(`${url}: ${res.status} ${res.statusText}${detail ? `: ${detail}` : ''}`);
  }
  return res.json();
}

/** Returns the collections of the catalog, in the order the service lists them. */
export async function loadCollections() {
  const body = await getJSON('/collections');
  return body.collections ?? [];
}

/** Returns the href of the collection's first link with the given rel (and type). */
export function linkHref(collection, rel, type) {
  const l = (collection.links ?? []).find((l) => l.rel === rel && (!type || l.type === type));
  return l?.href;
}

/** The TileJSON URL of a collection: its "related" JSON link titled TileJSON. */
export function tileJSONURL(collection) {
  const l = (collection.links ?? []).find(
    (l) => l.rel === 'related' && l.type === 'application/json' && (l.title ?? '').startsWith('TileJSON'));
  return l?.href;
}

/** The GeoJSON items URL of a collection. */
export function itemsURL(collection) {
  return linkHref(collection, 'items', 'application/geo+json') ?? linkHref(collection, 'items');
}

/** The union of the collections' spatial extents as [w, s, e, n], or null. */
export function unionBounds(collections) {
  let b = null;
  for (const c of collections) {
    const bbox = c.extent?.spatial?.bbox?.[0];
    if (!bbox || bbox.length < 4) continue;
    const [w, s, e, n] = bbox.length === 6 ? [bbox[0], bbox[1], bbox[3], bbox[4]] : bbox;
    b = b ? [Math.min(b[0], w), Math.min(b[1], s), Math.max(b[2], e), Math.max(b[3], n)] : [w, s, e, n];
  }
  return b;
}

/** Fetches the TileJSON of a collection's vector tiles. */
export async function loadTileJSON(collection) {
  const url = tileJSONURL(collection);
  if (!url) throw new Error(`${collection.id}: no TileJSON link`);
  return getJSON(url);
}
