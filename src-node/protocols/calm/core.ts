// A node that runs a program of the lab's Datalog (language.ts) on the cluster, Dedalus-style:
// every `tickMs` it takes the channel tuples that arrived and the client inputs since its
// last step, evaluates one step (evaluate.ts), sends what the channel rules derived (each
// tuple to the node in its location column), and keeps its tables — on disk, so a restart
// resumes where it was. Nothing orders the messages: the network reorders, duplicates and
// drops as the lab's faults say, which is exactly what the CALM analysis is about.
//
// What each point of order (analysis.ts) concludes is kept as it happens: two replicas whose
// tables end equal may still have concluded different things on the way (a cart that showed
// milk on one node and never on another), and that is the divergence CALM speaks of.
//
// With `coordinate: true` every point of order waits for coordination before it runs: Bloom's
// sealing (coordination.ts, seals.ts). A client seals its node's inputs (`seal`); a node seals
// a channel toward every node once what feeds it is complete, saying how many distinct tuples
// it sent; a point of order runs once all of its asynchronous sources are complete here. The
// node then drops duplicate arrivals (a sealed collection is a set). Notes show where a rule
// waited (`waiting`), when it ran (`coordinated`) and each seal (`sealed`).
//
// Every tuple batch and seal to another node is numbered and sent again until acknowledged
// (delivery.ts): the theorem's network delays, reorders and duplicates but eventually
// delivers, and the lab's links may lose messages. A node acknowledges at the end of the step
// that took them, once that step's state is on disk.

import type { NodeId } from '../../contract/clock.ts';
import {
  CALM_VIEW_COLLECTIONS_MAX, CALM_VIEW_SOURCE_CHARS_MAX, CALM_VIEW_TUPLES_MAX,
  type CalmView, type CoreContext, type CoreInput, type CoreStatus, type ProtocolCore, type ProtocolDefinition, type Ready,
} from '../../contract/core.ts';
import type { ClientOp } from '../../contract/envelope.ts';
import { analyze, type CalmReport } from './analysis.ts';
import { planCoordination, type CoordinationPlan, type HeldRule } from './coordination.ts';
import { databaseJson, emptyTables, step, tupleKey, type Database, type Tuple } from './evaluate.ts';
import { CALM_EXAMPLES, type InputShape } from './examples.ts';
import { parseProgram, type Program } from './language.ts';
import { Seals, type SealsJson } from './seals.ts';
import { ACK_SEQS_MAX, Delivery, numbering, type DeliveryJson } from './delivery.ts';
import { Outbox, overlayParams } from '../support/outbox.ts';

export interface CalmParams {
  /** A shipped example by name, or null to use `source`. */
  example: string | null;
  source: string | null;
  tickMs: number;
  /** Points of order wait for their inputs to be sealed everywhere (coordination by sealing). */
  coordinate: boolean;
  /** A message not acknowledged this long after it was sent is sent again. */
  retransmitMs: number;
}

export const DEFAULT_CALM_PARAMS: Readonly<CalmParams> = Object.freeze({ example: 'set-union', source: null, tickMs: 50, coordinate: false, retransmitMs: 200 });

/** Tuples queued for the next step, at most (arrivals and inputs together). */
const PENDING_MAX = 10_000;
/** Values per column, and inputs per client, that the workload draws for a program with no declared inputs. */
const CUSTOM_VALUES = ['v1', 'v2', 'v3'];
const CUSTOM_INPUTS_PER_CLIENT = 4;
/** Tuples a state note lists. */
const NOTE_TUPLES_MAX = 10;
const TABLES_KEY = 'tables';
const STATE_KEY = 'calm';
const TICK_TIMER = 'tick';

export function parseCalmParams(raw: unknown): CalmParams {
  const params = overlayParams<CalmParams>('calm', raw, DEFAULT_CALM_PARAMS);
  const input = (raw ?? {}) as Record<string, unknown>;
  if (input['source'] !== undefined && input['example'] === undefined) params.example = null;
  if (params.example !== null && !CALM_EXAMPLES.some((example) => example.name === params.example)) {
    throw new Error(`calm: example must be one of ${CALM_EXAMPLES.map((example) => example.name).join(', ')}, got ${JSON.stringify(params.example)}`);
  }
  if (params.example === null && typeof params.source !== 'string') throw new Error('calm: give an example name or a program source');
  if (!Number.isInteger(params.tickMs) || params.tickMs < 1 || params.tickMs > 60_000) throw new Error('calm: tickMs must be an integer in [1, 60000]');
  if (typeof params.coordinate !== 'boolean') throw new Error('calm: coordinate must be true or false');
  if (!Number.isInteger(params.retransmitMs) || params.retransmitMs < 1 || params.retransmitMs > 600_000) throw new Error('calm: retransmitMs must be an integer in [1, 600000]');
  // Parse now, so a bad program is a clear error when the scenario loads, not a node crash.
  const program = parseProgram(programSource(params));
  if (params.coordinate) planCoordination(program, analyze(program));
  return params;
}

function programSource(params: CalmParams): string {
  return params.example !== null ? CALM_EXAMPLES.find((example) => example.name === params.example)!.source : params.source!;
}

const isConstant = (value: unknown): value is string | number => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));

/** What the `describe` operation answers: what the program takes, for the lab's input workload (src-main/workload/calm.ts). */
export interface CalmDescription {
  example: string | null;
  coordinate: boolean;
  inputs: InputShape[];
  inputsPerClient: number;
  /** Tables and scratch collections, the ones worth reading. */
  readable: string[];
}

interface PersistedState {
  concluded: Record<string, Tuple[]>;
  seals: SealsJson;
  ready: number[];
  kept: { collection: string; tuple: Tuple }[];
  /** Absent in a state written before messages were numbered. */
  delivery?: DeliveryJson;
}

export class CalmCore implements ProtocolCore {
  private readonly program: Program;
  private readonly report: CalmReport;
  private readonly params: CalmParams;
  private readonly plan: CoordinationPlan | null;
  private tables: Database;
  private view: Database;
  private arrived: { channel: string; tuple: Tuple }[] = [];
  private inputs: { input: string; tuple: Tuple }[] = [];
  private steps = 0;
  /** Points of order (rule index) → everything the rule concluded on this node. */
  private concluded = new Map<number, Map<string, Tuple>>();
  private seals = new Seals();
  /** Held rules that have run: their sources were complete. */
  private ready = new Set<number>();
  /** What waiting rules read directly (channels, inputs), kept past its step until they run. */
  private kept = new Map<string, { collection: string; tuple: Tuple }>();
  private readonly waitingSinceMs = new Map<number, number>();
  private lastPersisted = '';
  /** The last step deleted tuples: its view still shows them, so the next step is not quiet. */
  private deletedLastStep = false;
  private nowMs = 0;
  private readonly out = new Outbox();
  private delivery: Delivery;
  /** Numbered messages taken since the last step, by sender: acknowledged at the end of the next step. */
  private readonly acks = new Map<NodeId, number[]>();

  constructor(private readonly context: CoreContext) {
    this.params = parseCalmParams(context.params);
    this.program = parseProgram(programSource(this.params));
    this.report = analyze(this.program);
    this.plan = this.params.coordinate ? planCoordination(this.program, this.report) : null;
    this.tables = emptyTables(this.program);
    this.view = this.tables;
    this.delivery = new Delivery(this.params.retransmitMs);
  }

  private get nodes(): NodeId[] {
    return [this.context.self, ...this.context.peers].sort();
  }

  step(input: CoreInput): Ready {
    this.nowMs = input.nowMs;
    switch (input.kind) {
      case 'recover': this.recover(input.stable); break;
      case 'client': this.onClient(input.requestId, input.op); break;
      case 'message': this.onMessage(input.source, input.type, input.payload); break;
      case 'timer': if (input.timer === TICK_TIMER) this.tick(); break;
      case 'suspicion': break;
    }
    return this.out.take();
  }

  roleName(): string {
    return 'node';
  }

  status(): CoreStatus {
    const waiting = this.waitingRules();
    return {
      role: 'node',
      facts: {
        program: this.params.example ?? 'custom',
        coordinate: this.params.coordinate,
        confluent: this.report.confluent,
        pointsOfOrder: this.report.pointsOfOrder.length,
        waiting: waiting.length,
        steps: this.steps,
      },
      data: databaseJson(this.view, (name) => this.isState(name)),
      view: this.calmView(waiting),
    };
  }

  /** The replica as the schedule search compares it: final tables and scratch, and what each point of order concluded. */
  replica(): { state: Record<string, Tuple[]>; concluded: Record<string, Tuple[]> } {
    return { state: databaseJson(this.view, (name) => this.isState(name)), concluded: this.concludedJson() };
  }

  private isState(name: string): boolean {
    const kind = this.program.collections.get(name)?.kind;
    return kind === 'table' || kind === 'scratch';
  }

  private concludedJson(): Record<string, Tuple[]> {
    const json: Record<string, Tuple[]> = {};
    for (const point of this.report.pointsOfOrder) {
      const tuples = this.concluded.get(point.rule) ?? new Map<string, Tuple>();
      json[`line ${point.line}`] = [...tuples.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, tuple]) => tuple);
    }
    return json;
  }

  private waitingRules(): HeldRule[] {
    return this.plan?.held.filter((rule) => !this.ready.has(rule.index)) ?? [];
  }

  private calmView(waiting: readonly HeldRule[]): CalmView {
    const concluded = this.concludedJson();
    const rules = this.report.rules.map((rule, index) => {
      const point = this.report.pointsOfOrder.find((candidate) => candidate.rule === index);
      const held = this.plan?.held.find((candidate) => candidate.index === index);
      const mine = point === undefined ? [] : concluded[`line ${point.line}`] ?? [];
      return {
        line: rule.line, text: rule.text, monotone: rule.monotone, reasons: [...rule.reasons],
        pointOfOrder: point !== undefined, reads: point?.reads ?? [],
        coordination: held === undefined ? null : waiting.includes(held) ? 'waiting' as const : 'ready' as const,
        waitingFor: held !== undefined && waiting.includes(held) ? this.seals.missing(held.sources, this.nodes).slice(0, 8) : [],
        concluded: mine.slice(0, CALM_VIEW_TUPLES_MAX), concludedCount: mine.length,
      };
    });
    const state = databaseJson(this.view, (name) => this.isState(name));
    const collections = [...this.program.collections.values()].filter((collection) => collection.kind === 'table' || collection.kind === 'scratch')
      .slice(0, CALM_VIEW_COLLECTIONS_MAX)
      .map((collection) => {
        const tuples = state[collection.name] ?? [];
        return { name: collection.name, kind: collection.kind as 'table' | 'scratch', columns: [...collection.columns], tuples: tuples.slice(0, CALM_VIEW_TUPLES_MAX), count: tuples.length };
      });
    return {
      protocol: 'calm', source: 'live', self: this.context.self,
      program: this.params.example ?? 'custom', listing: programSource(this.params).slice(0, CALM_VIEW_SOURCE_CHARS_MAX),
      coordinate: this.params.coordinate, confluent: this.report.confluent, summary: this.report.summary,
      rules, collections,
      sealedInputs: [...this.seals.sealedInputs].sort(), sealedChannels: [...this.seals.sealedChannels].sort(),
      waiting: waiting.length > 0, steps: this.steps,
    };
  }

  private recover(stable: ReadonlyMap<string, unknown>): void {
    const stored = stable.get(TABLES_KEY) as Record<string, Tuple[]> | undefined;
    if (stored !== undefined) {
      this.tables = new Map(Object.entries(stored).map(([name, tuples]) => [name, new Map(tuples.map((tuple) => [tupleKey(tuple), tuple]))]));
      this.view = this.tables;
    }
    const state = stable.get(STATE_KEY) as PersistedState | undefined;
    if (state !== undefined) {
      this.concluded = new Map(Object.entries(state.concluded).map(([index, tuples]) => [Number(index), new Map(tuples.map((tuple) => [tupleKey(tuple), tuple]))]));
      this.seals = Seals.fromJson(state.seals);
      this.ready = new Set(state.ready);
      this.kept = new Map(state.kept.map((entry) => [tupleKey([entry.collection, ...entry.tuple]), entry]));
      this.delivery = Delivery.fromJson(state.delivery, this.params.retransmitMs);
      this.lastPersisted = JSON.stringify(state);
    }
    this.out.setTimer(TICK_TIMER, this.params.tickMs * this.context.random());
  }

  /** Writes the coordination state and the conclusions when they changed (before any reply or send of the step). */
  private persistState(): void {
    const state: PersistedState = {
      concluded: Object.fromEntries([...this.concluded].map(([index, tuples]) => [String(index), [...tuples.values()]])),
      seals: this.seals.toJson(),
      ready: [...this.ready].sort((a, b) => a - b),
      kept: [...this.kept.values()],
      delivery: this.delivery.toJson(),
    };
    const json = JSON.stringify(state);
    if (json === this.lastPersisted) return;
    this.lastPersisted = json;
    this.out.persist(STATE_KEY, state);
  }

  // ---- clients -------------------------------------------------------------------------------

  private onClient(client: string, op: ClientOp): void {
    switch (op.f) {
      case 'read': case 'get': return this.onRead(client, op);
      case 'input': return this.onInput(client, op);
      case 'seal': return this.onSeal(client, op);
      case 'describe': return this.out.reply(client, { type: 'ok', value: this.describe() });
      default: return this.out.reply(client, { type: 'fail', error: `a calm node takes input, seal, read and describe, not '${op.f}'` });
    }
  }

  private onRead(client: string, op: ClientOp): void {
    const collection = op.key ?? '';
    if (!this.program.collections.has(collection)) return this.out.reply(client, { type: 'fail', error: `no collection '${collection}'` });
    this.out.reply(client, { type: 'ok', value: databaseJson(this.view, (name) => name === collection)[collection] ?? [] });
  }

  private inputNames(): string[] {
    return [...this.program.collections.values()].filter((candidate) => candidate.kind === 'input').map((candidate) => candidate.name);
  }

  private onInput(client: string, op: ClientOp): void {
    const collection = this.program.collections.get(op.key ?? '');
    if (collection?.kind !== 'input') {
      return this.out.reply(client, { type: 'fail', error: `'${op.key ?? ''}' is not an input of this program (inputs: ${this.inputNames().join(', ') || 'none'})` });
    }
    if (this.seals.sealedInputs.has(collection.name)) return this.out.reply(client, { type: 'fail', error: `${collection.name} is sealed at ${this.context.self}: it takes no more input` });
    const tuple = op.value;
    if (!Array.isArray(tuple) || tuple.length !== collection.columns.length || !tuple.every(isConstant)) {
      return this.out.reply(client, { type: 'fail', error: `${collection.name} takes a tuple of ${collection.columns.length} string or number value(s) (${collection.columns.join(', ')})` });
    }
    if (this.inputs.length + this.arrived.length >= PENDING_MAX) return this.out.reply(client, { type: 'fail', error: 'too many inputs pending; retry' });
    this.inputs.push({ input: collection.name, tuple });
    // The input is taken: it becomes part of the next step (monotone programs never lose it).
    this.out.reply(client, { type: 'ok' });
  }

  /** The client will give this node no more input in `key` (absent: in any input collection). Idempotent. */
  private onSeal(client: string, op: ClientOp): void {
    const inputs = this.inputNames();
    if (op.key !== undefined && !inputs.includes(op.key)) return this.out.reply(client, { type: 'fail', error: `'${op.key}' is not an input of this program (inputs: ${inputs.join(', ') || 'none'})` });
    const sealing = op.key === undefined ? inputs : [op.key];
    for (const name of sealing) this.seals.sealedInputs.add(name);
    this.persistState();
    this.out.reply(client, { type: 'ok', value: [...this.seals.sealedInputs].sort() });
  }

  private describe(): CalmDescription {
    const example = CALM_EXAMPLES.find((candidate) => candidate.name === this.params.example);
    const inputs = example?.inputs ?? [...this.program.collections.values()].filter((collection) => collection.kind === 'input')
      .map((collection) => ({ collection: collection.name, values: collection.columns.map(() => [...CUSTOM_VALUES]), weight: 1 }));
    return {
      example: example?.name ?? null, coordinate: this.params.coordinate, inputs,
      inputsPerClient: example?.inputsPerClient ?? CUSTOM_INPUTS_PER_CLIENT,
      readable: [...this.program.collections.values()].filter((collection) => this.isState(collection.name)).map((collection) => collection.name),
    };
  }

  // ---- messages ------------------------------------------------------------------------------

  private onMessage(source: NodeId, type: string, payload: unknown): void {
    if (type === 'ack') return this.onAck(source, payload);
    const numbered = numbering(payload);
    if (numbered === 'malformed') return this.out.note('malformed-message', { source, type });
    if (type === 'seal') {
      if (this.take(source, numbered)) this.onSealMessage(source, payload);
      return;
    }
    const entries = (payload as { entries?: unknown } | null)?.entries;
    if (type !== 'tuples' || !Array.isArray(entries) || entries.length > PENDING_MAX) return this.out.note('malformed-message', { source, type });
    const accepted: { channel: string; tuple: Tuple }[] = [];
    for (const entry of entries) {
      const { channel, tuple } = (entry ?? {}) as { channel?: unknown; tuple?: unknown };
      const collection = typeof channel === 'string' ? this.program.collections.get(channel) : undefined;
      const ok = collection?.kind === 'channel' && Array.isArray(tuple) && tuple.length === collection.columns.length && tuple.every(isConstant) && tuple[0] === this.context.self;
      if (!ok) return this.out.note('malformed-message', { source, type });
      accepted.push({ channel: channel as string, tuple: tuple as Tuple });
    }
    // Dropped unacknowledged: the sender sends it again.
    if (this.inputs.length + this.arrived.length + accepted.length > PENDING_MAX) return this.out.note('overloaded', { source, dropped: accepted.length });
    if (this.take(source, numbered)) this.arrive(source, accepted);
  }

  /**
   * A numbered message is taken: its acknowledgement waits for the end of the next step. False
   * for a retransmission of one taken already (acknowledged again, not taken twice).
   */
  private take(source: NodeId, numbered: { seq: number; retry: boolean } | null): boolean {
    if (numbered === null) return true;
    const seqs = this.acks.get(source) ?? [];
    if (seqs.length < ACK_SEQS_MAX) seqs.push(numbered.seq);
    this.acks.set(source, seqs);
    return this.delivery.receive(source, numbered.seq, numbered.retry);
  }

  /** Arrivals join the next step; with coordination each is counted once per sender and a duplicate is dropped. */
  private arrive(source: NodeId, entries: readonly { channel: string; tuple: Tuple }[]): void {
    for (const entry of entries) {
      if (this.plan !== null) {
        if (!this.seals.recordReceived(source, entry.channel, tupleKey(entry.tuple))) continue;
        const over = this.seals.overCounted(entry.channel, [source]);
        if (over.length > 0) this.out.note('seal-violated', { channel: entry.channel, source, tuple: entry.tuple });
      }
      this.arrived.push(entry);
    }
  }

  private onAck(source: NodeId, payload: unknown): void {
    const seqs = (payload as { seqs?: unknown } | null)?.seqs;
    if (!Array.isArray(seqs) || seqs.length > ACK_SEQS_MAX || !seqs.every((seq) => Number.isSafeInteger(seq) && (seq as number) >= 1)) {
      return this.out.note('malformed-message', { source, type: 'ack' });
    }
    this.delivery.acked(source, seqs as number[]);
  }

  /** Acknowledges what the step took, after its state: the host sends them once the step's writes are durable. */
  private sendAcks(): void {
    for (const [source, seqs] of this.acks) this.out.send(source, 'ack', { seqs });
    this.acks.clear();
  }

  /** A numbered message to another node, kept until it is acknowledged. */
  private sendReliably(target: NodeId, type: string, fields: Record<string, unknown>): void {
    const { payload, gaveUp } = this.delivery.send(target, type, fields, this.nowMs);
    if (gaveUp !== null) this.out.note('gave-up', { target: gaveUp.target, seq: gaveUp.seq, type: gaveUp.type });
    this.out.send(target, type, payload);
  }

  private onSealMessage(source: NodeId, payload: unknown): void {
    const seals = (payload as { seals?: unknown } | null)?.seals;
    const valid = Array.isArray(seals) && seals.length <= this.program.collections.size && seals.every((seal) => {
      const { channel, count } = (seal ?? {}) as { channel?: unknown; count?: unknown };
      return typeof channel === 'string' && this.program.collections.get(channel)?.kind === 'channel' && Number.isInteger(count) && (count as number) >= 0;
    });
    if (!valid || this.plan === null) return this.out.note('malformed-message', { source, type: 'seal' });
    for (const { channel, count } of seals as { channel: string; count: number }[]) this.seals.recordSeal(source, channel, count);
    this.persistState();
  }

  // ---- the step ------------------------------------------------------------------------------

  private tick(): void {
    this.out.setTimer(TICK_TIMER, this.params.tickMs);
    for (const message of this.delivery.due(this.nowMs)) this.out.send(message.target, message.type, message.payload);
    const nodes = this.nodes;
    const runnable = this.waitingRules().filter((rule) => this.seals.missing(rule.sources, nodes).length === 0);
    // Quiet steps change nothing (no inputs, no arrivals, no deletion since the last fixpoint:
    // the same fixpoint) and are skipped.
    if (this.arrived.length === 0 && this.inputs.length === 0 && runnable.length === 0 && this.steps > 0 && !this.deletedLastStep) {
      this.sealChannels();
      this.persistState();
      this.sendAcks();
      return;
    }
    for (const rule of runnable) this.release(rule);
    const waiting = this.waitingRules();
    this.keepForWaiting(waiting);
    const before = JSON.stringify(databaseJson(this.tables));
    let out: ReturnType<typeof step>;
    try {
      out = step(this.program, {
        tables: this.tables, arrived: this.arrived, inputs: this.inputs, self: this.context.self, nodes,
        held: new Set(waiting.map((rule) => rule.index)), watch: this.report.pointsOfOrder.map((point) => point.rule),
      });
    } catch (error) {
      // A program that outgrows the lab's bounds stops here, visibly, with its state intact.
      this.out.note('step-failed', { error: (error as Error).message });
      this.arrived = [];
      this.inputs = [];
      this.sendAcks();
      return;
    }
    const hadInput = this.arrived.length + this.inputs.length > 0;
    this.steps += 1;
    this.arrived = [];
    this.inputs = [];
    this.tables = out.tables;
    this.view = out.view;
    // Deletions apply after the step (Dedalus: at the next timestep); the view shows them gone only after one more step.
    this.deletedLastStep = out.deleted.length > 0;
    const after = databaseJson(this.tables);
    if (JSON.stringify(after) !== before) this.out.persist(TABLES_KEY, after);
    this.recordConclusions(out.concluded);
    if (hadInput) this.noteWaiting(waiting);
    this.sendDerived(out.sends);
    if (out.deleted.length > 0) this.out.note('deleted', { tuples: out.deleted.slice(0, 20) });
    this.sealChannels();
    this.persistState();
    this.sendAcks();
  }

  /** A waiting rule's sources are complete: it runs this step, with what it read directly while it waited. */
  private release(rule: HeldRule): void {
    this.ready.add(rule.index);
    const stillWaiting = this.waitingRules();
    for (const [key, entry] of this.kept) {
      if (!rule.directReads.includes(entry.collection)) continue;
      if (this.program.collections.get(entry.collection)?.kind === 'input') this.inputs.push({ input: entry.collection, tuple: entry.tuple });
      else this.arrived.push({ channel: entry.collection, tuple: entry.tuple });
      if (!stillWaiting.some((other) => other.directReads.includes(entry.collection))) this.kept.delete(key);
    }
    const since = this.waitingSinceMs.get(rule.index);
    this.out.note('coordinated', { line: rule.line, rule: rule.text, ...(since === undefined ? {} : { waitedMs: Math.round(this.nowMs - since) }) });
  }

  /** Channel and input tuples last one step; a rule that waits reads them when it runs. */
  private keepForWaiting(waiting: readonly HeldRule[]): void {
    const reads = new Set(waiting.flatMap((rule) => rule.directReads));
    if (reads.size === 0) return;
    for (const { channel, tuple } of this.arrived) if (reads.has(channel)) this.kept.set(tupleKey([channel, ...tuple]), { collection: channel, tuple });
    for (const { input, tuple } of this.inputs) if (reads.has(input)) this.kept.set(tupleKey([input, ...tuple]), { collection: input, tuple });
  }

  private recordConclusions(concluded: ReadonlyMap<number, Tuple[]>): void {
    for (const [index, tuples] of concluded) {
      let known = this.concluded.get(index);
      if (known === undefined) {
        known = new Map();
        this.concluded.set(index, known);
      }
      const fresh = tuples.filter((tuple) => !known.has(tupleKey(tuple)));
      for (const tuple of fresh) known.set(tupleKey(tuple), tuple);
      const rule = this.program.rules[index]!;
      if (fresh.length > 0) this.out.note('concluded', { line: rule.line, rule: rule.text, tuples: fresh.slice(0, NOTE_TUPLES_MAX), count: fresh.length });
    }
  }

  private noteWaiting(waiting: readonly HeldRule[]): void {
    for (const rule of waiting) {
      if (this.waitingSinceMs.has(rule.index)) continue;
      this.waitingSinceMs.set(rule.index, this.nowMs);
      this.out.note('waiting', { line: rule.line, rule: rule.text, waitingFor: this.seals.missing(rule.sources, this.nodes).slice(0, 8) });
    }
  }

  private sendDerived(sends: readonly { target: NodeId; channel: string; tuple: Tuple }[]): void {
    const byTarget = new Map<NodeId, { channel: string; tuple: Tuple }[]>();
    for (const send of sends) {
      if (this.plan !== null && this.seals.recordSent(send.target, send.channel, tupleKey(send.tuple)) && this.seals.sealedChannels.has(send.channel)) {
        this.out.note('seal-violated', { channel: send.channel, target: send.target, tuple: send.tuple });
      }
      byTarget.set(send.target, [...(byTarget.get(send.target) ?? []), { channel: send.channel, tuple: send.tuple }]);
    }
    for (const [target, entries] of byTarget) {
      // A tuple for this node arrives at its next step; the others cross the (disorderly) network.
      if (target === this.context.self) this.arrive(target, entries);
      else this.sendReliably(target, 'tuples', { entries });
    }
  }

  /**
   * Seals every channel whose sources are complete here and fully processed: nothing of them
   * waits for the next step. Each node hears how many distinct tuples this node sent it.
   */
  private sealChannels(): void {
    if (this.plan === null || this.steps === 0) return;
    const pending = new Set([...this.arrived.map((entry) => entry.channel), ...this.inputs.map((entry) => entry.input)]);
    const sealing: string[] = [];
    for (const [channel, sources] of this.plan.channelSources) {
      if (this.seals.sealedChannels.has(channel)) continue;
      if (this.seals.missing(sources, this.nodes).length > 0) continue;
      if ([...sources.inputs, ...sources.channels].some((name) => pending.has(name))) continue;
      sealing.push(channel);
    }
    if (sealing.length === 0) return;
    for (const target of this.nodes) {
      const seals = sealing.map((channel) => ({ channel, count: this.seals.sentCount(target, channel) }));
      if (target === this.context.self) for (const seal of seals) this.seals.recordSeal(target, seal.channel, seal.count);
      else this.sendReliably(target, 'seal', { seals });
    }
    for (const channel of sealing) this.seals.sealedChannels.add(channel);
    this.out.note('sealed', { channels: sealing });
  }
}

export const CALM: ProtocolDefinition = Object.freeze({
  name: 'calm',
  summary: 'Node programs in a small Datalog (tables, channels, negation, aggregation, deletion), run on every node without coordination — or with its points of order sealed (coordinate) — with the CALM analysis of where order matters (book §5).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parseCalmParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new CalmCore(context),
});
