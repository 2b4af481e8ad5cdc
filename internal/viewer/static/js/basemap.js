// The optional online basemap: OpenStreetMap's raster tiles under the data.
// It is off by default, so the map never reaches out to the internet unless
// asked; when asked, a short probe decides, and an unreachable basemap is
// turned off with a note instead of filling the console with tile errors.

export const basemapSource = 'basemap';
const basemapLayer = 'basemap';
const tileURL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
const probeURL = 'https://tile.openstreetmap.org/0/0/0.png';
const probeTimeoutMs = 3000;

/** Reports whether the basemap's tile server answers within the timeout. */
export async function reachable() {
  if (!navigator.onLine) return false;
  try {
    // An opaque response is enough: it proves the server is there.
    await fetch(probeURL, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(probeTimeoutMs) });
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
  const unavailable = () => {
    remove();
    toggle.checked = false;
    say('OpenStreetMap cannot be reached; the map works without it.');
  };

  toggle.addEventListener('change', async () => {
    if (!toggle.checked) {
      remove();
      say('');
      return;
    }
    toggle.disabled = true;
    say('Connecting to OpenStreetMap…');
    const ok = await reachable();
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
        tiles: [tileURL],
        tileSize: 256,
        maxzoom: 19,
        attribution: '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
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
