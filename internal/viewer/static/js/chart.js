// Small charts as inline SVG, no library: horizontal bars, one per class,
// each as long as its share of the total, with its count and percentage.

import { num, pct, t } from './i18n.js';

const svgNS = 'http://www.w3.org/2000/svg';
let serial = 0;

/**
 * Returns an <svg> bar chart. bars: [{label, value, color, fullLabel}]: a
 * label too long for the chart can be shortened, with fullLabel the whole
 * of it (in the description and as a tooltip). The chart is an image for
 * assistive technology, described by its title and a text listing every
 * bar.
 */
export function barChart(title, bars) {
  const total = bars.reduce((s, b) => s + b.value, 0);
  const width = 300;
  const labelW = 92;
  const valueW = 82;
  const row = 18;
  const top = 18;
  const barW = width - labelW - valueW;
  const height = top + row * bars.length + 2;
  const id = `chart-${++serial}`;
  const share = (v) => pct(total > 0 ? (100 * v) / total : 0, 0);

  const svg = node('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': `${id}-title ${id}-desc`,
  });
  const titleNode = node('title', { id: `${id}-title` });
  titleNode.textContent = title;
  const d = node('desc', { id: `${id}-desc` });
  d.textContent = bars.map((b) => t('chart.bar', { label: b.fullLabel ?? b.label, value: num(b.value), share: share(b.value) })).join('; ');
  const heading = node('text', { x: 0, y: 12, class: 'chart-title' });
  heading.textContent = title;
  svg.append(titleNode, d, heading);

  bars.forEach((b, i) => {
    const y = top + i * row;
    const g = node('g', { transform: `translate(0 ${y})` });
    const label = node('text', { x: labelW - 6, y: row / 2 + 4, 'text-anchor': 'end', class: 'chart-label' });
    label.textContent = b.label;
    if (b.fullLabel && b.fullLabel !== b.label) {
      const tip = node('title', {});
      tip.textContent = b.fullLabel;
      label.append(tip);
    }
    const track = node('rect', { x: labelW, y: 3, width: barW, height: row - 6, class: 'chart-track' });
    const w = total > 0 ? (barW * b.value) / total : 0;
    const bar = node('rect', { x: labelW, y: 3, width: w.toFixed(1), height: row - 6, fill: b.color });
    const value = node('text', { x: labelW + barW + 6, y: row / 2 + 4, class: 'chart-value' });
    value.textContent = `${num(b.value)} · ${share(b.value)}`;
    g.append(label, track, bar, value);
    svg.append(g);
  });
  return svg;
}

function node(tag, attrs) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}
