// A load generator, not a protocol of the book: on a `flood` client request a node sends
// `count` small messages round-robin to its peers. The benchmark uses it to measure how
// many messages per second the real runtime carries with every send and receive traced.

import type { ProtocolCore, ProtocolDefinition, Ready } from '../../contract/core.ts';
import { emptyReady } from '../../contract/core.ts';

export const MAX_FLOOD_COUNT = 200_000;
export const MAX_FLOOD_PAYLOAD_BYTES = 4_096;

function floodCount(value: unknown): number | null {
  const count = typeof value === 'object' && value !== null ? (value as { count?: unknown }).count : value;
  return typeof count === 'number' && Number.isInteger(count) && count >= 1 && count <= MAX_FLOOD_COUNT ? count : null;
}

export const floodProtocol: ProtocolDefinition = {
  name: 'flood',
  summary: 'Benchmark load: each flood request makes a node send N messages round-robin to its peers.',
  parseParams(raw: unknown): Record<string, unknown> {
    const params = (raw ?? {}) as Record<string, unknown>;
    if (typeof params !== 'object' || Array.isArray(params)) throw new Error('flood parameters are an object');
    const payloadBytes = params['payloadBytes'] ?? 16;
    if (typeof payloadBytes !== 'number' || !Number.isInteger(payloadBytes) || payloadBytes < 0 || payloadBytes > MAX_FLOOD_PAYLOAD_BYTES) {
      throw new Error(`flood.payloadBytes must be an integer from 0 to ${MAX_FLOOD_PAYLOAD_BYTES}`);
    }
    return { payloadBytes };
  },
  create(context): ProtocolCore {
    const filler = 'x'.repeat(context.params['payloadBytes'] as number);
    let sent = 0;
    let received = 0;
    return {
      step(input): Ready {
        const ready = emptyReady();
        if (input.kind === 'message' && input.type === 'flood') received += 1;
        if (input.kind !== 'client') return ready;
        const count = input.op.f === 'flood' ? floodCount(input.op.value) : null;
        if (count === null || context.peers.length === 0) {
          ready.replies.push({ requestId: input.requestId, result: { type: 'fail', error: `flood takes {count: 1..${MAX_FLOOD_COUNT}} and needs peers` } });
          return ready;
        }
        for (let index = 0; index < count; index += 1) {
          const target = context.peers[(sent + index) % context.peers.length] as string;
          ready.messages.push({ target, type: 'flood', payload: filler });
        }
        sent += count;
        ready.replies.push({ requestId: input.requestId, result: { type: 'ok', value: { sent: count } } });
        return ready;
      },
      status() {
        return { role: 'member', facts: { sent, received } };
      },
    };
  },
};
