// The optional online basemap under the data: the one the server is
// configured with (atlante serve --basemap; /viewer/config.json), none by
// default, so the map never reaches out to the internet unless the
// operator chose a basemap and the user asks for it; when asked, a short
// probe decides, and an unreachable basemap is turned off with a note
// instead of filling the console with tile errors. Raster templates only,
// for now (a MapLibre style basemap is announced as "style").

export const basemapSource = 'basemap';
const basemapLayer = 'basemap';
const probeTimeoutMs = 3000;

/** The configured basemap, or null: {type, url, attribution}. */
async function configured() {
  try {
    const res = await fetch('/viewer/config.json', { cache: 'no-cache' });
    if (!res.ok) return null;
    const cfg = await res.json();
    return cfg.basemap ?? null;
  } catch {
    return null;
  }
}

/** Reports whether the basemap's tile server answers within the timeout. */
export async function reachable(basemap) {
  if (!navigator.onLine || basemap?.type !== 'raster') return false;
  try {
    // An opaque response is enough: it proves the server is there.
    const probe = basemap.url.replace('{z}', '0').replace('{x}', '0').replace('{y}', '0');
    await fetch(probe, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(probeTimeoutMs) });
    return true;
  } catch {
    return false;
  }
}

/**
 * Wires the basemap checkbox. beforeLayer is the lowest data layer, the one
 * the basemap goes under.
 */
export function enableBasemap(map, toggle, note, beforeLayer) {
  const say = (text) => {
    note.textContent = text;
    note.hidden = !text;
  };
  const remove = () => {
    if (map.getLayer(basemapLayer)) map.removeLayer(basemapLayer);
    if (map.getSource(basemapSource)) map.removeSource(basemapSource);
  };
  const unavailable = (why) => {
    remove();
    toggle.checked = false;
    say(why ?? 'The basemap cannot be reached; the map works without it.');
  };
  const basemap = configured();

  toggle.addEventListener('change', async () => {
    if (!toggle.checked) {
      remove();
      say('');
      return;
    }
    toggle.disabled = true;
    const bm = await basemap;
    if (!bm) {
      toggle.disabled = false;
      unavailable('No basemap is configured on this server, so one cannot be reached; the map works without it.');
      return;
    }
    say('Connecting to the basemap…');
    const ok = await reachable(bm);
    toggle.disabled = false;
    if (!toggle.checked) return;
    if (!ok) {
      unavailable();
      return;
    }
    say('');
    if (!map.getSource(basemapSource)) {
      map.addSource(basemapSource, {
        type: 'raster',
        tiles: [bm.url],
        tileSize: 256,
        maxzoom: 19,
        attribution: bm.attribution,
      });
    }
    if (!map.getLayer(basemapLayer)) {
      map.addLayer({ id: basemapLayer, type: 'raster', source: basemapSource, paint: { 'raster-opacity': 0.8 } },
        map.getLayer(beforeLayer) ? beforeLayer : undefined);
    }
  });

  // Called by the map's error handler when the basemap's tiles fail later on.
  return { unavailable };
}
