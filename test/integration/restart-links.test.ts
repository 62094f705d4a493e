// Links come back after crashes, whatever the order of restarts: two nodes crashed together
// and restarted back to back (the Raft view found n1 → n2 staying down after exactly that),
// and a node restarted while its peer is still down. Every directed link must be up again
// within a few reconnect rounds, seen from both ends.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLab, type Lab } from '../../src-main/lab/lab.ts';

let lab: Lab;
let dataRoot: string;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Directed links that are not up, as "source>target", among running nodes. */
async function downLinks(): Promise<string[]> {
  const snapshot = await lab.snapshot();
  const running = new Set(snapshot.nodes.filter((node) => node.state === 'up').map((node) => node.id));
  return snapshot.links.filter((link) => running.has(link.source) && running.has(link.target) && !link.up).map((link) => `${link.source}>${link.target}`);
}

async function allLinksUp(what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let down = await downLinks();
  while (down.length > 0) {
    if (performance.now() > deadline) assert.fail(`${what}: links still down after ${timeoutMs} ms: ${down.join(', ')}`);
    await sleep(100);
    down = await downLinks();
  }
}

describe('links after restarts', () => {
  before(async () => {
    dataRoot = await mkdtemp(path.join(os.tmpdir(), 'distlab-links-test-'));
    lab = await createLab({ dataRoot, autoplay: false, requester: 'test', scenario: 'raft-crashes' });
    await allLinksUp('start');
  });

  after(async () => {
    await lab?.close();
    await rm(dataRoot, { recursive: true, force: true });
  });

  test('two nodes crashed together and restarted back to back reconnect both ways', async () => {
    for (let round = 0; round < 3; round += 1) {
      await lab.fault({ kind: 'crash', node: 'n1' });
      await lab.fault({ kind: 'crash', node: 'n2' });
      await sleep(300);
      await lab.fault({ kind: 'restart', node: 'n1' });
      await lab.fault({ kind: 'restart', node: 'n2' });
      await allLinksUp(`round ${round}`);
    }
  });

  test('a node restarted while its peer is down reaches it once the peer is back', async () => {
    await lab.fault({ kind: 'crash', node: 'n3' });
    await lab.fault({ kind: 'crash', node: 'n4' });
    await lab.fault({ kind: 'restart', node: 'n3' });
    await sleep(1_500);
    await lab.fault({ kind: 'restart', node: 'n4' });
    await allLinksUp('n3 then n4');
  });
});
