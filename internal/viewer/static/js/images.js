// Images the style draws with, made in the browser rather than loaded from
// a sprite, so nothing is fetched: a square marker (a signed distance field,
// so that its colour and halo come from the style) and a hatch for areas
// with nothing recorded. MapLibre asks for a missing image with the
// styleimagemissing event, which adds it before the frame is drawn.

/** Names of the images. */
export const squareIcon = 'atlante-square';
export const hatchPattern = 'atlante-hatch';

// MapLibre reads an SDF icon's alpha as distance to the edge: 192 on the
// edge, 1/8 of the range per pixel (so 6 px of halo fit in the buffer).
const sdfEdge = 192;
const sdfPerPx = 32;

function square() {
  const half = 7;
  const buffer = 6;
  const size = 2 * (half + buffer);
  const data = new Uint8Array(size * size * 4);
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Signed distance to the square's edge, positive inside (Chebyshev).
      const d = half - Math.max(Math.abs(x + 0.5 - c), Math.abs(y + 0.5 - c));
      const i = 4 * (y * size + x);
      data[i] = data[i + 1] = data[i + 2] = 255;
      data[i + 3] = Math.max(0, Math.min(255, Math.round(sdfEdge + sdfPerPx * d)));
    }
  }
  return [{ width: size, height: size, data }, { sdf: true, pixelRatio: 2 }];
}

function hatch() {
  const size = 12;
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = 4 * (y * size + x);
      const onLine = (x + y) % size < 2;
      const v = onLine ? 110 : 255;
      data[i] = data[i + 1] = data[i + 2] = v;
      data[i + 3] = onLine ? 230 : 200;
    }
  }
  return [{ width: size, height: size, data }, { pixelRatio: 2 }];
}

const makers = { [squareIcon]: square, [hatchPattern]: hatch };

/** Adds the images to the map whenever the style asks for them. */
export function enableImages(map) {
  map.on('styleimagemissing', (e) => {
    const make = makers[e.id];
    if (!make || map.hasImage(e.id)) return;
    map.addImage(e.id, ...make());
  });
}
