// End to end through the browser shell with the real lab: five node processes, the
// recorder, the web server and Chromium. A person's path through the UI: see the
// cluster come up, crash a node and watch it go down and be suspected, partition by
// clicking, put a value, select an event, export the trace, open that export as a
// recorded trace and go back to a live cluster. Screenshots land in
// test-results/e2e/ for a human to look at.
//
// The same flow would drive the desktop app through Playwright's `_electron` when an
// Electron binary is installed; on machines without one that test says why it skips.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { ROOT, SHOTS, buildNodeBundles, startBrowserLab } from './lab-browser.ts';
import type { LabApi } from '../../src-node/contract/lab-api.ts';
import { isStatusNote } from '../../src-node/contract/status-note.ts';
import { displayProblem, electronArgs, electronEnv, ensureDesktopBuild, findElectronBinary } from '../../src-main/electron/launch.ts';
import { SIM_PROFILES } from '../../src-main/sim/config.ts';
import { simulate } from '../../src-main/sim/simulator.ts';
import { writeSimTrace } from '../../src-main/cli/sim-command.ts';
import { placeLanes } from '../../src-renderer/timeline/space-time-draw.ts';

const root = ROOT;
const shots = SHOTS;
const NODE_COUNT = 5;
const STEP_TIMEOUT_MS = 20_000;

async function shot(page: Page, name: string): Promise<void> {
  // From the top, so that the sticky header is where a person sees it.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}


/** The highest phi any other node reported for `peer` in the trace since `afterId`. */
async function maxPhiOf(lab: LabApi, peer: string, afterId: number): Promise<number> {
  const samples = await lab.events({ afterId, kinds: ['suspicion'], limit: 10_000 });
  let max = 0;
  for (const sample of samples) {
    const phi = (sample.detail as { phi?: Record<string, number> } | undefined)?.phi?.[peer];
    if (typeof phi === 'number' && Number.isFinite(phi)) max = Math.max(max, phi);
    else if (phi === null || (typeof phi === 'number' && phi === Infinity)) max = Infinity;
  }
  return max;
}

/** How many events the trace the lab shows now holds (read in pages, as the recorder answers). */
/** The trace's events the log shows: all but the nodes' recorded statuses, which the protocol panels show. */
async function countEvents(lab: LabApi): Promise<number> {
  let count = 0;
  for (let afterId = 0; ;) {
    const page = await lab.events({ afterId, limit: 10_000 });
    count += page.filter((event) => !isStatusNote(event)).length;
    if (page.length < 10_000) return count;
    afterId = page[page.length - 1]!.id;
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = STEP_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`timed out waiting until ${what}`);
}

test('browser shell drives the real lab', { timeout: 180_000 }, async (t: TestContext) => {
  const { lab, server, browser, dataRoot } = await startBrowserLab(t, 'distlab-e2e-');
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.setDefaultTimeout(STEP_TIMEOUT_MS);

  await t.test('the page loads and shows five nodes up', async () => {
    await page.goto(server.url);
    await page.locator('[data-field="connection"].state-up').waitFor();
    await page.waitForFunction(
      (count) => document.querySelectorAll('[data-node-card][data-state="up"]').length === count,
      NODE_COUNT,
    );
    assert.equal(await page.locator('svg.cluster-topology g.node').count(), NODE_COUNT);
    assert.ok(!page.url().includes('token='), 'the token is taken out of the address bar');
    // Let the workload and heartbeats fill the log and the diagram a little.
    await page.waitForFunction(() => document.querySelectorAll('[data-event-id]').length > 10);
    // The scenario says what to watch, in a callout that folds away.
    const lesson = page.locator('[data-field="scenario-lesson"]');
    await lesson.waitFor();
    assert.match((await lesson.textContent()) ?? '', /What to watch\./);
    await shot(page, '01-cluster-up');
  });

  await t.test('a put through the UI is acknowledged', async () => {
    // A fresh primary answers `not-ready` until it has gathered its backups' state; the
    // scenario's workload getting an ok shows that the cluster serves clients now.
    await page.locator('[data-field="outcomes"] li[data-outcome="ok"]').first().waitFor();
    await page.fill('[data-field="client-key"]', 'workshop');
    await page.fill('[data-field="client-value"]', 'hello');
    await page.click('[data-action="client-send"]');
    const outcome = page.locator('[data-field="outcomes"] li[data-client="c99"]', { hasText: 'put workshop = hello' }).first();
    await outcome.waitFor();
    assert.equal(await outcome.getAttribute('data-outcome'), 'ok', `outcome: ${await outcome.textContent()}`);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-node-card]')].filter((card) => card.textContent?.includes('hello')).length >= 1,
    );
  });

  await t.test('the history shows the clients\' operations, the UI\'s own included', async () => {
    await page.waitForFunction(() => {
      const count = Number(document.querySelector('[data-field="history-count"]')?.textContent?.replace(/\D/g, '') ?? '0');
      return count >= 2;
    });
    const history = page.locator('.area-history');
    await history.scrollIntoViewIfNeeded();
    // Pointing at an operation reads it out: find one on the first lane, from the newest end.
    const canvas = history.locator('canvas');
    const box = await canvas.boundingBox();
    assert.ok(box !== null);
    let read = '';
    // The lanes start under the fault strip, whose height depends on the faults so far.
    for (let y = 12; y < Math.min(box.height - 24, 160) && !/ · (ok|fail|info)/.test(read); y += 8) {
      for (let x = box.width - 14; x > 60 && !/ · (ok|fail|info)/.test(read); x -= 4) {
        await page.mouse.move(box.x + x, box.y + y);
        read = (await page.textContent('[data-field="history-readout"]')) ?? '';
      }
    }
    assert.match(read, /^c\d+ (put|get) /, `the readout names an operation: ${read}`);
    // The lab's checker judges the history so far and says so in words.
    await page.click('[data-action="check-history"]');
    const verdict = page.locator('[data-field="history-verdict"]');
    await verdict.waitFor();
    assert.match((await verdict.textContent()) ?? '', /linearizable|unknown/);
    await history.screenshot({ path: path.join(shots, '02-history.png') });
  });

  const victim = 'n5';
  await t.test(`crashing ${victim} shows it down and suspected`, async () => {
    const before = (await lab.events({ beforeId: Number.MAX_SAFE_INTEGER, limit: 1 }))[0]?.id ?? 0;
    await page.click(`[data-node-card="${victim}"] [data-action="crash"]`);
    await page.locator(`[data-node-card="${victim}"][data-state="down"]`).waitFor();
    assert.equal(await page.locator(`svg.cluster-topology g.node-down[data-node="${victim}"]`).count(), 1);
    assert.ok(await page.locator(`[data-node-card="${victim}"] [data-action="restart"]`).isEnabled());
    assert.ok(await page.locator(`[data-node-card="${victim}"] [data-action="crash"]`).isDisabled());
    const threshold = (await lab.snapshot()).phiThreshold;
    await waitUntil(`another node's phi of ${victim} passes ${threshold}`, async () => (await maxPhiOf(lab, victim, before)) > threshold);
    // The suspicion chart shows it too: some observer flags the victim as suspected.
    await page.locator('.suspicion-chart li.suspected', { hasText: victim }).first().waitFor();
    await shot(page, '02-crashed');
    await page.click(`[data-node-card="${victim}"] [data-action="restart"]`);
    await page.locator(`[data-node-card="${victim}"][data-state="up"]`).waitFor();
  });

  await t.test('partitioning by clicking cuts the links across', async () => {
    await page.click('[data-action="partition-mode"]');
    for (const node of ['n4', 'n5']) await page.click(`svg.cluster-topology g.node[data-node="${node}"]`);
    assert.equal((await page.textContent('[data-field="draft"]'))?.trim(), '{n1, n2, n3} | {n4, n5}');
    await shot(page, '03-partition-draft');
    await page.click('[data-action="apply-partition"]');
    await page.locator('svg.cluster-topology [data-link="n1>n4"][data-state="cut"]').waitFor();
    const cut = await page.locator('svg.cluster-topology [data-state="cut"]').count();
    assert.equal(cut, 2 * 3 * 2, 'every link between {n1,n2,n3} and {n4,n5}, both ways');
    assert.equal(await page.locator('svg.cluster-topology [data-link="n1>n2"][data-state="cut"]').count(), 0);
    const snapshot = await lab.snapshot();
    assert.ok(snapshot.links.find((link) => link.source === 'n4' && link.target === 'n2')?.faults.cut);
    await shot(page, '04-partitioned');
    await page.click('[data-action="heal"]');
    await waitUntil('no link is cut', async () => (await page.locator('svg.cluster-topology [data-state="cut"]').count()) === 0);
  });

  await t.test('a link fault picked by clicking its arrow', async () => {
    await page.click('svg.cluster-topology [data-link="n2>n3"]', { force: true });
    assert.equal(await page.inputValue('[data-field="link-source"]'), 'n2');
    assert.equal(await page.inputValue('[data-field="link-target"]'), 'n3');
    await page.fill('[data-field="lossPct"]', '30');
    await page.click('[data-action="apply-link"]');
    await page.locator('svg.cluster-topology [data-link="n2>n3"][data-state="faulty"]').waitFor();
  });

  await t.test('an error from the lab is shown, not swallowed', async () => {
    await page.fill('[data-field="skewMs"]', '1e15');
    await page.click('[data-action="apply-clock"]');
    const notice = page.locator('[data-notice="error"]').first();
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /Clock of n1 failed: .*skewMs/);
    await page.fill('[data-field="skewMs"]', '0');
  });

  await t.test('a log row selects an event and shows its vector clock', async () => {
    await page.selectOption('[data-field="log-kind"]', 'receive');
    const row = page.locator('[data-event-id]').first();
    await row.click();
    const details = page.locator('[data-field="event-details"]');
    await details.waitFor();
    assert.match((await details.textContent()) ?? '', /vector clock/);
    assert.match((await details.textContent()) ?? '', /n\d:\d+/);
    await shot(page, '05-event-selected');
    await page.selectOption('[data-field="log-kind"]', '');
  });

  await t.test('clicking an event in the space-time diagram shows its details', async () => {
    await page.click('.event-details button.close');
    await page.locator('[data-field="event-details"]').waitFor({ state: 'detached' });
    // The diagram draws on a canvas: aim at n1's lane as the diagram places it, from the
    // newest end (where it follows) leftwards, until a click lands on an event.
    const canvas = page.locator('.space-time-diagram canvas').first();
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    assert.ok(box !== null);
    const processes = await page.$$eval('[data-field="log-node"] option', (options) =>
      options.map((option) => (option as HTMLOptionElement).value).filter((value) => value !== '' && value !== 'lab'),
    );
    const lane = placeLanes(processes, box.height).lanes.find((candidate) => candidate.process === 'n1');
    assert.ok(lane !== undefined, 'n1 has a lane');
    let hit = false;
    for (let x = box.width - 12; x > box.width * 0.3 && !hit; x -= 5) {
      await page.mouse.click(box.x + x, box.y + lane.y);
      hit = (await page.locator('[data-field="event-details"]').count()) > 0;
    }
    assert.ok(hit, 'a click on n1\'s lane selected an event');
    assert.match((await page.textContent('[data-field="event-details"]')) ?? '', /process\s*n1/);
    await page.locator('[data-field="log-viewport"] .row.selected').waitFor();
    await shot(page, '06-diagram-selected');
  });

  await t.test('exporting the trace downloads a non-empty file', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="sqlite"]')]);
    const file = await download.path();
    assert.ok(file !== null && statSync(file).size > 0, 'the download has bytes');
    assert.equal(readFileSync(file!).subarray(0, 15).toString(), 'SQLite format 3');
    const [lines] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="jsonl"]')]);
    const text = readFileSync((await lines.path())!, 'utf8');
    assert.ok(text.split('\n').filter(Boolean).length > 10, 'the JSON lines export has events');
    await page.locator('[data-field="export-result"]').waitFor();
    await shot(page, '07-exported');
  });

  await t.test('starting a scenario begins a new run', async () => {
    // The same scenario again (it has no fault schedule, so all five nodes stay up).
    const before = (await lab.snapshot()).run?.runId;
    const eventsBefore = (await lab.events({ beforeId: Number.MAX_SAFE_INTEGER, limit: 1 }))[0]?.id ?? 0;
    await page.selectOption('[data-field="scenario"]', 'primary-backup');
    await page.click('[data-action="start-scenario"]');
    await page.locator('[data-notice="info"]', { hasText: 'Started scenario primary-backup' }).waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      (count) => document.querySelectorAll('[data-node-card][data-state="up"]').length === count,
      NODE_COUNT,
    );
    assert.notEqual((await lab.snapshot()).run?.runId, before);
    // The page forgot the old run's events and shows the new trace from its start.
    const shown = Number((await page.textContent('[data-field="log-count"]'))?.match(/of ([\d,]+) events/)?.[1]?.replace(/,/g, ''));
    assert.ok(shown < eventsBefore, `the log shows the new run only (${shown} < ${eventsBefore})`);
    await page.waitForFunction(() => document.querySelectorAll('[data-event-id]').length > 5);
    await shot(page, '08-new-scenario');
  });

  await t.test('the failure-detector scenario tells a crash, a pause and a lossy link apart', async () => {
    await page.selectOption('[data-field="scenario"]', 'failure-detector');
    await page.click('[data-action="start-scenario"]');
    await page.locator('[data-notice="info"]', { hasText: 'Started scenario failure-detector' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-field="scenario-title"]', { hasText: 'Failure detectors' }).waitFor();
    // n2 is crashed at 2 s and stays down; n3 is paused 2–6 s. At ~8 s both have happened.
    await page.locator('.suspicion-chart .status.down').first().waitFor({ timeout: 30_000 });
    await waitUntil('n3 resumed', async () => (await lab.snapshot()).nodes.find((node) => node.id === 'n3')?.state === 'up', 30_000);
    await page.waitForTimeout(1_500);
    await page.locator('.suspicion-chart li.suspected', { hasText: 'n2' }).first().waitFor();
    assert.equal(await page.locator('.suspicion-chart li.suspected', { hasText: 'n3' }).count(), 0, 'n3 is trusted again after it resumed');
    await shot(page, '09-failure-detector');
    const suspicion = page.locator('.area-suspicion');
    await suspicion.scrollIntoViewIfNeeded();
    await suspicion.screenshot({ path: path.join(shots, '10-suspicion.png') });
  });

  await t.test('an exported trace opened by its path is shown as recorded, and acts on nothing', async () => {
    // The SQLite export is the file a person hands over; here it is opened again by its path.
    const handed = path.join(dataRoot, 'handed-over.sqlite');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="sqlite"]')]);
    await download.saveAs(handed);
    const recordedRun = (await lab.snapshot()).run;
    assert.ok(recordedRun !== null);
    await page.click('[data-action="runs-menu"]');
    // Three runs so far (the first, primary-backup again, failure-detector), newest first.
    const rows = page.locator('[data-field="runs"] li');
    await rows.nth(2).waitFor();
    assert.match((await rows.first().textContent()) ?? '', /failure-detector.*running now/s);
    // The menu only: it opens over the top of the page.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, '11-runs-menu.png'), clip: { x: 100, y: 0, width: 1500, height: 420 } });
    // A file that is not a trace is refused with a toast and changes nothing.
    const notATrace = path.join(dataRoot, 'not-a-trace.sqlite');
    writeFileSync(notATrace, 'just some bytes, not SQLite');
    await page.fill('[data-field="trace-path"]', notATrace);
    await page.click('[data-action="open-trace-path"]');
    await page.locator('[data-notice="error"]', { hasText: 'Opening the trace failed' }).waitFor();
    assert.equal((await lab.snapshot()).live, true, 'a refused file leaves the cluster running');
    assert.equal(await page.locator('[data-field="recorded-banner"]').count(), 0);

    await page.fill('[data-field="trace-path"]', handed);
    await page.click('[data-action="open-trace-path"]');
    const banner = page.locator('[data-field="recorded-banner"]');
    await banner.waitFor({ timeout: 30_000 });
    assert.equal(
      (await page.textContent('[data-field="recorded-run"]'))?.trim(),
      `Recorded trace: failure-detector · ${recordedRun.runId} · real`,
    );
    await page.waitForFunction(
      (count) => document.querySelectorAll('[data-node-card][data-state="recorded"]').length === count,
      NODE_COUNT,
    );
    // Everything that would act on a cluster is off, and says why.
    for (const control of [
      '[data-node-card="n1"] [data-action="crash"]', '[data-node-card="n2"] [data-action="restart"]',
      '[data-action="partition-mode"]', '[data-action="heal"]', '[data-action="apply-link"]',
      '[data-action="apply-clock"]', '[data-action="apply-disk"]', '[data-action="client-send"]',
    ]) {
      const button = page.locator(control);
      assert.ok(await button.isDisabled(), `${control} is disabled`);
      assert.match((await button.getAttribute('title')) ?? '', /recorded trace/, `${control} says why`);
    }
    // The page shows the trace's events, all of them.
    const recordedEvents = await countEvents(lab);
    await page.waitForFunction(
      (total) => document.querySelector('[data-field="log-count"]')?.textContent?.replace(/,/g, '').includes(`of ${total} events`),
      recordedEvents,
    );
    await page.waitForFunction(() => document.querySelectorAll('[data-event-id]').length > 10);
    const drawn = Number((await page.textContent('[data-field="diagram-count"]'))?.replace(/\D/g, ''));
    assert.ok(drawn > 10, `the diagram draws the recorded events (${drawn})`);
    // Exports still work on a recorded trace.
    const [lines] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="jsonl"]')]);
    assert.ok(readFileSync((await lines.path())!, 'utf8').split('\n').filter(Boolean).length > 10);
  });

  await t.test('a run from the list replaces the shown trace, and its history is checked', async () => {
    // The oldest run: primary-backup with its workload and the UI's put, crashes and partitions.
    await page.click('[data-action="runs-menu"]');
    const oldest = page.locator('[data-field="runs"] li').nth(2);
    await oldest.waitFor();
    const runId = await oldest.getAttribute('data-run');
    await oldest.locator('[data-action="open-run"]').click();
    await page.locator('[data-field="recorded-run"]', { hasText: `primary-backup · ${runId} · real` }).waitFor({ timeout: 30_000 });
    // The failure-detector trace's events are gone: the log's faults are this run's, not
    // those of both (each trace numbers its events from 1, so counts alone would not tell).
    const faults = await lab.events({ afterId: 0, kinds: ['fault'], limit: 1_000 });
    const recordedEvents = await countEvents(lab);
    await page.waitForFunction(
      (total) => document.querySelector('[data-field="log-count"]')?.textContent?.replace(/,/g, '').includes(`of ${total} events`),
      recordedEvents,
    );
    await page.selectOption('[data-field="log-kind"]', 'fault');
    const faultRows = await page.$$eval('[data-event-id]', (rows) => rows.map((row) => Number(row.getAttribute('data-event-id'))));
    assert.deepEqual(faultRows.sort((a, b) => a - b), faults.map((event) => event.id));
    await page.selectOption('[data-field="log-kind"]', '');
    // The recorded history holds the clients' operations, the UI's own put among them.
    await page.waitForFunction(
      () => Number(document.querySelector('[data-field="history-count"]')?.textContent?.replace(/\D/g, '') ?? '0') >= 2,
    );
    await page.click('[data-action="check-history"]');
    const verdict = page.locator('[data-field="history-verdict"]');
    await verdict.waitFor();
    assert.match((await verdict.textContent()) ?? '', /(linearizable|unknown).*[1-9]\d* operations/s);
    await shot(page, '12-recorded');
  });

  await t.test('a simulated run\'s trace opens too, and its failing window is shown', async () => {
    // Seed 1 of the async profile loses acknowledged writes; a later read sees null.
    const simulated = path.join(dataRoot, 'simulated.sqlite');
    const config = SIM_PROFILES.get('pb-async-partitions')?.build(1);
    assert.ok(config);
    await writeSimTrace(simulate(config, { trace: 'full' }), simulated);
    await page.click('[data-action="runs-menu"]');
    await page.fill('[data-field="trace-path"]', simulated);
    await page.click('[data-action="open-trace-path"]');
    await page.locator('[data-field="recorded-run"]', { hasText: 'simulated (seed 1)' }).waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => Number(document.querySelector('[data-field="history-count"]')?.textContent?.replace(/\D/g, '') ?? '0') >= 10,
    );
    await page.click('[data-action="check-history"]');
    const verdict = page.locator('[data-field="history-verdict"]');
    await verdict.waitFor();
    const text = (await verdict.textContent()) ?? '';
    assert.match(text, /not linearizable/);
    assert.match(text, /Key k-c\d+-\d+/);
    await page.locator('.history-panel').scrollIntoViewIfNeeded();
    await shot(page, '13-simulated-failing-window');
  });

  await t.test('back to a live cluster starts the picker\'s scenario', async () => {
    await page.selectOption('[data-field="scenario"]', 'primary-backup');
    await page.click('[data-action="back-to-live"]');
    await page.locator('[data-field="recorded-banner"]').waitFor({ state: 'detached', timeout: 30_000 });
    await page.waitForFunction(
      (count) => document.querySelectorAll('[data-node-card][data-state="up"]').length === count,
      NODE_COUNT,
    );
    const snapshot = await lab.snapshot();
    assert.equal(snapshot.live, true);
    assert.equal(snapshot.run?.scenario, 'primary-backup');
    assert.ok(await page.locator('[data-action="partition-mode"]').isEnabled());
    assert.ok(await page.locator('[data-action="client-send"]').isEnabled());
  });

  assert.deepEqual(problems, [], 'no console errors or page errors (a CSP violation would show here)');
});

test('desktop shell (Electron) drives the real lab', { timeout: 180_000 }, async (t: TestContext) => {
  // Found without require('electron'), which would try to download the binary.
  const binary = await findElectronBinary(root);
  if (!binary.ok) {
    t.skip(`Electron binary not available: ${binary.reason}`);
    return;
  }
  const noDisplay = displayProblem(process.platform, process.env);
  if (noDisplay !== null) {
    t.skip(`Electron cannot open a window here: ${noDisplay}`);
    return;
  }
  buildNodeBundles();
  const buildProblem = await ensureDesktopBuild(root);
  assert.equal(buildProblem, null, 'the desktop build (electron-vite build) works');
  const { _electron } = await import('playwright-core');
  const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'distlab-e2e-electron-'));
  const app = await _electron.launch({
    executablePath: binary.executablePath,
    args: electronArgs(root, { dataRoot }, process.platform),
    env: electronEnv(process.env) as Record<string, string>,
  });
  t.after(async () => {
    await app.close();
    rmSync(dataRoot, { recursive: true, force: true });
  });
  const page = await app.firstWindow();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  mkdirSync(shots, { recursive: true });
  await page.waitForFunction(
    (count) => document.querySelectorAll('[data-node-card][data-state="up"]').length === count,
    NODE_COUNT,
  );
  await page.screenshot({ path: path.join(shots, 'electron-01-cluster-up.png') });
  await page.click('[data-node-card="n5"] [data-action="crash"]');
  await page.locator('[data-node-card="n5"][data-state="down"]').waitFor();
  await page.click('[data-action="partition-mode"]');
  for (const node of ['n4', 'n5']) await page.click(`svg.cluster-topology g.node[data-node="${node}"]`);
  await page.click('[data-action="apply-partition"]');
  await page.locator('svg.cluster-topology [data-link="n1>n4"][data-state="cut"]').waitFor();
  await page.click('[data-export="jsonl"]');
  // The desktop shell saves the file (main.ts may ask where first) and says where.
  await page.locator('[data-field="export-result"]').waitFor();
  await page.screenshot({ path: path.join(shots, 'electron-02-partitioned.png') });
});
