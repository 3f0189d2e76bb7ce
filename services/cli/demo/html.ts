import { escapeXml } from './plots.js';

/** The reports' shared look: inline CSS and HTML table helpers, so a report is one self-contained file. */
export const REPORT_STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 960px; color: #222; padding: 0 12px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.lead { color: #555; margin-top: 0; } pre { background: #f6f8fa; padding: 10px; white-space: pre-wrap; font-size: 12.5px; }
table { border-collapse: collapse; font-size: 12.5px; margin: 8px 0; } th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; } td.nowrap { white-space: nowrap; } .bad { color: #b00020; } .good { color: #1b7f3b; }
figure { margin: 12px 0; } figcaption { color: #555; font-size: 12.5px; max-width: 900px; } svg { max-width: 100%; height: auto; }
svg .title { font-size: 13px; font-weight: 600; } svg .xtick { font-size: 10.5px; text-anchor: middle; } svg .ytick { font-size: 10.5px; text-anchor: end; dominant-baseline: middle; }
svg .legend, svg .note, svg .value { font-size: 10.5px; } svg .value { text-anchor: middle; } svg .xlabel { font-size: 11px; text-anchor: middle; } svg .ylabel { font-size: 11px; text-anchor: middle; }
svg .grid { stroke: #eee; } svg .axis { stroke: #888; } svg .frame { fill: none; stroke: #bbb; } svg .threshold { stroke: #b00020; stroke-dasharray: 4 3; }
svg .marker { stroke-dasharray: 2 3; stroke-width: 1.2; } svg .line { fill: none; stroke-width: 1.8; } svg .dashed { stroke-dasharray: 5 3; stroke-width: 1.2; }
`;


export const fixed = (x: number | undefined | null, digits = 3): string => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits));
export const cell = (text: string, cls = ''): string => `<td${cls ? ` class="${cls}"` : ''}>${escapeXml(text)}</td>`;
export const table = (header: string[], rows: string[][]): string =>
  `<table><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</table>`;

