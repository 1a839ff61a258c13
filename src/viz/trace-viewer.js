// The trace viewer's page script (plain browser JavaScript, embedded inline by trace-html.ts).
// It reads the simulation trace from the JSON in #trace-data and draws, as SVG, a space-time
// diagram: one vertical lane per node, time flowing down, an arrow per delivered copy of a message,
// faults and the failed property marked. Clicking an event shows the node's state before and after
// it, rebuilt by applying the records' changes in order. Nothing is fetched: the page works offline.
(() => {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const trace = JSON.parse(document.getElementById('trace-data').textContent);
  const { header, events, end } = trace;
  const violation = end.violation;

  // ---- small DOM and text helpers ------------------------------------------------------------

  function build(make, tag, attrs, children) {
    const e = make(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children || []) if (c !== null && c !== undefined && c !== false) e.append(c);
    return e;
  }
  const html = (tag, attrs, ...children) => build((t) => document.createElement(t), tag, attrs, children);
  const svg = (tag, attrs, ...children) => build((t) => document.createElementNS(SVG_NS, t), tag, attrs, children);

  const round3 = (n) => Math.round(n * 1000) / 1000;
  const ms = (t) => `${round3(t).toLocaleString('en-US', { maximumFractionDigits: 3 })} ms`;
  const compact = (v) => (v === undefined ? '∅' : JSON.stringify(v));
  const clip = (text, n) => (n < 2 ? '' : text.length > n ? `${text.slice(0, n - 1)}…` : text);
  const plural = (n, word) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

  /** `prepare(n:2)`: a message's type and its other fields, compactly. */
  function msgLabel(m) {
    const rest = Object.keys(m).filter((k) => k !== 'type').map((k) => `${k}:${compact(m[k])}`);
    return rest.length ? `${m.type}(${rest.join(', ')})` : String(m.type);
  }

  const DROP_REASON = { loss: 'lost in the network', crashed: 'the receiver was down', partition: 'cut off by a partition' };

  /** One line saying what happened, as the text reports say it. */
  function describe(r) {
    const e = r.event;
    switch (e.kind) {
      case 'start': return `${r.node} starts`;
      case 'message': return `${r.node} receives ${e.msg.type} from ${e.from}`;
      case 'timer': return `${r.node} fires timer ${e.name}`;
      case 'crash': return `${r.node} crashes`;
      case 'recover': return `${r.node} recovers`;
      case 'drop': return `network drops ${e.msg.type} from ${e.from} to ${e.to} (${DROP_REASON[e.reason] || e.reason})`;
      default: return `${r.node}: ${e.kind}`;
    }
  }

  function fmtDistribution(d) {
    switch (d.kind) {
      case 'fixed': return `fixed ${ms(d.ms)}`;
      case 'uniform': return `uniform ${round3(d.minMs)}–${ms(d.maxMs)}`;
      case 'exponential': return `exponential, mean ${ms(d.meanMs)}`;
      case 'long-tail': return `long tail, median ${ms(d.medianMs)}, α ${d.alpha}`;
      default: return JSON.stringify(d);
    }
  }

  function fmtFault(f) {
    if (f.kind === 'partition') return `partition ${f.sides.map((s) => s.join(',')).join(' | ')} from ${ms(f.fromMs)} to ${ms(f.untilMs)}`;
    return `${f.kind} ${f.node} at ${ms(f.atMs)}`;
  }

  // ---- the model: nodes, message copies, node states -----------------------------------------

  /** Lanes in the order the nodes started (the protocol's order), then any node only named elsewhere. */
  const nodes = (() => {
    const seen = new Set();
    for (const r of events) if (r.event.kind === 'start') seen.add(r.node);
    for (const r of events) {
      seen.add(r.node);
      if (r.event.from) seen.add(r.event.from);
      for (const s of r.sent) seen.add(s.to);
    }
    for (const f of header.faults.events || []) {
      if (f.node) seen.add(f.node);
      for (const side of f.sides || []) for (const id of side) seen.add(id);
    }
    return [...seen];
  })();
  const lane = new Map(nodes.map((id, k) => [id, k]));

  /**
   * Every copy of every send, matched to the record that ended it: the receiver's message record
   * (delivered), a drop record (lost at send, or dropped on arrival at a crashed or partitioned
   * receiver), or none (still in flight when the run ended). A copy arrives at its `at` time, and the
   * record that ends it has that time, the same sender, receiver and message.
   */
  const copies = [];
  const byArrival = new Map();
  const lostSends = new Map();
  const key = (...parts) => parts.join('\u0000');
  const push = (map, k, v) => (map.has(k) ? map.get(k).push(v) : map.set(k, [v]));
  for (const r of events) {
    r.sent.forEach((s, k) => {
      const base = { send: r.i, k, from: r.node, to: s.to, msg: s.msg, text: JSON.stringify(s.msg), end: null };
      if (s.at.length === 0) {
        const c = { ...base, copy: 0, at: null };
        copies.push(c);
        push(lostSends, key(r.node, s.to), c);
      }
      s.at.forEach((at, n) => {
        const c = { ...base, copy: n, at };
        copies.push(c);
        push(byArrival, key(r.node, s.to, at), c);
      });
    });
  }
  /** For each record, the copy it ended (delivery or drop), if one matches. */
  const endedCopy = new Array(events.length).fill(null);
  for (const r of events) {
    const e = r.event;
    if (e.kind !== 'message' && e.kind !== 'drop') continue;
    const text = JSON.stringify(e.msg);
    const candidates = e.kind === 'drop' && e.reason === 'loss'
      ? lostSends.get(key(e.from, e.to)) || []
      : byArrival.get(key(e.from, r.node, r.t)) || [];
    const c = candidates.find((x) => x.end === null && x.text === text && x.send <= r.i);
    if (!c) continue;
    c.end = { kind: e.kind === 'message' ? 'delivered' : 'dropped', i: r.i };
    endedCopy[r.i] = c;
  }
  const delivered = copies.filter((c) => c.end && c.end.kind === 'delivered');
  const inFlight = copies.filter((c) => c.end === null && c.at !== null);

  /** Record numbers per node, to rebuild a node's state at any record. */
  const recordsOf = new Map(nodes.map((id) => [id, []]));
  for (const r of events) recordsOf.get(r.node).push(r.i);

  const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

  /** Applies a record's changes: a field is a dotted path (empty: the whole state); no `after` removes it. */
  function applyChanges(state, changes) {
    let s = clone(state);
    for (const c of changes) {
      if (c.field === '') { s = clone(c.after); continue; }
      const path = c.field.split('.');
      if (typeof s !== 'object' || s === null) s = {};
      let o = s;
      for (const p of path.slice(0, -1)) {
        if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
        o = o[p];
      }
      const last = path[path.length - 1];
      if (c.after === undefined) delete o[last];
      else o[last] = clone(c.after);
    }
    return s;
  }

  /** The state of record i's node just before and just after record i. */
  function statesAround(i) {
    const r = events[i];
    let state;
    for (const j of recordsOf.get(r.node)) {
      if (j === i) return { before: state, after: applyChanges(state, r.changes) };
      state = applyChanges(state, events[j].changes);
    }
    return { before: state, after: state };
  }

  // ---- layout: rows in time, the time axis ----------------------------------------------------

  /** Room on the left for the time axis: its longest tick label, and the tick. */
  const AXIS_W = (() => {
    const last = Math.max(end.endTimeMs, events.length ? events[events.length - 1].t : 0);
    return Math.max(76, Math.round(34 + ms(Math.floor(last) + 0.125).length * 6.2));
  })();
  const TOP = 26;
  const MIN_GAP = 30;
  const SAME_TIME_GAP = 24;
  const MAX_GAP = 150;
  const MARK_R = 7;

  /** Where a record's mark sits: its lane; a lost send's × sits between lanes and takes no lane's slot. */
  const slotOf = (r) => (r.event.kind === 'drop' && r.event.reason === 'loss' ? null : r.node);

  /** Pixels per millisecond that put the median gap between distinct event times about 44 px apart. */
  const basePxPerMs = (() => {
    const gaps = [];
    for (let k = 1; k < events.length; k++) {
      const dt = events[k].t - events[k - 1].t;
      if (dt > 0) gaps.push(dt);
    }
    if (gaps.length === 0) return 1;
    gaps.sort((a, b) => a - b);
    return Math.min(1e6, Math.max(1e-6, 44 / gaps[Math.floor(gaps.length / 2)]));
  })();

  /**
   * Events go into rows: a record joins the row above when it happens at the same time on a lane
   * that row does not use yet. Rows are spaced in proportion to the time between them, at least
   * MIN_GAP apart (SAME_TIME_GAP for two rows at one time) and at most MAX_GAP (times the zoom): a
   * longer quiet spell is shortened, and the axis shows a break there.
   */
  function layout(pxPerMs, zoom) {
    const maxGap = Math.max(MIN_GAP * 1.5, MAX_GAP * zoom);
    const rows = [];
    const rowOf = new Array(events.length);
    for (const r of events) {
      const slot = slotOf(r);
      let row = rows[rows.length - 1];
      if (!row || row.t !== r.t || (slot !== null && row.slots.has(slot))) {
        let y = TOP;
        let broken = false;
        if (row) {
          const want = (r.t - row.t) * pxPerMs;
          broken = want > maxGap;
          y = row.y + (r.t === row.t ? SAME_TIME_GAP : Math.min(maxGap, Math.max(MIN_GAP, want)));
        }
        row = { t: r.t, y, slots: new Set(), broken };
        rows.push(row);
      }
      if (slot !== null) row.slots.add(slot);
      rowOf[r.i] = row;
    }
    const last = rows[rows.length - 1];
    /** The y of a time: interpolated between the rows around it, past the last row at the plain scale. */
    function timeToY(t) {
      if (!last) return TOP + t * pxPerMs;
      if (t <= rows[0].t) return rows[0].y;
      if (t >= last.t) return last.y + Math.min(maxGap, (t - last.t) * pxPerMs);
      let lo = 0;
      let hi = rows.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (rows[mid].t <= t) lo = mid; else hi = mid;
      }
      while (lo > 0 && rows[lo - 1].t === rows[lo].t && rows[lo].t === t) lo--;
      const a = rows[lo];
      const b = rows[hi];
      if (a.t === t || b.t === a.t) return a.y;
      return a.y + ((t - a.t) / (b.t - a.t)) * (b.y - a.y);
    }
    const endY = Math.max(last ? last.y : TOP, timeToY(end.endTimeMs));
    return { rows, rowOf, timeToY, endY, pxPerMs };
  }

  /** A round step (1, 2 or 5 times a power of ten) giving ticks at least `px` apart. */
  function tickStep(pxPerMs, px) {
    const raw = px / pxPerMs;
    const p = 10 ** Math.floor(Math.log10(raw));
    return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || 10 * p;
  }

  // ---- drawing ---------------------------------------------------------------------------------

  const view = { zoom: 1, selected: null, lay: null, laneX: null, spacing: 0 };
  const diagram = document.getElementById('diagram');
  const headsEl = document.getElementById('lane-heads');
  const chart = document.getElementById('chart');

  function markShape(r) {
    switch (r.event.kind) {
      case 'start': return svg('circle', { r: MARK_R, class: 'shape' });
      case 'message': return svg('circle', { r: MARK_R, class: 'shape' });
      case 'timer': return svg('rect', { x: -6, y: -6, width: 12, height: 12, transform: 'rotate(45)', class: 'shape' });
      case 'crash': return svg('rect', { x: -7, y: -7, width: 14, height: 14, rx: 2, class: 'shape' });
      case 'recover': return svg('path', { d: 'M0,-8 L7.5,6 L-7.5,6 Z', class: 'shape' });
      case 'drop': return svg('path', { d: 'M-5,-5 L5,5 M-5,5 L5,-5', class: 'shape' });
      default: return svg('circle', { r: MARK_R, class: 'shape' });
    }
  }

  /** What the label beside a mark says, as [text, class] parts: a timer's name, the fields that changed, the outputs. */
  function markLabel(r) {
    const parts = [];
    const kind = r.event.kind;
    if (kind === 'timer') parts.push([`${r.event.name}:`, 'timer-name']);
    if (kind === 'crash' || kind === 'recover') parts.push([kind, `${kind}-name`]);
    if (kind === 'start') {
      const start = r.changes.find((c) => c.field === '');
      if (start) parts.push([compact(start.after), 'start-state']);
    } else {
      const changes = r.changes.map((c) => (c.after === undefined ? `−${c.field}` : `${c.field || 'state'}=${compact(c.after)}`));
      if (changes.length) parts.push([changes.join(' '), '']);
      else if (kind === 'timer' || kind === 'message') parts.push(['no change', 'no-change']);
    }
    for (const o of r.outputs) parts.push([`⇒ ${compact(o)}`, 'output-text']);
    return parts;
  }

  /** The parts as tspans, cut to `room` characters in all. */
  function labelText(attrs, parts, room) {
    const t = svg('text', attrs);
    let left = room;
    parts.forEach(([text, cls], n) => {
      const shown = clip((n ? ' ' : '') + text, left);
      if (!shown) return;
      left -= shown.length;
      t.append(cls ? svg('tspan', { class: cls, text: shown }) : document.createTextNode(shown));
    });
    return t;
  }

  /** Where a record's mark is drawn. */
  function markPoint(r) {
    const lay = view.lay;
    const y = lay.rowOf[r.i].y;
    if (r.event.kind !== 'drop') return { x: view.laneX(r.node), y };
    const c = endedCopy[r.i];
    const xs = view.laneX(r.event.from);
    const xt = view.laneX(r.event.to);
    const dir = xt >= xs ? 1 : -1;
    if (r.event.reason === 'loss') {
      // lost at send: a short arrow into the first gap toward the receiver, just below the send
      const sendY = c ? lay.rowOf[c.send].y : y;
      return { x: xs + (xt === xs ? 36 : Math.sign(xt - xs) * view.spacing * 0.45), y: Math.max(y, sendY) + 16 };
    }
    return { x: xt - dir * 16, y }; // reached the receiver's lane, which did not take it
  }

  function render() {
    const width = Math.max(diagram.clientWidth, 320);
    // the last lane keeps half a lane of room on its right for its labels
    const spacing = Math.max(150, Math.min(300, (width - AXIS_W - 8) / (nodes.length + 0.5)));
    const laneX = (id) => AXIS_W + spacing * (lane.get(id) + 0.5);
    const lay = layout(basePxPerMs * view.zoom, view.zoom);
    view.lay = lay;
    view.laneX = laneX;
    view.spacing = spacing;
    const W = AXIS_W + spacing * (nodes.length + 0.5);
    const endLineY = lay.endY + 22;
    /** Past the end line, where messages still in flight were due (the zone is at most 120 px deep). */
    const afterY = (t) => endLineY + 26 + Math.min(110, Math.max(0, t - end.endTimeMs) * lay.pxPerMs);
    const bottom = inFlight.length ? inFlight.reduce((y, c) => Math.max(y, afterY(c.at)), 0) + 16 : endLineY;
    const H = bottom + 24;
    const laneLeft = AXIS_W;
    const laneRight = W - 8;

    const heads = nodes.map((id) => {
      const e = html('div', { class: 'lane-head', title: id, 'data-lane-head': id }, html('span', { text: id }));
      e.style.left = `${laneX(id) - spacing / 2 + 6}px`;
      e.style.width = `${spacing - 12}px`;
      return e;
    });
    headsEl.replaceChildren(html('div', { class: 'axis-title', text: 'time ↓' }), ...heads);
    headsEl.style.width = `${W}px`;

    const defs = svg('defs', {},
      svg('marker', { id: 'head', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'head' })),
      svg('marker', { id: 'head-hot', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'head-hot' })),
      svg('marker', { id: 'head-open', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' },
        svg('path', { d: 'M1,1 L9,5 L1,9', class: 'head-open' })),
      svg('pattern', { id: 'hatch', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        svg('rect', { width: 8, height: 8, class: 'hatch-bg' }),
        svg('line', { x1: 0, y1: 0, x2: 0, y2: 8, class: 'hatch-line' })));

    // lane stripes and the time axis
    const back = svg('g', { class: 'back' });
    nodes.forEach((id, k) => {
      if (k % 2 === 1) back.append(svg('rect', { x: laneX(id) - spacing / 2, y: 0, width: spacing, height: bottom, class: 'stripe' }));
    });
    const axis = svg('g', { class: 'axis' },
      svg('line', { x1: AXIS_W - 12, y1: TOP - 16, x2: AXIS_W - 12, y2: endLineY, class: 'axis-line' }));
    // ticks at round times, chosen per stretch between rows so a shortened stretch gets coarser ones
    const ticks = lay.rows.length ? [{ t: lay.rows[0].t, y: lay.rows[0].y }] : [];
    const stretches = lay.rows.slice(1).map((b, k) => [lay.rows[k], b]);
    if (lay.rows.length && end.endTimeMs > lay.rows[lay.rows.length - 1].t) {
      stretches.push([lay.rows[lay.rows.length - 1], { t: end.endTimeMs, y: lay.timeToY(end.endTimeMs) }]);
    }
    for (const [a, b] of stretches) {
      if (!(b.t > a.t)) continue;
      const scale = (b.y - a.y) / (b.t - a.t);
      const step = tickStep(scale, 56);
      for (let n = Math.floor(a.t / step) + 1; n * step <= b.t + 1e-9; n++) ticks.push({ t: round3(n * step), y: a.y + (n * step - a.t) * scale });
    }
    let lastTickY = -Infinity;
    for (const { t, y } of ticks) {
      if (y - lastTickY < 22) continue;
      lastTickY = y;
      axis.append(svg('line', { x1: laneLeft, y1: y, x2: laneRight, y2: y, class: 'grid' }));
      axis.append(svg('line', { x1: AXIS_W - 17, y1: y, x2: AXIS_W - 12, y2: y, class: 'tick' }));
      axis.append(svg('text', { x: AXIS_W - 21, y: y + 4, class: 'tick-label', 'text-anchor': 'end', text: ms(t) }));
    }
    lay.rows.forEach((row, k) => {
      if (!row.broken) return;
      const prev = lay.rows[k - 1];
      const y = (prev.y + row.y) / 2;
      axis.append(svg('g', { class: 'axis-break' },
        svg('title', { text: `${ms(row.t - prev.t)} with no events, shortened` }),
        svg('rect', { x: AXIS_W - 20, y: y - 5, width: 16, height: 10, class: 'break-bg' }),
        svg('path', { d: `M${AXIS_W - 20},${y - 1} l16,-6 M${AXIS_W - 20},${y + 5} l16,-6`, class: 'break-line' }),
        svg('line', { x1: laneLeft, y1: y, x2: laneRight, y2: y, class: 'break-grid' })));
    });

    // partition windows from the fault schedule
    const faultsG = svg('g', { class: 'faults' });
    const sidesG = svg('g', { class: 'sides' });
    for (const f of header.faults.events || []) {
      if (f.kind !== 'partition' || f.fromMs > end.endTimeMs) continue;
      const y1 = lay.timeToY(f.fromMs);
      const y2 = f.untilMs > end.endTimeMs ? endLineY : lay.timeToY(f.untilMs);
      // sides A, B, ... as listed, and one more side of every node not listed
      const letter = (k) => String.fromCharCode(65 + k);
      const sideOf = (id) => { const k = f.sides.findIndex((side) => side.includes(id)); return k < 0 ? f.sides.length : k; };
      const rest = nodes.filter((id) => sideOf(id) === f.sides.length);
      const named = [...f.sides, ...(rest.length ? [rest] : [])].map((side, k) => `${letter(k)}={${side.join(',')}}`);
      const label = `partition ${named.join(' | ')}, ${round3(f.fromMs)}–${ms(f.untilMs)}`;
      const g = svg('g', { class: 'partition', 'data-fault': 'partition' },
        svg('title', { text: `${label}: messages across the cut are dropped` }),
        svg('rect', { x: laneLeft, y: y1, width: laneRight - laneLeft, height: Math.max(2, y2 - y1), class: 'partition-band' }),
        svg('text', { x: laneRight - 6, y: y1 + 13, 'text-anchor': 'end', class: 'partition-label', text: label }));
      for (const id of nodes) {
        const k = sideOf(id);
        sidesG.append(svg('g', { transform: `translate(${laneX(id)},${y1 + 19})`, class: `side side-${k % 4}` }, svg('title', { text: `${id} is on side ${letter(k)}` }),
          svg('rect', { x: -9, y: 0, width: 18, height: 14, rx: 3 }),
          svg('text', { y: 11, 'text-anchor': 'middle', text: letter(k) })));
      }
      faultsG.append(g);
    }

    // lanes: solid while up, dashed while down (from a crash to its recovery), faint after the end
    const lanesG = svg('g', { class: 'lanes' });
    for (const id of nodes) {
      const x = laneX(id);
      const g = svg('g', { class: 'lane', 'data-lane': id });
      let from = TOP - 14;
      let down = false;
      for (const i of recordsOf.get(id)) {
        const r = events[i];
        if (r.event.kind !== 'crash' && r.event.kind !== 'recover') continue;
        const y = lay.rowOf[i].y;
        g.append(svg('line', { x1: x, y1: from, x2: x, y2: y, class: down ? 'lane-down' : 'lane-up' }));
        from = y;
        down = r.event.kind === 'crash';
      }
      g.append(svg('line', { x1: x, y1: from, x2: x, y2: endLineY, class: down ? 'lane-down' : 'lane-up' }));
      if (bottom > endLineY) g.append(svg('line', { x1: x, y1: endLineY, x2: x, y2: bottom, class: 'lane-after' }));
      if (down) g.append(svg('text', { x: x + 6, y: endLineY - 6, class: 'down-label', text: 'down' }));
      lanesG.append(g);
    }

    // the end of the run (and what was still in flight then), and the violation
    const endG = svg('g', { class: 'end' });
    if (bottom > endLineY) endG.append(svg('rect', { x: laneLeft, y: endLineY, width: laneRight - laneLeft, height: bottom - endLineY, class: 'after-zone' }));
    endG.append(
      svg('line', { x1: laneLeft, y1: endLineY, x2: laneRight, y2: endLineY, class: 'end-line' }),
      svg('text', { x: AXIS_W - 21, y: endLineY + 4, 'text-anchor': 'end', class: 'end-tick', text: 'end' }),
      svg('text', { x: laneLeft + 6, y: endLineY + 15, class: 'end-label', text: `run ended at ${ms(end.endTimeMs)} (${end.stop}) after ${plural(end.events, 'event')}${inFlight.length ? `; ${plural(inFlight.length, 'message')} still in flight` : ''}` }));

    // labels placed so far, as boxes in buckets of 40 px of y, so later labels can avoid them
    const placed = new Map();
    const boxesAt = (b, add) => {
      for (let k = Math.floor(b.y1 / 40); k <= Math.floor(b.y2 / 40); k++) {
        if (add) { if (!placed.has(k)) placed.set(k, []); placed.get(k).push(b); }
        else for (const o of placed.get(k) || []) if (o.x1 < b.x2 && b.x1 < o.x2 && o.y1 < b.y2 && b.y1 < o.y2) return true;
      }
      return false;
    };
    const points = events.map(markPoint);
    const markLabelRoom = Math.floor((spacing - 24) / 6.7);
    const markParts = events.map((r) => (r.event.kind === 'drop' ? [] : markLabel(r)));
    events.forEach((r, i) => {
      const n = Math.min(markLabelRoom, markParts[i].reduce((sum, [t], k) => sum + t.length + (k ? 1 : 0), 0));
      if (n) boxesAt({ x1: points[i].x + 10, x2: points[i].x + 12 + n * 6.7, y1: points[i].y - 9, y2: points[i].y + 3 }, true);
    });

    // messages
    const arrowsG = svg('g', { class: 'arrows' });
    const labelsG = svg('g', { class: 'arrow-labels' });
    /** Per send record, the × marks of its copies lost at once: they start at the sender, so no arrow bends for them. */
    const lostAt = events.map(() => []);
    events.forEach((r, i) => {
      const c = endedCopy[i];
      if (c && r.event.kind === 'drop' && r.event.reason === 'loss') lostAt[c.send].push(i);
    });
    /** Marks as obstacles, by y, so arrows can bend around the marks of lanes they pass over. */
    const obstacles = points.map((pt, i) => ({ x: pt.x, y: pt.y, i })).sort((a, b) => a.y - b.y);
    function blocked(x, y, skip) {
      let lo = 0;
      let hi = obstacles.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (obstacles[mid].y < y - 13) lo = mid + 1; else hi = mid;
      }
      for (let k = lo; k < obstacles.length && obstacles[k].y <= y + 13; k++) {
        const o = obstacles[k];
        if (!skip.includes(o.i) && Math.hypot(o.x - x, o.y - y) < 13) return true;
      }
      return false;
    }
    /**
     * The path of an arrow from p0 to p2: straight, or, when that would run through another event's
     * mark (making the message look as if it went through that node), a gentle quadratic curve.
     */
    function route(p0, p2, skip) {
      const dx = p2.x - p0.x;
      const dy = p2.y - p0.y;
      const len = Math.hypot(dx, dy) || 1;
      const mid = { x: (p0.x + p2.x) / 2, y: (p0.y + p2.y) / 2 };
      const at = (c, t) => ({
        x: (1 - t) * (1 - t) * p0.x + 2 * (1 - t) * t * c.x + t * t * p2.x,
        y: (1 - t) * (1 - t) * p0.y + 2 * (1 - t) * t * c.y + t * t * p2.y,
      });
      let c = mid;
      for (const bend of [0, 16, -16, 32, -32, 56, -56]) {
        const cand = { x: mid.x - (dy / len) * bend * 2, y: mid.y + (dx / len) * bend * 2 };
        let clear = true;
        for (let k = 2; k <= 46 && clear; k++) {
          const q = at(cand, k / 48);
          if (blocked(q.x, q.y, skip)) clear = false;
        }
        if (clear) { c = cand; break; }
      }
      const unit = (a, b) => { const d = Math.hypot(b.x - a.x, b.y - a.y) || 1; return { x: (b.x - a.x) / d, y: (b.y - a.y) / d }; };
      return {
        c,
        /** The SVG path, its ends pulled in by `cut0` and `cut2` px (to stop at a mark's edge). */
        d(cut0, cut2) {
          const u0 = unit(p0, c);
          const u2 = unit(c, p2);
          return `M${p0.x + u0.x * cut0},${p0.y + u0.y * cut0} Q${c.x},${c.y} ${p2.x - u2.x * cut2},${p2.y - u2.y * cut2}`;
        },
        /** Where the curve crosses x (or its middle, for a vertical one), and its direction there. */
        point(x) {
          let t = 0.5;
          if (Math.abs(dx) >= 1) {
            let best = Infinity;
            for (let k = 1; k < 64; k++) {
              const d = Math.abs(at(c, k / 64).x - x);
              if (d < best) { best = d; t = k / 64; }
            }
          }
          const q = at(c, t);
          const tx = 2 * (1 - t) * (c.x - p0.x) + 2 * t * (p2.x - c.x);
          const ty = 2 * (1 - t) * (c.y - p0.y) + 2 * t * (p2.y - c.y);
          return { x: q.x, y: q.y, angle: (Math.atan2(ty, tx) * 180) / Math.PI };
        },
      };
    }
    /**
     * A label along an arrow, upright, preferably in the middle of the gap between lanes nearest the
     * receiver (so the labels of a broadcast do not pile up at the sender), elsewhere along the arrow
     * when that spot is taken by another label.
     */
    function arrowLabel(path, p0, p2, text, cls) {
      const dx = p2.x - p0.x;
      const dir = Math.sign(dx);
      const gaps = Math.max(1, Math.round(Math.abs(dx) / spacing));
      const targets = [];
      for (let g = 0; g < gaps; g++) {
        const centre = p2.x - dir * spacing * (g + 0.5);
        targets.push(centre, centre + dir * spacing * 0.22, centre - dir * spacing * 0.22);
      }
      let best = null;
      for (const x of Math.abs(dx) < 1 ? [p0.x] : targets) {
        const q = path.point(x);
        let angle = q.angle;
        if (angle > 90) angle -= 180;
        if (angle < -90) angle += 180;
        const a = (angle * Math.PI) / 180;
        const room = Math.min(Math.hypot(dx, p2.y - p0.y), Math.abs(dx) < 1 ? 200 : Math.min(spacing, Math.abs(dx)) / Math.max(0.2, Math.abs(Math.cos(a))));
        const shown = clip(text, Math.floor((room - 22) / 5.8));
        const w = shown.length * 5.8;
        const cx = q.x + 8.5 * Math.sin(a);
        const cy = q.y - 8.5 * Math.cos(a);
        const hx = (Math.abs(Math.cos(a)) * w + Math.abs(Math.sin(a)) * 12) / 2;
        const hy = (Math.abs(Math.sin(a)) * w + Math.abs(Math.cos(a)) * 12) / 2;
        const box = { x1: cx - hx, x2: cx + hx, y1: cy - hy, y2: cy + hy };
        const spot = { q, angle, shown, box };
        if (!best) best = spot;
        if (!boxesAt(box, false)) { best = spot; break; }
      }
      boxesAt(best.box, true);
      return svg('text', {
        transform: `translate(${best.q.x},${best.q.y}) rotate(${best.angle})`, y: -4,
        'text-anchor': 'middle', class: `arrow-label ${cls}`, text: best.shown,
      });
    }
    for (const c of delivered) {
      const p0 = points[c.send];
      const p2 = points[c.end.i];
      const title = svg('title', { text: `${c.from} → ${c.to}: ${msgLabel(c.msg)}\nsent at ${ms(events[c.send].t)} (#${c.send}), delivered at ${ms(c.at)} (#${c.end.i})` });
      const attrs = { class: 'arrow', 'data-arrow': true, 'data-send': c.send, 'data-receive': c.end.i, 'data-from': c.from, 'data-to': c.to };
      let d;
      if (c.from === c.to) {
        d = `M${p0.x + MARK_R - 1},${p0.y + 3} C${p0.x + 46},${p0.y + 6} ${p2.x + 46},${p2.y - 6} ${p2.x + MARK_R + 1.5},${p2.y - 1}`;
        labelsG.append(svg('text', { x: p0.x + 40, y: (p0.y + p2.y) / 2 + 4, class: 'arrow-label', text: clip(msgLabel(c.msg), Math.floor((spacing - 50) / 5.8)) }));
      } else {
        const path = route(p0, p2, [c.send, c.end.i, ...lostAt[c.send]]);
        d = path.d(MARK_R - 2, MARK_R + 1.5);
        labelsG.append(arrowLabel(path, p0, p2, msgLabel(c.msg), ''));
      }
      const g = svg('g', attrs, title, svg('path', { d, class: 'hit' }), svg('path', { d, class: 'line', 'marker-end': 'url(#head)' }));
      g.addEventListener('click', () => select(c.end.i, false));
      arrowsG.append(g);
    }
    for (const r of events) {
      if (r.event.kind !== 'drop') continue;
      const c = endedCopy[r.i];
      const p2 = points[r.i];
      const g = svg('g', { class: 'lost', 'data-lost': true, 'data-reason': r.event.reason, 'data-event-ref': r.i },
        svg('title', { text: `${describe(r)}: ${msgLabel(r.event.msg)}${c ? `, sent at ${ms(events[c.send].t)} (#${c.send})` : ''}` }));
      if (c) {
        const p0 = points[c.send];
        const path = route(p0, p2, [c.send, r.i, ...lostAt[c.send]]);
        g.append(svg('path', { d: path.d(MARK_R - 2, 6), class: 'line' }));
        if (r.event.reason !== 'loss') labelsG.append(arrowLabel(path, p0, p2, msgLabel(r.event.msg), 'lost-label'));
        else {
          const right = p2.x >= p0.x;
          labelsG.append(svg('text', { x: p2.x + (right ? 9 : -9), y: p2.y + 12, 'text-anchor': right ? 'start' : 'end', class: 'arrow-label lost-label', text: clip(`${r.event.msg.type} lost`, Math.floor((spacing / 2 - 12) / 5.8)) }));
        }
      }
      g.addEventListener('click', () => select(r.i, false));
      arrowsG.append(g);
    }
    for (const c of inFlight) {
      // drawn to where it was due, in the zone after the end: it never arrived
      const p0 = points[c.send];
      const p2 = { x: laneX(c.to), y: afterY(c.at) };
      const path = c.from === c.to ? null : route(p0, p2, [c.send, ...lostAt[c.send]]);
      const d = path ? path.d(MARK_R - 2, 2) : `M${p0.x + MARK_R - 1},${p0.y + 3} C${p0.x + 46},${p0.y + 6} ${p2.x + 46},${p2.y - 6} ${p2.x + 3},${p2.y}`;
      arrowsG.append(svg('g', { class: 'inflight', 'data-inflight': true, 'data-send': c.send, 'data-from': c.from, 'data-to': c.to },
        svg('title', { text: `${c.from} → ${c.to}: ${msgLabel(c.msg)}\nsent at ${ms(events[c.send].t)} (#${c.send}), due at ${ms(c.at)}: still in flight when the run ended` }),
        svg('path', { d, class: 'line', 'marker-end': 'url(#head-open)' }),
        svg('circle', { cx: p2.x, cy: p2.y, r: 2.5, class: 'due-dot' })));
      labelsG.append(svg('text', { x: p2.x + 6, y: p2.y + 4, class: 'arrow-label inflight-label', text: clip(`${msgLabel(c.msg)} due ${ms(c.at)}`, Math.floor((spacing - 16) / 5.8)) }));
    }

    // events
    const marksG = svg('g', { class: 'marks' });
    const markLabelsG = svg('g', { class: 'mark-labels' });
    for (const r of events) {
      const p = markPoint(r);
      const isViolation = violation && violation.i === r.i;
      const fault = r.event.kind === 'crash' || r.event.kind === 'recover' ? r.event.kind : null;
      const g = svg('g', {
        class: `mark kind-${r.event.kind}${isViolation ? ' violation' : ''}`,
        transform: `translate(${p.x},${p.y})`,
        tabindex: 0, role: 'button', 'aria-label': `event ${r.i}: ${describe(r)}`,
        'data-event': r.i, 'data-kind': r.event.kind, 'data-fault': fault, 'data-violation': isViolation || null,
      }, svg('title', { text: `#${r.i} at ${ms(r.t)}: ${describe(r)}${isViolation ? `\n${violation.property} violated after this event` : ''}` }));
      if (isViolation) {
        g.append(svg('circle', { r: 17, class: 'violation-halo' }), svg('circle', { r: 12, class: 'violation-ring' }));
      }
      g.append(svg('circle', { r: 11, class: 'hit' }), svg('circle', { r: 12, class: 'select-ring' }), markShape(r));
      if (r.outputs.length) g.append(svg('circle', { cx: 7, cy: -7, r: 3.5, class: 'output-dot' }));
      g.addEventListener('click', () => select(r.i, false));
      g.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(r.i, false); } });
      marksG.append(g);
      if (r.event.kind === 'drop') continue;
      if (markParts[r.i].length) markLabelsG.append(labelText({ x: p.x + 12, y: p.y + 1, class: 'mark-label' }, markParts[r.i], markLabelRoom));
    }
    if (violation) {
      const y = lay.rowOf[violation.i].y;
      endG.append(
        svg('line', { x1: laneLeft, y1: y, x2: laneRight, y2: y, class: 'violation-line' }),
        svg('text', { x: laneRight - 4, y: y - 6, 'text-anchor': 'end', class: 'violation-label', text: `✗ ${violation.property} violated` }));
    }

    chart.replaceChildren(defs, back, faultsG, axis, lanesG, sidesG, endG, arrowsG, labelsG, marksG, markLabelsG);
    chart.setAttribute('width', W);
    chart.setAttribute('height', H);
    chart.setAttribute('viewBox', `0 0 ${W} ${H}`);
    if (view.selected !== null) highlight(view.selected);
  }

  // ---- selection and the state panel ---------------------------------------------------------

  const panel = document.getElementById('state-panel');

  function highlight(i) {
    for (const e of chart.querySelectorAll('.selected, .related')) e.classList.remove('selected', 'related');
    const mark = chart.querySelector(`[data-event="${i}"]`);
    if (mark) mark.classList.add('selected');
    for (const a of chart.querySelectorAll(`[data-send="${i}"], [data-receive="${i}"], [data-event-ref="${i}"]`)) a.classList.add('related');
    for (const line of chart.querySelectorAll('.arrow .line')) {
      line.setAttribute('marker-end', line.parentNode.classList.contains('related') ? 'url(#head-hot)' : 'url(#head)');
    }
  }

  /** A value printed as JSON.stringify(v, null, 2) prints it, with the lines of the given fields marked. */
  function jsonView(value, fields, cls) {
    const out = [];
    const walk = (v, path, depth, prefix, suffix, inherited) => {
      const marked = inherited || fields.has(path);
      const pad = '  '.repeat(depth);
      const isObj = typeof v === 'object' && v !== null;
      const entries = isObj ? (Array.isArray(v) ? v.map((x, k) => [String(k), x]) : Object.entries(v)) : [];
      if (!isObj || entries.length === 0) {
        out.push([`${pad}${prefix}${JSON.stringify(v)}${suffix}`, marked]);
        return;
      }
      const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
      out.push([`${pad}${prefix}${open}`, marked]);
      entries.forEach(([k, x], n) => {
        const sub = Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
        walk(x, sub, depth + 1, Array.isArray(v) ? '' : `${JSON.stringify(k)}: `, n < entries.length - 1 ? ',' : '', marked);
      });
      out.push([`${pad}${close}${suffix}`, marked]);
    };
    walk(value, '', 0, '', '', false);
    return out.map(([text, marked]) => html('span', { class: marked ? `ln ${cls}` : 'ln', text: `${text}\n` }));
  }

  function section(title, ...body) {
    return html('section', {}, html('h3', { text: title }), ...body);
  }

  function eventLink(i, text) {
    return html('a', { href: `#event-${i}`, class: 'event-link', onclick: (ev) => { ev.preventDefault(); select(i, true); } }, text || `#${i}`);
  }

  function showPanel(i) {
    const r = events[i];
    const { before, after } = statesAround(i);
    const isViolation = violation && violation.i === i;
    const kids = [];
    kids.push(html('div', { class: 'panel-head' },
      html('div', { class: 'panel-title' },
        html('span', { class: 'event-no', text: `#${i}` }),
        html('span', { class: `badge kind-${r.event.kind}`, text: r.event.kind }),
        html('span', { class: 'node-name', text: r.node })),
      html('div', { class: 'panel-desc', text: describe(r) }),
      html('div', { class: 'panel-time', text: `t = ${ms(r.t)}` }),
      html('div', { class: 'panel-nav' },
        html('button', { type: 'button', disabled: i === 0, onclick: () => select(i - 1, true), title: 'previous event (↑ or k)', text: '◀ previous' }),
        html('button', { type: 'button', disabled: i === events.length - 1, onclick: () => select(i + 1, true), title: 'next event (↓ or j)', text: 'next ▶' }))));
    if (isViolation) {
      kids.push(html('div', { class: 'panel-violation', text: `✗ ${violation.property} is violated after this event` }));
    }

    const e = r.event;
    const eventBody = [];
    if (e.kind === 'message' || e.kind === 'drop') {
      eventBody.push(html('pre', { class: 'json', text: JSON.stringify(e.msg, null, 2) }));
      const c = endedCopy[i];
      if (c) eventBody.push(html('p', { class: 'note' }, `sent by ${c.from} at ${ms(events[c.send].t)} in `, eventLink(c.send)));
      if (e.kind === 'drop') eventBody.push(html('p', { class: 'note', text: `${e.from} → ${e.to}: ${DROP_REASON[e.reason] || e.reason}` }));
    } else if (e.kind === 'crash') {
      eventBody.push(html('p', { class: 'note', text: 'The node stops: its timers are cancelled and messages reaching it are dropped until it recovers.' }));
    } else if (e.kind === 'recover') {
      eventBody.push(html('p', { class: 'note', text: 'The node restarts with its durable fields.' }));
    } else if (e.kind === 'timer') {
      eventBody.push(html('p', { class: 'note', text: `timer ${e.name} fired` }));
    } else if (e.kind === 'start') {
      eventBody.push(html('p', { class: 'note', text: 'The node runs its init handler.' }));
    }
    kids.push(section('Event', ...eventBody));

    if (r.changes.length) {
      kids.push(section('Changes', html('table', { class: 'changes' },
        html('thead', {}, html('tr', {}, html('th', { text: 'field' }), html('th', { text: 'before' }), html('th', { text: 'after' }))),
        html('tbody', {}, ...r.changes.map((c) => html('tr', {},
          html('td', { class: 'field', text: c.field || '(whole state)' }),
          c.before === undefined ? html('td', { class: 'absent', text: 'absent' }) : html('td', { class: 'before', text: compact(c.before) }),
          c.after === undefined ? html('td', { class: 'absent', text: 'removed' }) : html('td', { class: 'after', text: compact(c.after) })))))));
    } else {
      kids.push(section('Changes', html('p', { class: 'note', text: 'The state did not change.' })));
    }

    const beforeFields = new Set(r.changes.filter((c) => c.before !== undefined || c.field === '').map((c) => c.field));
    const afterFields = new Set(r.changes.filter((c) => c.after !== undefined).map((c) => c.field));
    const stateBox = (id, value, fields, cls) => (value === undefined
      ? html('pre', { id, class: 'json empty', text: e.kind === 'start' && id === 'state-before' ? '(none: the node has not started)' : '(none)' })
      : html('pre', { id, class: 'json' }, ...jsonView(value, fields, cls)));
    kids.push(section(`State of ${r.node} before`, stateBox('state-before', before, beforeFields, 'was')));
    kids.push(section(`State of ${r.node} after`, stateBox('state-after', after, afterFields, 'now')));

    if (r.sent.length) {
      kids.push(section('Messages sent', html('ul', { class: 'sent' }, ...r.sent.map((s, k) => {
        const mine = copies.filter((c) => c.send === i && c.k === k);
        const fates = mine.map((c) => {
          if (c.end && c.end.kind === 'delivered') return html('span', {}, `arrives ${ms(c.at)} `, eventLink(c.end.i));
          if (c.end) return html('span', { class: 'lost-text' }, c.at === null ? 'lost ' : `dropped at ${ms(c.at)} `, eventLink(c.end.i));
          return html('span', { class: 'muted' }, `due ${ms(c.at)}, in flight at the end`);
        });
        const fateLine = html('div', { class: 'fate' });
        fates.forEach((f, n) => { if (n) fateLine.append(html('span', { class: 'muted', text: ' · ' })); fateLine.append(f); });
        return html('li', {}, html('div', {}, html('strong', { text: `→ ${s.to}` }), ' ', html('code', { text: msgLabel(s.msg) })), fateLine);
      }))));
    }
    if (r.timers.length) {
      kids.push(section('Timers', html('ul', { class: 'timers' }, ...r.timers.map((x) => html('li', {
        text: 'set' in x ? `set ${x.set} (delay ${ms(x.delayMs)}), due ${ms(x.at)}` : `cancel ${x.cancel}`,
      })))));
    }
    if (r.outputs.length) {
      kids.push(section('Outputs', ...r.outputs.map((o) => html('pre', { class: 'json output', text: JSON.stringify(o, null, 2) }))));
    }
    panel.replaceChildren(...kids);
    panel.scrollTop = 0;
  }

  function select(i, scroll) {
    if (i < 0 || i >= events.length) return;
    view.selected = i;
    highlight(i);
    showPanel(i);
    history.replaceState(null, '', `#event-${i}`);
    const mark = chart.querySelector(`[data-event="${i}"]`);
    if (scroll && mark) mark.scrollIntoView({ block: 'center', inline: 'nearest' });
  }

  // ---- the page around the diagram ------------------------------------------------------------

  function renderHeader() {
    const f = header.faults;
    const params = Object.entries(header.params).map(([k, v]) => `${k}=${v}`).join(', ');
    const faults = [
      f.dropRate ? `drop ${round3(f.dropRate * 100)}%` : null,
      f.duplicateRate ? `duplicate ${round3(f.duplicateRate * 100)}%` : null,
      ...(f.events || []).map(fmtFault),
      ...Object.entries(f.clockSkew || {}).map(([id, x]) => `skew ${id} ${x}`),
    ].filter(Boolean);
    const chip = (label, value) => html('span', { class: 'chip' }, html('span', { class: 'chip-k', text: label }), html('span', { class: 'chip-v', text: value }));
    document.getElementById('meta').replaceChildren(
      chip('params', params || 'none'),
      ...(header.runtime
        // A run of real processes: times are wall-clock ms from its first step.
        ? [chip('real processes', `started ${header.runtime.startedAt}`),
          chip('events', events.length.toLocaleString('en-US')),
          chip('wall time', ms(end.endTimeMs))]
        : header.checker
        // A run the model checker found: its steps are 1 ms apart and the checker chose every fault.
        ? [chip('model checker', (header.checker.property ? `counterexample to ${header.checker.property}, ` : '') + `path ${header.checker.path || '(initial state)'}`),
          chip('events', events.length.toLocaleString('en-US')),
          chip('network', [header.network.ordering, header.network.lossy && 'lossy', header.network.duplicating && 'duplicating',
            header.network.crashes > 0 && `at most ${header.network.crashes} crash${header.network.crashes === 1 ? '' : 'es'} (${header.network.crashMode})`].filter(Boolean).join(', ')),
          chip('time', '1 ms per step')]
        : [chip('seed', String(header.seed)),
          chip('events', events.length.toLocaleString('en-US')),
          chip('virtual time', ms(end.endTimeMs)),
          chip('network', header.network.ordering),
          chip('latency', fmtDistribution(header.latency.default) + (header.latency.links.length ? ` + ${plural(header.latency.links.length, 'link override')}` : '')),
          chip('faults', faults.join(' · ') || 'none')]));

    const banner = document.getElementById('banner');
    if (violation) {
      const r = events[violation.i];
      banner.className = 'banner bad';
      banner.setAttribute('data-property', violation.property);
      banner.replaceChildren(
        html('span', { class: 'banner-icon', text: '✗' }),
        html('span', {}, html('strong', { text: `Property “${violation.property}” violated` }), ` after event #${violation.i} at ${ms(r.t)}: ${describe(r)}.`),
        html('button', { type: 'button', onclick: () => select(violation.i, true), text: 'Show event' }));
    } else {
      const why = { quiescent: 'nothing was left to happen', time: 'the time limit was reached', events: 'the event limit was reached' }[end.stop] || end.stop;
      banner.className = 'banner ok';
      banner.replaceChildren(html('span', { class: 'banner-icon', text: '✓' }),
        html('span', {}, html('strong', { text: 'No property violated.' }), ` The run stopped after ${plural(end.events, 'event')} at ${ms(end.endTimeMs)}: ${why}.`));
    }
  }

  function renderLegend() {
    const icon = (...shapes) => svg('svg', { width: 28, height: 20, viewBox: '-14 -10 28 20', class: 'legend-icon' }, ...shapes);
    const item = (cls, ic, text) => html('span', { class: `legend-item ${cls}` }, ic, html('span', { text }));
    document.getElementById('legend').replaceChildren(
      item('kind-start', icon(svg('circle', { r: 6, class: 'shape' })), 'start'),
      item('kind-message', icon(svg('circle', { r: 6, class: 'shape' })), 'received'),
      item('kind-timer', icon(svg('rect', { x: -5, y: -5, width: 10, height: 10, transform: 'rotate(45)', class: 'shape' })), 'timer'),
      item('', icon(svg('circle', { r: 6, class: 'legend-plain' }), svg('circle', { cx: 6, cy: -5, r: 3.5, class: 'output-dot' })), 'output'),
      item('arrow', icon(svg('path', { d: 'M-12,-5 L12,4', class: 'line', 'marker-end': 'url(#head)' })), 'message'),
      item('lost', icon(svg('path', { d: 'M-12,-5 L2,0', class: 'line' }), svg('path', { d: 'M3,-3 L10,4 M3,4 L10,-3', class: 'x' })), 'lost / dropped'),
      item('inflight', icon(svg('path', { d: 'M-12,-5 L11,4', class: 'line', 'marker-end': 'url(#head-open)' })), 'in flight at end'),
      item('kind-crash', icon(svg('rect', { x: -6, y: -6, width: 12, height: 12, rx: 2, class: 'shape' })), 'crash'),
      item('kind-recover', icon(svg('path', { d: 'M0,-7 L6.5,5 L-6.5,5 Z', class: 'shape' })), 'recover'),
      item('lane-down-item', icon(svg('line', { x1: 0, y1: -10, x2: 0, y2: 10, class: 'lane-down' })), 'node down'),
      item('partition', icon(svg('rect', { x: -12, y: -7, width: 24, height: 14, class: 'partition-band' })), 'partition'),
      item('violation-item', icon(svg('circle', { r: 8, class: 'violation-ring' }), svg('circle', { r: 4, class: 'legend-plain' })), 'violation'));
  }

  function renderControls() {
    const zoomLabel = document.getElementById('zoom-level');
    const setZoom = (z) => {
      view.zoom = Math.min(64, Math.max(1 / 64, z));
      zoomLabel.textContent = `${Math.round(view.zoom * 100)}%`;
      render();
    };
    document.getElementById('zoom-out').addEventListener('click', () => setZoom(view.zoom / 1.5));
    document.getElementById('zoom-in').addEventListener('click', () => setZoom(view.zoom * 1.5));
    document.getElementById('zoom-reset').addEventListener('click', () => setZoom(1));
    document.addEventListener('keydown', (ev) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const cur = view.selected;
      if (ev.key === 'ArrowDown' || ev.key === 'j') { ev.preventDefault(); select(cur === null ? 0 : cur + 1, true); }
      else if (ev.key === 'ArrowUp' || ev.key === 'k') { ev.preventDefault(); select(cur === null ? 0 : cur - 1, true); }
    });
    let pending = 0;
    window.addEventListener('resize', () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(render);
    });
  }

  document.title = `${header.protocol} · ${header.checker ? 'model checker' : header.runtime ? 'real processes' : `seed ${header.seed}`} · protoforge trace`;
  document.getElementById('protocol-name').textContent = header.protocol;
  renderHeader();
  renderLegend();
  renderControls();
  render();
  const wanted = /^#event-(\d+)$/.exec(location.hash);
  if (wanted && Number(wanted[1]) < events.length) select(Number(wanted[1]), true);
  else if (violation) select(violation.i, true);
  else panel.replaceChildren(html('p', { class: 'panel-hint', text: 'Click an event to see its node’s state before and after it, the messages it sent and its outputs. ↑/↓ step through the events.' }));
  document.body.setAttribute('data-ready', '');
})();
