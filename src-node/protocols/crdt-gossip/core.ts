// CRDTs replicated by gossip (the book's §5 "Disorderly programming": replicas that accept
// updates anywhere, exchange state in any order, and still converge). Every node holds one
// state of the chosen CRDT type per key, applies a client's update locally (no coordination,
// so it answers even when cut off from everyone), and every `intervalMs` gossips with
// `fanout` random peers:
//
//   push       it sends its states; the peer merges them.
//   pull       it sends digests of its states; the peer sends back the states that differ.
//   push-pull  it sends its states; the peer merges them and sends back its own states of the
//              keys where it knew something the sender did not (one round trip, both learn).
//
// Merge is the type's join, so delivery order, duplication and loss do not matter for where
// the replicas end — only for when. Pure: time and randomness come from the host.
//
// `type` may also name one of the deliberately naive types (NAIVE_TYPES: string concatenation
// whose merge depends on arrival order). They travel the same way and never converge: the
// lab's contrast with the CRDTs (resources/scenarios/crdt-concat-vs-max.json).

import type { NodeId } from '../../contract/clock.ts';
import { CRDT_VIEW_KEYS_MAX, CRDT_VIEW_STATE_CHARS_MAX, type CoreContext, type CoreInput, type CoreStatus, type CrdtView, type ProtocolCore, type ProtocolDefinition, type Ready } from '../../contract/core.ts';
import type { ClientOp } from '../../contract/envelope.ts';
import { hashString } from '../hash/hash-string.ts';
import { CRDT_TYPES, REPLICATED_TYPES, replicatedTypeByName, stateKey, type AnyCrdt } from '../crdt/index.ts';
import { Outbox, overlayParams } from '../support/outbox.ts';

export type GossipMode = 'push' | 'pull' | 'push-pull';

export interface CrdtGossipParams {
  /** The CRDT every key holds (a name from CRDT_TYPES, or a naive type from NAIVE_TYPES). */
  type: string;
  mode: GossipMode;
  /** Peers contacted per round. */
  fanout: number;
  intervalMs: number;
}

export const DEFAULT_CRDT_GOSSIP_PARAMS: Readonly<CrdtGossipParams> = Object.freeze({ type: 'or-set', mode: 'push-pull', fanout: 1, intervalMs: 200 });

export const CRDT_GOSSIP_LIMITS = Object.freeze({ fanoutMax: 14, intervalMsMax: 600_000, keysMax: 10_000, keyLengthMax: 256, entriesPerMessageMax: 10_000 });

/** Stable-storage keys of the states: `s:<key>` (the lab's convergence measurement reads them in `persist` events). */
export const STATE_PREFIX = 's:';
const GOSSIP_TIMER = 'gossip';

export function parseCrdtGossipParams(raw: unknown): CrdtGossipParams {
  const params = overlayParams<CrdtGossipParams>('crdt-gossip', raw, DEFAULT_CRDT_GOSSIP_PARAMS);
  if (!REPLICATED_TYPES.has(params.type)) throw new Error(`crdt-gossip: type must be one of ${[...REPLICATED_TYPES.keys()].join(', ')}, got ${JSON.stringify(params.type)}`);
  if (!['push', 'pull', 'push-pull'].includes(params.mode)) throw new Error(`crdt-gossip: mode must be push, pull or push-pull, got ${JSON.stringify(params.mode)}`);
  if (!Number.isInteger(params.fanout) || params.fanout < 1 || params.fanout > CRDT_GOSSIP_LIMITS.fanoutMax) throw new Error(`crdt-gossip: fanout must be an integer in [1, ${CRDT_GOSSIP_LIMITS.fanoutMax}]`);
  if (!Number.isInteger(params.intervalMs) || params.intervalMs < 1 || params.intervalMs > CRDT_GOSSIP_LIMITS.intervalMsMax) throw new Error(`crdt-gossip: intervalMs must be an integer in [1, ${CRDT_GOSSIP_LIMITS.intervalMsMax}]`);
  return params;
}

/** A digest of a state, for pull: equal canonical states have equal digests. */
const digestOf = (state: unknown): number => hashString(stateKey(state));

export class CrdtGossipCore implements ProtocolCore {
  private readonly params: CrdtGossipParams;
  private readonly crdt: AnyCrdt;
  private readonly states = new Map<string, unknown>();
  private readonly out = new Outbox();
  private nowMs = 0;
  private merges = 0;

  constructor(private readonly context: CoreContext) {
    this.params = parseCrdtGossipParams(context.params);
    this.crdt = replicatedTypeByName(this.params.type);
  }

  step(input: CoreInput): Ready {
    this.nowMs = input.nowMs;
    switch (input.kind) {
      case 'recover': this.recover(input.stable); break;
      case 'client': this.onClient(input.requestId, input.op); break;
      case 'timer': if (input.timer === GOSSIP_TIMER) this.gossip(); break;
      case 'message': this.onMessage(input.source, input.type, input.payload); break;
      case 'suspicion': break;
    }
    return this.out.take();
  }

  /** The simulator looks at the role after every step; the status copies every state. */
  roleName(): string {
    return 'replica';
  }

  status(): CoreStatus {
    const data: Record<string, unknown> = {};
    for (const key of [...this.states.keys()].sort()) data[key] = this.crdt.value(this.states.get(key));
    return {
      role: 'replica',
      facts: { type: this.params.type, mode: this.params.mode, fanout: this.params.fanout, keys: this.states.size, merges: this.merges },
      data,
      view: this.view(),
    };
  }

  /** The raw states of the first keys, bounded, for the UI's state, merge and lattice views. */
  private view(): CrdtView {
    const keys = [...this.states.keys()].sort().slice(0, CRDT_VIEW_KEYS_MAX).map((key) => {
      const state = this.states.get(key);
      const stateChars = stateKey(state).length;
      const carried = stateChars <= CRDT_VIEW_STATE_CHARS_MAX;
      return { key, state: carried ? state : null, stateChars, value: carried ? this.crdt.value(state) : null };
    });
    const { intervalMs, fanout, mode, type } = this.params;
    return {
      protocol: 'crdt-gossip', source: 'live', self: this.context.self, type, lattice: CRDT_TYPES.has(type),
      describe: this.crdt.describe(), mode, fanout, intervalMs, merges: this.merges, keys, keysStored: this.states.size,
    };
  }

  /** The raw CRDT state of a key (for the UI's state and merge views, and tests). */
  stateOf(key: string): unknown {
    return this.states.get(key) ?? this.crdt.initial();
  }

  private recover(stable: ReadonlyMap<string, unknown>): void {
    for (const [name, raw] of stable) {
      if (!name.startsWith(STATE_PREFIX)) continue;
      const parsed = this.crdt.parseState(raw);
      // Our own disk: a state that does not parse is a bug, not a fault to tolerate.
      if (!parsed.ok) throw new Error(`stored state of ${name} is invalid: ${parsed.error}`);
      this.states.set(name.slice(STATE_PREFIX.length), parsed.value);
    }
    this.setGossipTimer(this.params.intervalMs * this.context.random());
  }

  private onClient(requestId: string, op: ClientOp): void {
    const key = op.key;
    if (typeof key !== 'string' || key.length === 0 || key.length > CRDT_GOSSIP_LIMITS.keyLengthMax) {
      return this.out.reply(requestId, { type: 'fail', error: `a key is a string of 1–${CRDT_GOSSIP_LIMITS.keyLengthMax} characters` });
    }
    if (op.f === 'read' || op.f === 'get') return this.out.reply(requestId, { type: 'ok', value: this.crdt.value(this.stateOf(key)) });
    // The digest of the key's whole state, not its value: equal values can hide states that still
    // differ (an OR-set's tags), and the lab's convergence measurement asks when states agree.
    if (op.f === 'digest') return this.out.reply(requestId, { type: 'ok', value: digestOf(this.stateOf(key)) });
    if (op.f !== 'update') return this.out.reply(requestId, { type: 'fail', error: `crdt-gossip serves read, digest and update, not '${op.f}'` });
    if (!this.states.has(key) && this.states.size >= CRDT_GOSSIP_LIMITS.keysMax) return this.out.reply(requestId, { type: 'fail', error: 'too many keys' });
    const update = this.crdt.parseUpdate(op.value);
    if (!update.ok) return this.out.reply(requestId, { type: 'fail', error: update.error });
    // The LWW types stamp whole, non-negative milliseconds; a host's clock reads fractions (the
    // simulator's drifting clocks) and, skewed far enough back, could read below zero.
    const timestampMs = Math.max(0, Math.floor(this.nowMs));
    const next = this.crdt.update(this.stateOf(key), update.value, { replica: this.context.self, timestampMs });
    if (!next.ok) return this.out.reply(requestId, { type: 'fail', error: next.error });
    this.setState(key, next.value);
    this.out.reply(requestId, { type: 'ok', value: this.crdt.value(next.value) });
  }

  private gossip(): void {
    this.setGossipTimer(this.params.intervalMs);
    for (const peer of this.pickPeers()) {
      if (this.params.mode === 'pull') this.out.send(peer, 'digest', { digests: [...this.states].map(([key, state]) => [key, digestOf(state)]) });
      else this.out.send(peer, 'state', { entries: [...this.states], reply: this.params.mode === 'push-pull' });
    }
  }

  private pickPeers(): NodeId[] {
    const pool = [...this.context.peers];
    const chosen: NodeId[] = [];
    while (chosen.length < this.params.fanout && pool.length > 0) chosen.push(pool.splice(Math.floor(this.context.random() * pool.length), 1)[0]!);
    return chosen;
  }

  private onMessage(source: NodeId, type: string, payload: unknown): void {
    const body = payload as { entries?: unknown; digests?: unknown; reply?: unknown } | null;
    if (type === 'state' && Array.isArray(body?.entries) && body.entries.length <= CRDT_GOSSIP_LIMITS.entriesPerMessageMax) {
      const received = this.mergeEntries(source, body.entries);
      if (received === null) return;
      if (body.reply === true) {
        // Push-pull: answer with what the sender lacks — our states of keys it did not send, or sent behind ours.
        const behind = [...this.states].filter(([key, state]) => !received.has(key) || stateKey(received.get(key)) !== stateKey(state));
        if (behind.length > 0) this.out.send(source, 'state', { entries: behind, reply: false });
      }
      return;
    }
    if (type === 'digest' && Array.isArray(body?.digests) && body.digests.length <= CRDT_GOSSIP_LIMITS.entriesPerMessageMax) {
      const theirs = new Map<string, unknown>(body.digests.filter((entry): entry is [string, number] => Array.isArray(entry) && typeof entry[0] === 'string'));
      const differing = [...this.states].filter(([key, state]) => theirs.get(key) !== digestOf(state));
      if (differing.length > 0) this.out.send(source, 'state', { entries: differing, reply: false });
      return;
    }
    this.out.note('malformed-message', { source, type });
  }

  /** Merges incoming states; returns them parsed by key, or null (and a note) if any is malformed. */
  private mergeEntries(source: NodeId, entries: unknown[]): Map<string, unknown> | null {
    const parsed = new Map<string, unknown>();
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || entry[0].length === 0 || entry[0].length > CRDT_GOSSIP_LIMITS.keyLengthMax) {
        this.out.note('malformed-message', { source, type: 'state' });
        return null;
      }
      const state = this.crdt.parseState(entry[1]);
      if (!state.ok) {
        this.out.note('malformed-message', { source, type: 'state', error: state.error });
        return null;
      }
      parsed.set(entry[0], state.value);
    }
    const changed: string[] = [];
    for (const [key, state] of parsed) {
      if (!this.states.has(key) && this.states.size >= CRDT_GOSSIP_LIMITS.keysMax) continue;
      const mine = this.stateOf(key);
      const merged = this.crdt.merge(mine, state);
      if (stateKey(merged) !== stateKey(mine)) {
        this.setState(key, merged);
        changed.push(key);
      }
    }
    if (changed.length > 0) {
      this.merges += 1;
      this.out.note('merged', { from: source, keys: changed });
    }
    return parsed;
  }

  private setState(key: string, state: unknown): void {
    this.states.set(key, state);
    this.out.persist(STATE_PREFIX + key, state);
  }

  private setGossipTimer(afterMs: number): void {
    this.out.setTimer(GOSSIP_TIMER, afterMs);
  }
}

export const CRDT_GOSSIP: ProtocolDefinition = Object.freeze({
  name: 'crdt-gossip',
  summary: 'CRDTs (counters, registers, sets) updated anywhere without coordination and replicated by push, pull or push-pull gossip (book §5).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parseCrdtGossipParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new CrdtGossipCore(context),
});
