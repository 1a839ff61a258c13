import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { instantiate } from '../src/core/index.ts';
import { paxos, twoPhaseCommit } from '../src/protocols/index.ts';
import { check } from '../src/check/index.ts';
import { simulate, traceFromCheckerRun } from '../src/sim/index.ts';
import type { SimTrace } from '../src/sim/index.ts';
import { renderTraceHtml } from '../src/viz/trace-html.ts';
import { launchChromium } from './browser.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'protoforge-viewer-'));
const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url));

/** What the trace says the diagram must draw, counted from the records alone. */
function expected(trace: SimTrace) {
  const count = (p: (e: SimTrace['events'][number]) => boolean) => trace.events.filter(p).length;
  const copies = trace.events.flatMap((r) => r.sent.flatMap((s) => s.at));
  return {
    // Every copy the network made of a send (each entry of `sent[].at`) ends in exactly one of: a
    // message record at its receiver (delivered: one arrow), a drop record on arrival (the receiver was
    // down or partitioned off: an arrow ending in ×), or nothing (still in flight when the run ended:
    // a dotted arrow). So the delivered arrows are the message records.
    arrows: count((r) => r.event.kind === 'message'),
    // Every drop record is one × (lost at send, or dropped on arrival).
    lost: count((r) => r.event.kind === 'drop'),
    droppedOnArrival: count((r) => r.event.kind === 'drop' && r.event.reason !== 'loss'),
    // In these runs nothing was due exactly at the end, so the copies in flight are those due after it.
    inFlight: copies.filter((at) => at > trace.end.endTimeMs).length,
    copies: copies.length,
    crashes: count((r) => r.event.kind === 'crash'),
  };
}

interface Opened {
  readonly page: Page;
  readonly url: string;
  /** Every URL the page asked for. */
  readonly requests: string[];
  /** Uncaught exceptions and console errors (a blocked resource or a CSP violation logs one). */
  readonly errors: string[];
}

let browser: Browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

async function open(trace: SimTrace, name: string, hash = ''): Promise<Opened> {
  const file = path.join(dir, `${name}.html`);
  writeFileSync(file, renderTraceHtml(trace));
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const url = pathToFileURL(file).href;
  await page.goto(url + hash);
  await page.waitForSelector('body[data-ready]', { timeout: 5000 });
  return { page, url, requests, errors };
}

const json = async (page: Page, selector: string) => JSON.parse(await page.locator(selector).textContent() ?? '');

describe('trace viewer (Chromium)', () => {
  test('two-phase commit, majority-commit, seed 100: lanes, arrows, the violation, and rm2 prepared -> committed', async () => {
    const run = simulate(instantiate(twoPhaseCommit, { params: { rms: 3, variant: 'majority-commit' } }), { seed: 100 });
    const want = expected(run.trace);
    assert.deepEqual(run.trace.end.violation, { i: 10, property: 'consistency' });
    // two prepared (rm2, rm3) delivered, and of the three commits only rm2's arrived before the run stopped
    assert.deepEqual({ arrows: want.arrows, lost: want.lost, inFlight: want.inFlight, copies: want.copies }, { arrows: 3, lost: 0, inFlight: 2, copies: 5 });

    const { page, url, requests, errors } = await open(run.trace, 'two-phase-commit');
    const lanes = await page.locator('[data-lane]').evaluateAll((es) => es.map((e) => e.getAttribute('data-lane')));
    assert.deepEqual(lanes, ['tm', 'rm1', 'rm2', 'rm3']);
    assert.equal(await page.locator('[data-arrow]').count(), want.arrows);
    assert.equal(await page.locator('[data-inflight]').count(), want.inFlight);
    assert.equal(want.copies, want.arrows + want.droppedOnArrival + want.inFlight);
    assert.equal(await page.locator('[data-lost]').count(), 0);
    assert.equal(await page.locator('[data-event]').count(), run.trace.events.length);
    assert.deepEqual(await page.locator('[data-violation]').evaluateAll((es) => es.map((e) => e.getAttribute('data-event'))), ['10']);
    assert.equal(await page.locator('#banner').getAttribute('data-property'), 'consistency');
    assert.match(await page.locator('#banner').textContent() ?? '', /Property “consistency” violated after event #10/);

    // another event first (the page opens on the violation), then the violating one
    await page.locator('[data-event="4"]').click();
    assert.deepEqual(await json(page, '#state-before'), { status: 'working' });
    assert.deepEqual(await json(page, '#state-after'), { status: 'prepared' });
    await page.locator('[data-event="10"]').click();
    assert.match(await page.locator('#state-panel').textContent() ?? '', /rm2 receives commit from tm/);
    assert.deepEqual(await json(page, '#state-before'), { status: 'prepared' });
    assert.deepEqual(await json(page, '#state-after'), { status: 'committed' });
    assert.equal(await page.locator('[data-event="10"]').getAttribute('class'), 'mark kind-message violation selected');

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'viewer.png') });
    assert.deepEqual(requests, [url]);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a model checker counterexample: its lanes, arrows, steps 1 ms apart, and where it came from', async () => {
    const options = { params: { rms: 3, variant: 'majority-commit' } };
    const failed = (await check(twoPhaseCommit, options)).properties.find((p) => p.name === 'consistency')!;
    const trace = traceFromCheckerRun(instantiate(twoPhaseCommit, options), failed.trace!, { property: 'consistency', kind: 'always', path: failed.trace!.path });
    const want = expected(trace);
    // rm2's and rm3's prepared and rm2's commit delivered; the commits to rm1 and rm3 are due 1 ms after the end
    assert.deepEqual({ arrows: want.arrows, lost: want.lost, inFlight: want.inFlight, copies: want.copies }, { arrows: 3, lost: 0, inFlight: 2, copies: 5 });
    const { page, url, requests, errors } = await open(trace, 'checker-counterexample');
    assert.equal(await page.locator('[data-lane]').count(), 4);
    assert.equal(await page.locator('[data-arrow]').count(), want.arrows);
    assert.equal(await page.locator('[data-inflight]').count(), want.inFlight);
    assert.equal(await page.locator('[data-event]').count(), 11);
    assert.equal(await page.locator('#banner').getAttribute('data-property'), 'consistency');
    assert.match(await page.locator('#meta').textContent() ?? '', /model checkercounterexample to consistency, path 1\/2\/2\/1\/2\/1\/3/);
    await page.locator('[data-event="10"]').click();
    assert.deepEqual(await json(page, '#state-after'), { status: 'committed' });
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'viewer-checker.png') });
    assert.deepEqual(requests, [url]);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('paxos with drops and a crash, seed 2: × per drop, one crash mark, a1 down after it', async () => {
    const run = simulate(instantiate(paxos), { seed: 2, faults: { dropRate: 0.2, events: [{ kind: 'crash', node: 'a1', atMs: 5 }] } });
    const want = expected(run.trace);
    // 2 sends lost at once, 3 copies reaching a1 after its crash
    assert.deepEqual(want, { arrows: 7, lost: 5, droppedOnArrival: 3, inFlight: 0, copies: 10, crashes: 1 });

    const { page, url, requests, errors } = await open(run.trace, 'paxos-faults');
    assert.equal(await page.locator('[data-lane]').count(), 5);
    assert.equal(await page.locator('[data-arrow]').count(), want.arrows);
    assert.equal(await page.locator('[data-lost]').count(), want.lost);
    assert.equal(await page.locator('[data-lost][data-reason="loss"]').count(), 2);
    assert.equal(await page.locator('[data-lost][data-reason="crashed"]').count(), 3);
    assert.equal(await page.locator('[data-event][data-kind="drop"]').count(), want.lost); // the × marks
    assert.equal(await page.locator('[data-fault="crash"]').count(), want.crashes);
    assert.equal(await page.locator('[data-fault="crash"]').getAttribute('data-event'), '5');
    assert.equal(await page.locator('[data-fault="recover"]').count(), 0);
    assert.equal(await page.locator('[data-lane="a1"] .lane-down').count(), 1);
    assert.equal(await page.locator('[data-violation]').count(), 0);
    assert.match(await page.locator('#banner').textContent() ?? '', /No property violated/);

    // a drop record: the message, why, and a state that did not change
    await page.locator('[data-event="11"]').click();
    assert.match(await page.locator('#state-panel').textContent() ?? '', /network drops prepare from p2 to a1 \(the receiver was down\)/);
    assert.deepEqual(await json(page, '#state-before'), await json(page, '#state-after'));
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'viewer-faults.png') });
    assert.deepEqual(requests, [url]);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a partition window, a recovery and duplicated copies are drawn; #event-<i> opens that event', async () => {
    const run = simulate(instantiate(paxos), {
      seed: 5,
      faults: {
        duplicateRate: 0.3,
        events: [
          { kind: 'partition', sides: [['a1', 'p1']], fromMs: 3, untilMs: 12 },
          { kind: 'crash', node: 'a2', atMs: 4 },
          { kind: 'recover', node: 'a2', atMs: 15 },
        ],
      },
    });
    const want = expected(run.trace);
    const { page, errors } = await open(run.trace, 'paxos-partition', '#event-24');
    assert.equal(await page.locator('[data-fault="partition"]').count(), 1);
    assert.equal(await page.locator('[data-fault="crash"]').count(), 1);
    assert.equal(await page.locator('[data-fault="recover"]').count(), 1);
    assert.equal(await page.locator('[data-arrow]').count(), want.arrows);
    assert.equal(await page.locator('[data-lost]').count(), want.lost);
    assert.equal(await page.locator('[data-lost][data-reason="partition"]').count(), run.trace.events.filter((r) => r.event.kind === 'drop' && r.event.reason === 'partition').length);
    assert.equal(await page.locator('[data-event="24"]').getAttribute('class'), 'mark kind-message selected');
    // state rebuilt through nested fields: votes.2 was added by this event
    assert.deepEqual(await json(page, '#state-after'), { phase: 'AAccepted', accepted: [2, 'v2'], promised: 2, votes: { 2: 'v2' } });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('text from the trace cannot end the embedded script or inject markup', async () => {
    const run = simulate(instantiate(twoPhaseCommit, { params: { rms: 3 } }), { seed: 7 });
    const evil = '</script><script>document.body.dataset.pwned = "1"</script><!--';
    const trace: SimTrace = {
      ...run.trace,
      header: { ...run.trace.header, protocol: `<b>${evil}</b>` },
      events: run.trace.events.map((r, i) => (i === 0 ? { ...r, changes: [{ field: '', after: { status: evil, prepared: {} } }] } : r)),
    };
    const { page, errors } = await open(trace, 'escaping', '#event-0');
    assert.equal(await page.locator('script').count(), 2);
    assert.equal(await page.locator('body').getAttribute('data-pwned'), null);
    assert.equal(await page.locator('#protocol-name').textContent(), `<b>${evil}</b>`);
    assert.deepEqual(await json(page, '#state-after'), { status: evil, prepared: {} });
    assert.deepEqual(errors, []);
    await page.close();
  });
});
