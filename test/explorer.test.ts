import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { instantiate } from '../src/core/index.ts';
import { twoPhaseCommit } from '../src/protocols/index.ts';
import { serveExplorer } from '../src/viz/explorer-server.ts';
import type { ExplorerServer } from '../src/viz/explorer-server.ts';
import { launchChromium } from './browser.ts';

const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url));

describe('the explorer in a real browser', () => {
  let browser: Browser;
  let server: ExplorerServer;
  before(async () => {
    browser = await launchChromium();
    server = await serveExplorer(instantiate(twoPhaseCommit, { params: { rms: 2 } }));
  });
  after(async () => {
    await browser.close();
    await server.close();
  });

  test('it serves on 127.0.0.1 only', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test('from the initial state a user takes steps, sees properties, steps back, and shares the path as a URL', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForSelector('[data-action]');
    // Initial state of 2PC with 2 resource managers: tm may abort, each rm may prepare or abort.
    assert.deepEqual(await page.locator('[data-action]').allTextContents(), [
      'tm fires timer abort', 'rm1 fires timer abort', 'rm1 fires timer prepare', 'rm2 fires timer abort', 'rm2 fires timer prepare',
    ]);
    assert.equal(await page.locator('[data-property="consistency"]').getAttribute('data-holds'), 'true');
    assert.equal(await page.locator('[data-property="commit happens"]').getAttribute('data-holds'), 'false');

    // rm1 prepares, rm2 prepares, tm hears both, tm commits, rm1 receives the commit.
    for (const label of ['rm1 fires timer prepare', 'rm2 fires timer prepare']) await page.getByText(label, { exact: true }).click();
    await page.getByText('tm receives prepared from rm1 {"type":"prepared"}').click();
    await page.getByText('tm receives prepared from rm2 {"type":"prepared"}').click();
    await page.getByText('tm fires timer commit').click();
    await page.getByText('rm1 receives commit from tm {"type":"commit"}').click();
    await page.waitForFunction("document.querySelectorAll('[data-step]').length === 7");
    assert.equal(await page.locator('#node-state-rm1').textContent(), '{"status":"committed"}');
    assert.equal(await page.locator('[data-property="commit happens"]').getAttribute('data-holds'), 'true');
    const shared = page.url();
    assert.match(shared, /\?path=\d+(\/\d+){5}$/);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: `${artifacts}explorer.png`, fullPage: true });

    // Back one step with the browser, then to the initial state by clicking the first step.
    await page.goBack();
    await page.waitForFunction("document.querySelectorAll('[data-step]').length === 6");
    assert.equal(await page.locator('#node-state-rm1').textContent(), '{"status":"prepared"}');
    await page.locator('[data-step="0"]').click();
    await page.waitForFunction("document.querySelectorAll('[data-step]').length === 1");

    // The shared URL, opened fresh, shows the same state.
    const other = await browser.newPage();
    await other.goto(shared);
    await other.waitForFunction("document.querySelectorAll('[data-step]').length === 7");
    assert.equal(await other.locator('#node-state-rm1').textContent(), '{"status":"committed"}');
    await other.close();
    await page.close();
  });

  test('a path that leaves the protocol shows which step is wrong', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}?path=0/99`);
    await page.waitForFunction("document.getElementById('error').textContent !== ''");
    assert.equal(await page.locator('#error').textContent(), 'trace step 2: action 99 does not exist (6 enabled)');
    await page.close();
  });
});
