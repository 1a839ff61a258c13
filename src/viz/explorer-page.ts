/**
 * The explorer's page: one self-contained HTML document whose script asks the server for the state a
 * path leads to (`/api/view?path=0/2/1`) and draws it. The path is also the page's URL (`?path=...`),
 * so any state can be bookmarked, shared and reloaded; the browser's back button steps back.
 */
export function explorerPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)} · protoforge explorer</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { background: #1d2330; color: #fff; padding: 10px 18px; }
  header h1 { font-size: 16px; margin: 0; }
  header .params { opacity: .75; font-size: 13px; }
  main { display: grid; grid-template-columns: 320px 1fr 300px; gap: 14px; padding: 14px; }
  section { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 10px 12px; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: #5a6475; margin: 0 0 8px; }
  ol.steps { margin: 0; padding-left: 22px; }
  ol.steps li { cursor: pointer; padding: 2px 0; }
  ol.steps li:hover { text-decoration: underline; }
  ol.steps li.current { font-weight: 600; cursor: default; text-decoration: none; }
  button.action { display: block; width: 100%; text-align: left; margin: 0 0 6px; padding: 6px 8px; border: 1px solid #c8cfdb;
    background: #fff; border-radius: 4px; cursor: pointer; font: inherit; }
  button.action:hover { background: #eef3ff; border-color: #7d9be0; }
  table { border-collapse: collapse; width: 100%; }
  td { border-top: 1px solid #eceef2; padding: 5px 6px; vertical-align: top; }
  td.node { font-weight: 600; white-space: nowrap; width: 1%; }
  td.crashed { color: #b42318; }
  code { font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; word-break: break-word; }
  .changed { background: #fff6d6; }
  .prop { display: flex; gap: 8px; padding: 3px 0; }
  .prop .mark { width: 18px; text-align: center; font-weight: 700; }
  .prop[data-holds="true"] .mark { color: #127a3a; }
  .prop[data-holds="false"] .mark { color: #b42318; }
  .kind { color: #5a6475; font-size: 12px; }
  .empty { color: #8a93a3; }
  #error { color: #b42318; }
</style>
</head>
<body>
<header><h1 id="title"></h1><div class="params" id="params"></div></header>
<main>
  <section><h2>Path</h2><ol class="steps" id="steps"></ol></section>
  <section><h2>State</h2><div id="error"></div><table id="nodes"></table>
    <h2 style="margin-top:14px">Messages in flight</h2><div id="messages"></div></section>
  <section><h2>Properties here</h2><div id="properties"></div>
    <h2 style="margin-top:14px">Next</h2><div id="next"></div></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const text = (tag, content, attrs = {}) => {
  const el = document.createElement(tag);
  el.textContent = content;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
};
const describe = (a) => ({
  init: () => 'Initial state',
  deliver: () => a.node + ' receives ' + a.msg.type + ' from ' + a.from + ' ' + JSON.stringify(a.msg),
  timer: () => a.node + ' fires timer ' + a.timer,
  drop: () => 'network drops ' + a.msg.type + ' from ' + a.from + ' to ' + a.node,
  crash: () => a.node + ' crashes',
  recover: () => a.node + ' recovers',
})[a.kind]();
const pathOf = () => new URLSearchParams(location.search).get('path') || '';
const go = (path) => { history.pushState(null, '', '?path=' + path); show(path); };

async function show(path) {
  const res = await fetch('api/view?path=' + encodeURIComponent(path));
  const body = await res.json();
  if (!res.ok) { $('error').textContent = body.error; return; }
  $('error').textContent = '';
  const view = body.view;
  $('title').textContent = body.protocol;
  $('params').textContent = body.params;
  const steps = $('steps');
  steps.replaceChildren();
  const ranks = view.trace.path === '' ? [] : view.trace.path.split('/');
  view.trace.steps.forEach((s, i) => {
    const li = text('li', describe(s.action), { 'data-step': String(i) });
    if (i === view.trace.steps.length - 1) li.className = 'current';
    else li.onclick = () => go(ranks.slice(0, i).join('/'));
    steps.append(li);
  });
  const last = view.trace.steps[view.trace.steps.length - 1];
  const changed = new Set(last.changes.map((c) => c.node));
  const nodes = $('nodes');
  nodes.replaceChildren();
  for (const [id, state] of Object.entries(last.states)) {
    const tr = document.createElement('tr');
    if (changed.has(id)) tr.className = 'changed';
    const crashed = last.crashed.includes(id);
    tr.append(text('td', id + (crashed ? ' (crashed)' : ''), { class: 'node' + (crashed ? ' crashed' : '') }));
    const td = document.createElement('td');
    td.append(text('code', JSON.stringify(state), { id: 'node-state-' + id }));
    tr.append(td);
    nodes.append(tr);
  }
  const messages = $('messages');
  messages.replaceChildren();
  if (view.messages.length === 0) messages.append(text('div', 'none', { class: 'empty' }));
  for (const m of view.messages) messages.append(text('div', m.from + ' → ' + m.to + ': ' + JSON.stringify(m.msg), { 'data-message': '' }));
  const props = $('properties');
  props.replaceChildren();
  for (const p of view.properties) {
    const row = document.createElement('div');
    row.className = 'prop';
    row.setAttribute('data-property', p.name);
    row.setAttribute('data-holds', String(p.holds));
    row.append(text('span', p.holds ? '✓' : '✗', { class: 'mark' }), text('span', p.name), text('span', p.kind, { class: 'kind' }));
    props.append(row);
  }
  const next = $('next');
  next.replaceChildren();
  if (view.next.length === 0) next.append(text('div', 'nothing can happen here', { class: 'empty' }));
  view.next.forEach((a, k) => {
    const b = text('button', describe(a), { class: 'action', 'data-action': String(k) });
    b.onclick = () => go(ranks.concat([k]).join('/'));
    next.append(b);
  });
}
window.onpopstate = () => show(pathOf());
show(pathOf());
</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
