/**
 * Small SVG charts written as text, so the report needs no script, font or
 * network: a line chart (linear or log y) with vertical markers and a
 * horizontal threshold, and a grouped bar chart.
 */

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
  /** Thinner and dashed: a secondary line. */
  dashed?: boolean;
}

export interface Tick {
  value: number;
  label: string;
}

export interface VerticalMarker {
  x: number;
  label: string;
  color: string;
}

export interface LineChartOptions {
  title: string;
  series: readonly Series[];
  x: { min: number; max: number; ticks: readonly Tick[]; label?: string };
  y: { min: number; max: number; log?: boolean; ticks: readonly Tick[]; label?: string };
  markers?: readonly VerticalMarker[];
  /** A horizontal reference line, e.g. a threshold. */
  threshold?: { y: number; label: string };
  /** Shaded x ranges, e.g. a rollout in progress. */
  bands?: readonly { from: number; to: number; label: string; color: string }[];
  width?: number;
  height?: number;
}

const MARGIN = { left: 56, right: 180, top: 28, bottom: 40 };

/** Text for SVG and HTML: the five characters that could end an element or attribute, escaped. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const round = (x: number): string => (Math.round(x * 10) / 10).toString();

/** A line chart as one <svg> element; points outside the axes are clamped to them. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 900;
  const height = o.height ?? 280;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const fy = o.y.log ? Math.log10 : (v: number): number => v;
  const [y0, y1] = [fy(o.y.min), fy(o.y.max)];
  const sx = (x: number): number => MARGIN.left + ((Math.min(Math.max(x, o.x.min), o.x.max) - o.x.min) / (o.x.max - o.x.min || 1)) * plotW;
  const sy = (y: number): number => MARGIN.top + plotH - ((Math.min(Math.max(fy(Math.max(y, o.y.min)), y0), y1) - y0) / (y1 - y0 || 1)) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${MARGIN.left}" y="18" class="title">${escapeXml(o.title)}</text>`);
  for (const b of o.bands ?? []) {
    const x = sx(b.from);
    parts.push(`<rect x="${round(x)}" y="${MARGIN.top}" width="${round(Math.max(1, sx(b.to) - x))}" height="${plotH}" fill="${b.color}" opacity="0.15"><title>${escapeXml(b.label)}</title></rect>`);
  }
  for (const t of o.y.ticks) {
    const y = round(sy(t.value));
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" class="grid"/><text x="${MARGIN.left - 6}" y="${y}" class="ytick">${escapeXml(t.label)}</text>`);
  }
  for (const t of o.x.ticks) {
    const x = round(sx(t.value));
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" class="axis"/><text x="${x}" y="${MARGIN.top + plotH + 16}" class="xtick">${escapeXml(t.label)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  if (o.y.label) parts.push(`<text x="14" y="${MARGIN.top + plotH / 2}" class="ylabel" transform="rotate(-90 14 ${MARGIN.top + plotH / 2})">${escapeXml(o.y.label)}</text>`);
  if (o.x.label) parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 6}" class="xlabel">${escapeXml(o.x.label)}</text>`);
  if (o.threshold) {
    const y = round(sy(o.threshold.y));
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" class="threshold"/><text x="${MARGIN.left + 4}" y="${Number(y) - 4}" class="note">${escapeXml(o.threshold.label)}</text>`);
  }
  (o.markers ?? []).forEach((m, i) => {
    const x = round(sx(m.x));
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="${m.color}" class="marker"/>`);
    parts.push(`<text x="${Number(x) + 3}" y="${MARGIN.top + 11 + (i % 4) * 12}" fill="${m.color}" class="note">${escapeXml(m.label)}</text>`);
  });
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const title = `<title>${escapeXml(s.name)}</title>`;
    // A series of one point (a version that served a single window) is a dot: a path of one point draws nothing.
    if (s.points.length === 1) {
      parts.push(`<circle cx="${round(sx(s.points[0]![0]))}" cy="${round(sy(s.points[0]![1]))}" r="3" fill="${s.color}">${title}</circle>`);
      continue;
    }
    const d = s.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${round(sx(x))},${round(sy(y))}`).join(' ');
    parts.push(`<path d="${d}" stroke="${s.color}" class="${s.dashed ? 'line dashed' : 'line'}">${title}</path>`);
  }
  o.series.forEach((s, i) => {
    const y = MARGIN.top + 8 + i * 16;
    const x = MARGIN.left + plotW + 12;
    parts.push(`<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${s.color}" class="${s.dashed ? 'line dashed' : 'line'}"/><text x="${x + 24}" y="${y + 4}" class="legend">${escapeXml(s.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}">${parts.join('')}</svg>`;
}

export interface BarGroup {
  label: string;
  bars: readonly { name: string; value: number; color: string }[];
}

/** Grouped vertical bars on a 0..max axis, each bar labelled with its value. */
export function barChart(o: { title: string; groups: readonly BarGroup[]; max: number; width?: number; height?: number; digits?: number }): string {
  const width = o.width ?? 420;
  const height = o.height ?? 240;
  const plotW = width - 56 - 16;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const groupW = plotW / Math.max(1, o.groups.length);
  const parts: string[] = [`<text x="56" y="18" class="title">${escapeXml(o.title)}</text>`];
  for (let k = 0; k <= 4; k++) {
    const value = (o.max * k) / 4;
    const y = round(MARGIN.top + plotH - (value / o.max) * plotH);
    parts.push(`<line x1="56" x2="${56 + plotW}" y1="${y}" y2="${y}" class="grid"/><text x="50" y="${y}" class="ytick">${value.toFixed(2)}</text>`);
  }
  o.groups.forEach((g, gi) => {
    const barW = (groupW * 0.7) / Math.max(1, g.bars.length);
    const x0 = 56 + gi * groupW + groupW * 0.15;
    g.bars.forEach((b, bi) => {
      const value = Number.isFinite(b.value) ? Math.min(Math.max(b.value, 0), o.max) : 0;
      const h = (value / o.max) * plotH;
      const x = x0 + bi * barW;
      const text = Number.isFinite(b.value) ? b.value.toFixed(o.digits ?? 3) : 'n/a';
      parts.push(`<rect x="${round(x)}" y="${round(MARGIN.top + plotH - h)}" width="${round(barW - 4)}" height="${round(h)}" fill="${b.color}"><title>${escapeXml(`${g.label}, ${b.name}: ${text}`)}</title></rect>`);
      parts.push(`<text x="${round(x + (barW - 4) / 2)}" y="${round(MARGIN.top + plotH - h - 4)}" class="value">${text}</text>`);
    });
    parts.push(`<text x="${round(56 + gi * groupW + groupW / 2)}" y="${MARGIN.top + plotH + 16}" class="xtick">${escapeXml(g.label)}</text>`);
  });
  const names = [...new Map(o.groups.flatMap((g) => g.bars.map((b) => [b.name, b.color] as const))).entries()];
  names.forEach(([name, color], i) => {
    const x = 56 + i * 160;
    parts.push(`<rect x="${x}" y="${height - 14}" width="12" height="10" fill="${color}"/><text x="${x + 16}" y="${height - 5}" class="legend">${escapeXml(name)}</text>`);
  });
  parts.push(`<rect x="56" y="${MARGIN.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}">${parts.join('')}</svg>`;
}

/** Log-scale ticks at the powers of ten between min and max. */
export function logTicks(min: number, max: number): Tick[] {
  const ticks: Tick[] = [];
  for (let e = Math.ceil(Math.log10(min)); e <= Math.floor(Math.log10(max)); e++) ticks.push({ value: 10 ** e, label: e < 0 ? (10 ** e).toFixed(-e) : String(10 ** e) });
  return ticks;
}

/** About `count` evenly spaced ticks over [min, max], labelled by `label`. */
export function evenTicks(min: number, max: number, count: number, label: (v: number) => string): Tick[] {
  const step = (max - min) / Math.max(1, count);
  return Array.from({ length: count + 1 }, (_, i) => {
    const value = Math.round(min + i * step);
    return { value, label: label(value) };
  });
}

/** Colours that stay apart for up to ten series. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;
