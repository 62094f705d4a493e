// A cluster of pure protocol cores on an in-process network, for unit tests: messages queue
// until delivered (in order), timers fire as the test advances time, a node can be cut off
// (everything to and from it dropped) or crashed (volatile state gone; its persisted writes
// replayed on recovery), and each node's clock can be skewed. Smaller than the simulator and
// fully under the test's control: for tests that narrate one schedule step by step.

import assert from 'node:assert/strict';
import type { CoreContext, OutMessage, ProtocolCore, Ready } from '../../src-node/contract/core.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';

export interface Wire extends OutMessage { source: string }

/** A cluster of pure cores on an in-process network (see the file comment). */
export class CoreCluster<Core extends ProtocolCore> {
  readonly cores = new Map<string, Core>();
  readonly disks = new Map<string, Map<string, unknown>>();
  readonly timers = new Map<string, Map<string, number>>();
  readonly results = new Map<string, ClientResult>();
  readonly notes: { node: string; name: string; detail: Record<string, unknown> | undefined }[] = [];
  readonly cut = new Set<string>();
  readonly skewMs = new Map<string, number>();
  private queue: Wire[] = [];
  private requests = 0;
  nowMs = 0;

  constructor(readonly ids: string[], private readonly create: (context: CoreContext) => Core, readonly params: Record<string, unknown>, private readonly seed = 1) {
    for (const id of ids) this.start(id);
  }

  start(id: string): void {
    const random = createRandom(this.seed + id.length * 1000 + Number(id.slice(1)));
    const core = this.create({ self: id, peers: this.ids.filter((other) => other !== id), random: () => random.next(), params: this.params });
    this.cores.set(id, core);
    this.timers.set(id, new Map());
    if (!this.disks.has(id)) this.disks.set(id, new Map());
    this.apply(id, core.step({ kind: 'recover', nowMs: this.clock(id), stable: this.disks.get(id)! }));
  }

  crash(id: string): void {
    this.cores.delete(id);
    this.timers.get(id)!.clear();
    this.queue = this.queue.filter((wire) => wire.source !== id && wire.target !== id);
  }

  client(node: string, op: ClientOp): string {
    const requestId = `r${++this.requests}`;
    this.apply(node, this.cores.get(node)!.step({ kind: 'client', nowMs: this.clock(node), requestId, op }));
    return requestId;
  }

  /** Delivers queued messages (and those they cause) until none is left, or `max` deliveries. */
  deliverAll(max = 100_000): void {
    for (let count = 0; this.queue.length > 0 && count < max; count += 1) {
      const wire = this.queue.shift()!;
      const core = this.cores.get(wire.target);
      if (core === undefined || this.cut.has(wire.source) || this.cut.has(wire.target)) continue;
      this.apply(wire.target, core.step({ kind: 'message', nowMs: this.clock(wire.target), source: wire.source, type: wire.type, payload: wire.payload }));
    }
  }

  /**
   * Delivers up to `count` queued messages in a random order (`random` in [0, 1)), dropping
   * `dropPct` of them and duplicating `duplicatePct`: adversarial interleavings for property tests.
   */
  deliverShuffled(random: () => number, count: number, options: { dropPct?: number; duplicatePct?: number } = {}): void {
    for (let step = 0; step < count && this.queue.length > 0; step += 1) {
      const wire = this.queue.splice(Math.floor(random() * this.queue.length), 1)[0]!;
      if (random() * 100 < (options.dropPct ?? 0)) continue;
      if (random() * 100 < (options.duplicatePct ?? 0)) this.queue.push(wire);
      const core = this.cores.get(wire.target);
      if (core === undefined || this.cut.has(wire.source) || this.cut.has(wire.target)) continue;
      this.apply(wire.target, core.step({ kind: 'message', nowMs: this.clock(wire.target), source: wire.source, type: wire.type, payload: wire.payload }));
    }
  }

  /** Fires every timer that is due at the current time (without advancing it or delivering). */
  fireDueTimers(): void {
    for (const [id, timers] of this.timers) {
      for (const [timer, dueMs] of [...timers]) {
        const core = this.cores.get(id);
        if (core === undefined || dueMs > this.nowMs) continue;
        timers.delete(timer);
        this.apply(id, core.step({ kind: 'timer', nowMs: this.clock(id), timer }));
      }
    }
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Advances time in steps, firing due timers and delivering what they send. */
  advance(ms: number, stepMs = 10): void {
    const end = this.nowMs + ms;
    while (this.nowMs < end) {
      this.nowMs = Math.min(end, this.nowMs + stepMs);
      this.fireDueTimers();
      this.deliverAll();
    }
  }

  send(source: string, target: string, type: string, payload: unknown): void {
    this.apply(target, this.cores.get(target)!.step({ kind: 'message', nowMs: this.clock(target), source, type, payload }));
  }

  private clock(id: string): number {
    return this.nowMs + (this.skewMs.get(id) ?? 0);
  }

  private apply(id: string, ready: Ready): void {
    const disk = this.disks.get(id)!;
    for (const write of ready.persist) {
      if (write.value === undefined) disk.delete(write.key);
      else disk.set(write.key, structuredClone(write.value));
    }
    for (const message of ready.messages) this.queue.push({ ...structuredClone(message), source: id });
    for (const reply of ready.replies) this.results.set(reply.requestId, reply.result);
    for (const timer of ready.timers) {
      if (timer.kind === 'set') this.timers.get(id)!.set(timer.timer, this.nowMs + timer.afterMs);
      else this.timers.get(id)!.delete(timer.timer);
    }
    for (const note of ready.notes) this.notes.push({ node: id, name: note.name, detail: note.detail });
  }

  /** Runs one client op to completion (messages delivered, time advanced to its timeout if need be). */
  run(node: string, op: ClientOp): ClientResult {
    const id = this.client(node, op);
    this.deliverAll();
    if (!this.results.has(id)) this.advance(1_100);
    const result = this.results.get(id);
    assert.ok(result !== undefined, `no answer to ${JSON.stringify(op)} at ${node}`);
    return result;
  }

  data(id: string, key: string): unknown {
    return this.cores.get(id)!.status().data?.[key];
  }
}

