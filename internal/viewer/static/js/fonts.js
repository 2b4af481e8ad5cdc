// The fonts labels are drawn with. The style has no glyphs URL, so MapLibre
// draws text locally with these CSS families and fetches no font files.
export const labelFont = ['system-ui', 'sans-serif'];
