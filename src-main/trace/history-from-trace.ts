// The client history of a recorded run, rebuilt from its trace: a client's `invoke` event
// and the `ok` / `fail` / `info` event with the same msgId make one operation. This is how
// a trace someone handed you (real or simulated) is checked and shown again.

import type { StoredEvent } from '../../src-node/contract/trace.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import type { CompletedOp } from '../workload/client.ts';

const COMPLETIONS = new Set(['ok', 'fail', 'info']);

/** Completed operations of the trace's clients; an invoke with no completion stays `info` (open). */
export function operationsFromTrace(events: readonly StoredEvent[]): CompletedOp[] {
  const invokes = new Map<string, StoredEvent>();
  const operations: CompletedOp[] = [];
  let lastTimeMs = 0;
  for (const event of events) {
    lastTimeMs = Math.max(lastTimeMs, event.labTimeMs);
    if (event.msgId === undefined) continue;
    if (event.kind === 'invoke') {
      invokes.set(event.msgId, event);
      continue;
    }
    if (!COMPLETIONS.has(event.kind)) continue;
    const invoke = invokes.get(event.msgId);
    if (!invoke) continue;
    invokes.delete(event.msgId);
    const detail = (event.detail ?? {}) as { op?: ClientOp; result?: ClientResult };
    const op = detail.op ?? (invoke.detail as { op?: ClientOp } | undefined)?.op;
    if (!op) continue;
    operations.push(completed(invoke, op, detail.result ?? { type: event.kind as ClientResult['type'] }, event.labTimeMs));
  }
  // Invoked and never answered in the trace (the run ended, or the client's events were lost).
  for (const invoke of invokes.values()) {
    const op = (invoke.detail as { op?: ClientOp } | undefined)?.op;
    if (op) operations.push(completed(invoke, op, { type: 'info', error: 'no completion in the trace' }, lastTimeMs));
  }
  return operations;
}

function completed(invoke: StoredEvent, op: ClientOp, result: ClientResult, completedAtMs: number): CompletedOp {
  return {
    client: invoke.node, node: invoke.peer ?? '', op, result,
    invokedAtMs: invoke.labTimeMs, completedAtMs, opId: invoke.msgId as string,
  };
}
