// The browser shell's call timeouts (src-renderer/api/socket-transport.ts): a measurement runs
// an experiment of its own and may take minutes on a busy machine; everything else answers
// within a minute or has its own timeout.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAB_METHODS } from '../../src-node/contract/lab-api.ts';
import { callTimeoutMs } from '../../src-renderer/api/socket-transport.ts';

describe('browser shell: how long the page waits for the lab', () => {
  it('gives the measurements minutes and every other call a minute', () => {
    for (const method of ['measurePbs', 'compareProtocols', 'measureConvergence'] as const) assert.ok(callTimeoutMs(method) >= 10 * 60_000, method);
    for (const method of LAB_METHODS.filter((name) => !name.startsWith('measure') && name !== 'compareProtocols')) assert.equal(callTimeoutMs(method), 60_000, method);
  });
});
