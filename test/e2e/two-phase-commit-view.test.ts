// The 2PC view end to end, through the browser shell with the real lab: four 2PC node
// processes, the recorder, the web server and Chromium. Pick the coordinator-crash scenario:
// the view shows the coordinator's log and the three participants with their accounts; after
// the SIGKILL the coordinator is down, and every blocked participant the view lists waits on
// it. The run's trace, opened as a recording, shows the same view from the nodes' recorded
// statuses. Screenshots land in test-results/e2e/2pc-*.png for a human to look at.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { SHOTS, startBrowserLab } from './lab-browser.ts';

const SCENARIO = '2pc-coordinator-crash';
const STEP_TIMEOUT_MS = 30_000;

test('the 2PC view follows a real 2PC cluster through a coordinator crash', { timeout: 240_000 }, async (t: TestContext) => {
  const { lab, server, browser } = await startBrowserLab(t, 'distlab-e2e-2pc-');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await page.goto(server.url);
  assert.equal(await page.locator('[data-field="2pc-view"]').count(), 0, 'no 2PC view for another protocol');

  await page.selectOption('[data-field="scenario"]', SCENARIO);
  await page.click('[data-action="start-scenario"]');
  await page.locator('[data-notice="info"]', { hasText: `Started scenario ${SCENARIO}` }).waitFor();
  await page.locator('[data-field="scenario-lesson"] summary').click();
  await page.locator('[data-field="2pc-coordinator"]').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-field="2pc-view"] [data-node]').length === 3);
  await page.locator('[data-field="2pc-coordinator"] .log tbody tr').first().waitFor();
  await page.screenshot({ path: path.join(SHOTS, '2pc-01-running.png') });

  // The scenario kills n1 at 3 s (after the schedule starts playing); give the participants time to ask and block.
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while ((await lab.snapshot()).nodes.find((node) => node.id === 'n1')?.state !== 'down') {
    assert.ok(Date.now() < deadline, 'n1 is killed by the scenario');
    await page.waitForTimeout(250);
  }
  await page.waitForTimeout(1_500);
  await page.locator('[data-field="2pc-coordinator"] .badge', { hasText: 'down' }).waitFor();
  const waits = await page.locator('[data-field="2pc-waits"] li').allTextContents();
  for (const wait of waits) assert.match(wait, /waits on n1\s*down/, wait);
  const phases = await page.locator('[data-field="2pc-phase"]').allTextContents();
  assert.ok(phases.every((phase) => ['working', 'prepared', 'blocked'].includes(phase.trim())), phases.join(', '));
  assert.equal(phases.filter((phase) => phase.trim() === 'blocked').length > 0, waits.length > 0, 'a blocked card iff a listed wait');
  await page.screenshot({ path: path.join(SHOTS, '2pc-02-coordinator-down.png'), fullPage: false });

  // The run's trace, opened as a recording: the nodes' recorded statuses rebuild the same view.
  const tracePath = (await lab.snapshot()).tracePath;
  assert.ok(tracePath);
  await lab.openTrace(tracePath);
  await page.locator('[data-field="2pc-coordinator"]').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-field="2pc-view"] [data-node]').length === 3);
  await page.locator('[data-field="2pc-coordinator"] .log tbody tr').first().waitFor();
  const recordedPhases = await page.locator('[data-field="2pc-phase"]').allTextContents();
  assert.ok(recordedPhases.every((phase) => ['working', 'prepared', 'blocked'].includes(phase.trim())), recordedPhases.join(', '));
  const recordedWaits = await page.locator('[data-field="2pc-waits"] li').allTextContents();
  // Participants that were blocked when the trace was opened recorded it (their notes keep coming while they wait).
  if (waits.length > 0) assert.ok(recordedWaits.length > 0, 'the recording shows the blocked participants');
  for (const wait of recordedWaits) assert.match(wait, /waits on n1/, wait);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, '2pc-03-recorded.png'), fullPage: false });
  assert.deepEqual(problems, []);
});
