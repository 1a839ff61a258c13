/**
 * A simulation trace as one self-contained HTML page: a space-time diagram (one lane per node, time
 * flowing down, an arrow per delivered copy of a message, lost messages ending in an ×, crashes,
 * recoveries and partition windows marked, the violating event highlighted) and a side panel with the
 * state of an event's node before and after it. The page draws itself from an embedded copy of the
 * trace with its own script (`trace-viewer.js`) and styles (`trace-viewer.css`); its Content Security
 * Policy allows exactly those two and nothing from the network.
 *
 * Stable hooks for tests and tools: `data-lane="<node>"` on each lane, `data-arrow` on each delivered
 * message, `data-lost` on each drop record's arrow (with `data-reason`), `data-inflight` on each copy
 * still in flight at the end, `data-event="<i>"` on each record's mark (with `data-kind`, and
 * `data-fault="crash" | "recover"` on faults), `data-violation` on the violating record's mark,
 * `data-fault="partition"` on partition windows, `#banner` (with `data-property` when a property
 * failed), and `#state-panel` holding `#state-before` and `#state-after` for the selected event.
 * The page opens on the violating event, or on `#event-<i>` when the URL names one.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SimTrace } from '../sim/trace-file.ts';

interface Assets {
  readonly script: string;
  readonly style: string;
  readonly csp: string;
}

let assets: Assets | undefined;

function loadAssets(): Assets {
  if (assets) return assets;
  const read = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
  const script = read('trace-viewer.js');
  const style = read('trace-viewer.css');
  // Either would end its element early; they are our own files, so this is a bug caught at first use.
  if (/<\/script/i.test(script) || /<\/style/i.test(style)) throw new Error('trace viewer assets must not contain </script or </style');
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  const csp = `default-src 'none'; script-src ${hash(script)}; style-src ${hash(style)}; img-src data:; base-uri 'none'; form-action 'none'`;
  assets = { script, style, csp };
  return assets;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * JSON that is safe as the text of a `<script type="application/json">` element: `<`, `>` and `&`
 * become `\u003c`, `\u003e`, `\u0026` inside strings (the only place JSON has them), so no `</script`
 * or `<!--` can appear, and `JSON.parse` reads back the same value.
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The trace as one HTML file that needs nothing else: open it in any browser, online or not. */
export function renderTraceHtml(trace: SimTrace): string {
  const { script, style, csp } = loadAssets();
  const h = trace.header;
  const title = `${h.protocol} · ${h.checker ? 'model checker' : h.runtime ? 'real processes' : `seed ${h.seed}`} · protoforge trace`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="generator" content="protoforge">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<header class="top">
  <h1><span id="protocol-name">${escapeHtml(h.protocol)}</span><span class="sub">${h.checker ? 'model checker run' : h.runtime ? 'run of real processes' : 'simulation trace'}</span></h1>
  <div class="meta" id="meta"></div>
</header>
<div id="banner" class="banner"></div>
<div class="toolbar">
  <div class="legend" id="legend"></div>
  <div class="zoom">zoom time
    <button type="button" id="zoom-out" title="shorter">−</button><span class="level" id="zoom-level">100%</span><button type="button" id="zoom-in" title="longer">+</button>
    <button type="button" id="zoom-reset">reset</button>
  </div>
</div>
<div class="main">
  <div class="diagram" id="diagram"><div class="lane-heads" id="lane-heads"></div><svg id="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="space-time diagram"></svg></div>
  <aside id="state-panel" aria-live="polite"></aside>
</div>
<noscript><p class="panel-hint">This trace viewer draws itself with JavaScript; please enable it.</p></noscript>
<script type="application/json" id="trace-data">${jsonForScript(trace)}</script>
<script>${script}</script>
</body>
</html>
`;
}
