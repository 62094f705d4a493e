// The lab's client never outlives its close: a request waiting for a connection when the
// lab shuts down ends as `fail` and leaves no socket trying to reconnect (a `distlab web`
// that hung after Ctrl+C was such a socket).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { LabClient } from '../../src-main/workload/client.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';

/** A port on 127.0.0.1 with nothing listening on it. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

test('closing the client while a request waits to connect ends it as fail and leaves no timer', async () => {
  const events: TraceEvent[] = [];
  const client = new LabClient('c1', performance.timeOrigin + performance.now(), (event) => events.push(event));
  const before = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const url = `http://127.0.0.1:${await deadPort()}`;
  const pending = client.request({ node: 'n1', url, op: { f: 'get', key: 'k' }, timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  client.close();
  const done = await pending;
  assert.equal(done.result.type, 'fail', 'it never left: it certainly did not happen');
  assert.deepEqual(events.map((event) => event.kind), ['invoke', 'fail']);
  await new Promise((resolve) => setTimeout(resolve, 700));
  const after = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  assert.ok(after <= before, `timers left behind: ${after - before}`);
  await assert.rejects(client.request({ node: 'n1', url, op: { f: 'get', key: 'k' }, timeoutMs: 100 }), /closed/);
});
