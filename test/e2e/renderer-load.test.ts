// The renderer with a full window of 100,000 events: it must load them, keep only the
// visible log rows in the DOM, scroll and filter without stalling, and keep taking live
// batches. A real run takes minutes to make that many events, so this test feeds the
// browser shell a synthetic trace through a stub LabApi; browser.test.ts drives the
// real lab.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { chromium } from 'playwright-core';
import type { EventQuery, LabApi, LabSnapshot, LabUpdate, NodeView } from '../../src-node/contract/lab-api.ts';
import { HEALTHY_LINK, TRUE_CLOCK } from '../../src-node/contract/faults.ts';
import type { StoredEvent } from '../../src-node/contract/trace.ts';
import { startWebServer } from '../../src-main/server/web-server.ts';
// @ts-expect-error -- plain JS module
import { buildRenderer } from '../../scripts/build-renderer.mjs';

const EVENT_COUNT = 100_000;
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

function syntheticTrace(count: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  const clocks = new Map(NODES.map((node) => [node, {} as Record<string, number>]));
  for (let id = 1; events.length < count; id += 1) {
    const index = events.length;
    const node = NODES[index % NODES.length]!;
    const clock = { ...clocks.get(node)!, [node]: (clocks.get(node)![node] ?? 0) + 1 };
    clocks.set(node, clock);
    const labTimeMs = index * 2;
    const common = { id, node, seq: clock[node]!, lamport: index + 1, vclock: clock, nodeTimeMs: labTimeMs, labTimeMs };
    if (index % 11 === 0) {
      const phi = Object.fromEntries(NODES.filter((peer) => peer !== node).map((peer) => [peer, 0.5]));
      events.push({ ...common, kind: 'suspicion', detail: { phi, suspected: [] } });
    } else {
      const peer = NODES[(index + 1) % NODES.length]!;
      events.push({
        ...common,
        kind: index % 2 === 0 ? 'send' : 'receive',
        peer,
        msgType: index % 3 === 0 ? 'replicate' : 'ack',
        msgId: `${node}:${id}`,
        detail: { payload: { epoch: 1, index } },
      });
    }
  }
  return events;
}

function stubLab(trace: StoredEvent[]): { lab: LabApi; push(events: StoredEvent[]): void } {
  const listeners = new Set<(update: LabUpdate) => void>();
  const node = (id: string): NodeView => ({
    id, state: 'up', url: null, pid: null, restarts: 0, clock: { ...TRUE_CLOCK }, persistDelayMs: 0,
    status: { role: id === 'n1' ? 'primary' : 'backup', facts: {} }, linksUp: NODES.filter((peer) => peer !== id),
  });
  const snapshot: LabSnapshot = {
    run: { runId: 'load', scenario: 'synthetic', protocol: 'none', startedAtEpochMs: 0, labVersion: '0', seed: 1, mode: 'sim', config: null },
    nodes: NODES.map(node),
    links: NODES.flatMap((source) => NODES.filter((target) => target !== source).map((target) => ({ source, target, faults: { ...HEALTHY_LINK }, up: true }))),
    phiThreshold: 8,
    tracePath: null,
    labTimeMs: 0,
    live: true,
  };
  const lab: LabApi = {
    snapshot: async () => snapshot,
    fault: async () => {},
    clientOp: async () => {
      throw new Error('not in this stub');
    },
    checkHistory: async () => {
      throw new Error('not in this stub');
    },
    runs: async () => [],
    openTrace: async () => {
      throw new Error('not in this stub');
    },
    measurePbs: async () => {
      throw new Error('not in this stub');
    },
    compareProtocols: async () => {
      throw new Error('not in this stub');
    },
    measureConvergence: async () => {
      throw new Error('not in this stub');
    },
    events: async (query: EventQuery) => {
      const limit = Math.min(query.limit ?? 1000, 10_000);
      if (query.afterId === undefined && query.beforeId !== undefined) {
        const before = trace.filter((event) => event.id < query.beforeId!);
        return before.slice(-limit);
      }
      return trace.filter((event) => event.id > (query.afterId ?? 0)).slice(0, limit);
    },
    exportTrace: async () => {
      throw new Error('not in this stub');
    },
    scenarios: async () => [],
    startScenario: async () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    lab,
    push(events) {
      trace.push(...events);
      for (const listener of listeners) listener({ kind: 'events', events, skipped: 0 });
    },
  };
}

test('renderer stays responsive with 100,000 events', { timeout: 120_000 }, async (t: TestContext) => {
  const { outDir } = await buildRenderer({ quiet: true });
  const trace = syntheticTrace(EVENT_COUNT);
  const { lab, push } = stubLab(trace);
  const server = await startWebServer({ lab, rendererDir: outDir });
  const userData = mkdtempSync(path.join(os.tmpdir(), 'distlab-load-'));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1600, height: 1000 },
  });
  t.after(async () => {
    await context.close();
    await server.close();
    rmSync(userData, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  const started = Date.now();
  await page.goto(server.url);
  await page.locator('[data-field="log-count"]', { hasText: '100,000 of 100,000 events' }).waitFor({ timeout: 60_000 });
  const loadMs = Date.now() - started;
  t.diagnostic(`loaded 100,000 events in ${loadMs} ms`);

  const rows = await page.locator('[data-event-id]').count();
  assert.ok(rows > 5 && rows < 120, `only the visible log rows exist in the DOM (${rows})`);
  const lastShown = await page.locator('[data-event-id]').last().getAttribute('data-event-id');
  assert.equal(Number(lastShown), EVENT_COUNT, 'the log follows the newest event');

  // Scroll half way up: the follow mode pauses and the rows there are rendered.
  await page.$eval('[data-field="log-viewport"]', (element) => {
    element.scrollTop = element.scrollHeight / 2;
    element.dispatchEvent(new Event('scroll'));
  });
  await page.locator('[data-action="follow"]').waitFor();
  const middle = Number(await page.locator('[data-event-id]').nth(20).getAttribute('data-event-id'));
  assert.ok(Math.abs(middle - EVENT_COUNT / 2) < 1000, `rows around the middle are shown (${middle})`);

  // Live batches while the person reads: the view stays where it was; the oldest events
  // fall off the front of the bounded window.
  // A string, not a function: tsx would wrap a named arrow in a helper the page lacks.
  const frameGaps = page.evaluate<number[]>(`new Promise((resolve) => {
    const gaps = [];
    let last = performance.now();
    const end = last + 2000;
    const step = (now) => {
      gaps.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(step);
      else resolve(gaps);
    };
    requestAnimationFrame(step);
  })`);
  for (let batch = 0; batch < 10; batch += 1) {
    push(syntheticTrace(500).map((event, index) => ({ ...event, id: trace.length + index + 1 })));
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  const gaps = (await frameGaps).sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)] ?? 0;
  const worst = gaps[gaps.length - 1] ?? 0;
  t.diagnostic(`frames during live batches: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`);
  assert.ok(median < 100, `frames keep coming while batches arrive (median gap ${median.toFixed(1)} ms)`);
  await page.locator('[data-field="log-count"]', { hasText: '100,000 of 100,000 events' }).waitFor();
  await page.locator('[data-field="log-count"]', { hasText: 'latest 100,000 kept' }).waitFor();
  const stillMiddle = Number(await page.locator('[data-event-id]').nth(20).getAttribute('data-event-id'));
  assert.ok(Math.abs(stillMiddle - middle) < 200, `the rows in view stay put (${middle} → ${stillMiddle})`);

  // A text filter over the whole window.
  const filterStarted = Date.now();
  await page.fill('[data-field="log-text"]', 'replicate');
  await page.locator('[data-field="log-count"]', { hasText: /^\s*[\d,]+ of 100,000/ }).waitFor();
  t.diagnostic(`text filter over 100,000 events: ${Date.now() - filterStarted} ms`);
  const kinds = await page.locator('[data-event-id]').evaluateAll((elements) => elements.map((element) => element.textContent ?? ''));
  assert.ok(kinds.every((text) => text.includes('replicate')), 'every row shown matches the filter');
  await page.screenshot({ path: path.join('test-results', 'e2e', 'load-100k.png') });
  assert.deepEqual(errors, []);
});
