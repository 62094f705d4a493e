// A node that runs a program of the lab's Datalog (language.ts) on the cluster, Dedalus-style:
// every `tickMs` it takes the channel tuples that arrived and the client inputs since its
// last step, evaluates one step (evaluate.ts), sends what the channel rules derived (each
// tuple to the node in its location column), and keeps its tables — on disk, so a restart
// resumes where it was. Nothing orders the messages: the network reorders, duplicates and
// drops as the lab's faults say, which is exactly what the CALM analysis is about.

import type { NodeId } from '../../contract/clock.ts';
import type { CoreContext, CoreInput, CoreStatus, ProtocolCore, ProtocolDefinition, Ready } from '../../contract/core.ts';
import type { ClientOp } from '../../contract/envelope.ts';
import { analyze, type CalmReport } from './analysis.ts';
import { databaseJson, emptyTables, step, tupleKey, type Database, type Tuple } from './evaluate.ts';
import { CALM_EXAMPLES } from './examples.ts';
import { parseProgram, type Program } from './language.ts';
import { Outbox, overlayParams } from '../support/outbox.ts';

export interface CalmParams {
  /** A shipped example by name, or null to use `source`. */
  example: string | null;
  source: string | null;
  tickMs: number;
}

export const DEFAULT_CALM_PARAMS: Readonly<CalmParams> = Object.freeze({ example: 'set-union', source: null, tickMs: 50 });

/** Tuples queued for the next step, at most (arrivals and inputs together). */
const PENDING_MAX = 10_000;
const TABLES_KEY = 'tables';
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
  // Parse now, so a bad program is a clear error when the scenario loads, not a node crash.
  parseProgram(programSource(params));
  return params;
}

function programSource(params: CalmParams): string {
  return params.example !== null ? CALM_EXAMPLES.find((example) => example.name === params.example)!.source : params.source!;
}

const isConstant = (value: unknown): value is string | number => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));

export class CalmCore implements ProtocolCore {
  private readonly program: Program;
  private readonly report: CalmReport;
  private readonly params: CalmParams;
  private tables: Database;
  private view: Database;
  private arrived: { channel: string; tuple: Tuple }[] = [];
  private inputs: { input: string; tuple: Tuple }[] = [];
  private steps = 0;
  private readonly out = new Outbox();

  constructor(private readonly context: CoreContext) {
    this.params = parseCalmParams(context.params);
    this.program = parseProgram(programSource(this.params));
    this.report = analyze(this.program);
    this.tables = emptyTables(this.program);
    this.view = this.tables;
  }

  private get nodes(): NodeId[] {
    return [this.context.self, ...this.context.peers].sort();
  }

  step(input: CoreInput): Ready {
    switch (input.kind) {
      case 'recover': this.recover(input.stable); break;
      case 'client': this.onClient(input.requestId, input.op); break;
      case 'message': this.onMessage(input.source, input.type, input.payload); break;
      case 'timer': if (input.timer === TICK_TIMER) this.tick(); break;
      case 'suspicion': break;
    }
    return this.out.take();
  }

  status(): CoreStatus {
    const shown = (name: string): boolean => {
      const kind = this.program.collections.get(name)?.kind;
      return kind === 'table' || kind === 'scratch';
    };
    return {
      role: 'node',
      facts: {
        program: this.params.example ?? 'custom',
        confluent: this.report.confluent,
        pointsOfOrder: this.report.pointsOfOrder.length,
        steps: this.steps,
      },
      data: databaseJson(this.view, shown),
    };
  }

  private recover(stable: ReadonlyMap<string, unknown>): void {
    const stored = stable.get(TABLES_KEY) as Record<string, Tuple[]> | undefined;
    if (stored !== undefined) {
      this.tables = new Map(Object.entries(stored).map(([name, tuples]) => [name, new Map(tuples.map((tuple) => [tupleKey(tuple), tuple]))]));
      this.view = this.tables;
    }
    this.out.setTimer(TICK_TIMER, this.params.tickMs * this.context.random());
  }

  private onClient(client: string, op: ClientOp): void {
    if (op.f === 'read' || op.f === 'get') {
      const collection = op.key ?? '';
      if (!this.program.collections.has(collection)) return this.out.reply(client, { type: 'fail', error: `no collection '${collection}'` });
      return this.out.reply(client, { type: 'ok', value: databaseJson(this.view, (name) => name === collection)[collection] ?? [] });
    }
    if (op.f !== 'input') return this.out.reply(client, { type: 'fail', error: `a calm node takes input and read, not '${op.f}'` });
    const collection = this.program.collections.get(op.key ?? '');
    if (collection?.kind !== 'input') {
      const inputs = [...this.program.collections.values()].filter((candidate) => candidate.kind === 'input').map((candidate) => candidate.name);
      return this.out.reply(client, { type: 'fail', error: `'${op.key ?? ''}' is not an input of this program (inputs: ${inputs.join(', ') || 'none'})` });
    }
    const tuple = op.value;
    if (!Array.isArray(tuple) || tuple.length !== collection.columns.length || !tuple.every(isConstant)) {
      return this.out.reply(client, { type: 'fail', error: `${collection.name} takes a tuple of ${collection.columns.length} string or number value(s) (${collection.columns.join(', ')})` });
    }
    if (this.inputs.length + this.arrived.length >= PENDING_MAX) return this.out.reply(client, { type: 'fail', error: 'too many inputs pending; retry' });
    this.inputs.push({ input: collection.name, tuple });
    // The input is taken: it becomes part of the next step (monotone programs never lose it).
    this.out.reply(client, { type: 'ok' });
  }

  private onMessage(source: NodeId, type: string, payload: unknown): void {
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
    if (this.inputs.length + this.arrived.length + accepted.length > PENDING_MAX) return this.out.note('overloaded', { source, dropped: accepted.length });
    this.arrived.push(...accepted);
  }

  private tick(): void {
    this.out.setTimer(TICK_TIMER, this.params.tickMs);
    // Quiet steps change nothing (no inputs, no arrivals: the same fixpoint) and are skipped.
    if (this.arrived.length === 0 && this.inputs.length === 0 && this.steps > 0) return;
    const before = JSON.stringify(databaseJson(this.tables));
    let out: ReturnType<typeof step>;
    try {
      out = step(this.program, { tables: this.tables, arrived: this.arrived, inputs: this.inputs, self: this.context.self, nodes: this.nodes });
    } catch (error) {
      // A program that outgrows the lab's bounds stops here, visibly, with its state intact.
      this.out.note('step-failed', { error: (error as Error).message });
      this.arrived = [];
      this.inputs = [];
      return;
    }
    this.steps += 1;
    this.arrived = [];
    this.inputs = [];
    this.tables = out.tables;
    this.view = out.view;
    const after = databaseJson(this.tables);
    if (JSON.stringify(after) !== before) this.out.persist(TABLES_KEY, after);
    const byTarget = new Map<NodeId, { channel: string; tuple: Tuple }[]>();
    for (const send of out.sends) byTarget.set(send.target, [...(byTarget.get(send.target) ?? []), { channel: send.channel, tuple: send.tuple }]);
    for (const [target, entries] of byTarget) {
      // A tuple for this node arrives at its next step; the others cross the (disorderly) network.
      if (target === this.context.self) this.arrived.push(...entries);
      else this.out.send(target, 'tuples', { entries });
    }
    if (out.deleted.length > 0) this.out.note('deleted', { tuples: out.deleted.slice(0, 20) });
  }


}

export const CALM: ProtocolDefinition = Object.freeze({
  name: 'calm',
  summary: 'Node programs in a small Datalog (tables, channels, negation, aggregation, deletion), run on every node without coordination, with the CALM analysis of where order matters (book §5).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parseCalmParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new CalmCore(context),
});
