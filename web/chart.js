// A small SVG bar chart (no library): one bar per day, a y axis with round ticks, sparse x labels.
const SVG = 'http://www.w3.org/2000/svg';
const W = 760;
const H = 240;
const M = { top: 12, right: 12, bottom: 34, left: 40 };

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Round tick values from 0 to at least `max` (1, 2 or 5 times a power of ten). */
function ticks(max) {
  if (max <= 0) return [0, 1];
  const raw = max / 4;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? pow * 10);
  const out = [];
  for (let v = 0; v < max + step; v += step) out.push(v);
  return out;
}

/**
 * Draws `points` ({ label, value, title }) into `container` as an accessible SVG: the figure has
 * a text summary (`summary`), and each bar a tooltip with its exact value.
 */
export function barChart(container, points, summary) {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary });
  const max = Math.max(0, ...points.map((p) => p.value));
  const scale = ticks(max);
  const top = scale.at(-1) || 1;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v) => M.top + plotH - (v / top) * plotH;
  for (const t of scale) {
    svg.append(el('line', { class: 'grid', x1: M.left, x2: W - M.right, y1: y(t), y2: y(t) }));
    svg.append(el('text', { class: 'axis', x: M.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, String(t)));
  }
  const slot = plotW / Math.max(1, points.length);
  const every = Math.ceil(points.length / 10);
  points.forEach((p, i) => {
    const h = y(0) - y(p.value);
    const bar = el('rect', { class: 'bar', x: M.left + i * slot + slot * 0.15, y: y(p.value), width: Math.max(1, slot * 0.7), height: Math.max(0, h), 'data-day': p.label, 'data-value': p.value });
    bar.append(el('title', {}, p.title));
    svg.append(bar);
    if (i % every === 0 || i === points.length - 1) {
      svg.append(el('text', { class: 'label', x: M.left + i * slot + slot / 2, y: H - M.bottom + 16, 'text-anchor': 'middle' }, p.label.slice(5)));
    }
  });
  container.replaceChildren(svg);
}
