// A scenario's random nemesis on real processes (Jepsen's nemesis): the same planMove as the
// simulator's (src-main/sim/nemesis.ts), fed with what the supervisor sees of each node, its
// faults applied through the run as 'nemesis' (kill -9, SIGSTOP, partitions, link faults,
// clock jumps, slow disks) and each one undone after its drawn duration. At stopMs it stops
// and undoes at once whatever is still pending — restarts the nodes it killed, resumes the
// ones it paused, heals — so the run settles with the whole cluster; closing the run stops it
// without undoing anything (the cluster goes away anyway).
//
// The draws are seeded from the scenario's seed, so the sequence of wishes (which fault, how
// long, which share of leaders) is the same on every run; what they hit depends on timing —
// who leads at that moment — as on any real cluster. The simulator replays a scenario exactly.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { FaultRequest, LinkFaults } from '../../src-node/contract/faults.ts';
import type { NodeView } from '../../src-node/contract/lab-api.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import type { NemesisConfig } from '../sim/config.ts';
import { planMove, type NemesisMove, type NodeGlance } from '../sim/nemesis.ts';

/** Mixed into the scenario's seed, so the nemesis's stream is not the workload's (which forks createRandom(seed)). */
export const NEMESIS_SEED_SALT = 0x6e656d65; // 'neme'

export interface NemesisRunnerOptions {
  config: NemesisConfig;
  seed: number;
  /** The nodes as the supervisor sees them now. */
  nodes(): readonly NodeView[];
  /** Applies a fault (LabRun.fault with requester 'nemesis'); rejects when it makes no sense now. */
  apply(request: FaultRequest): Promise<void>;
  /** The faults every link carries from the start (a scenario's `network`): undoing a link fault restores them. */
  baseline: LinkFaults;
  log(message: string): void;
}

export interface NemesisStats {
  /** Fault actions made, refused ones included (a crash with its restart is one), by kind of the action. */
  actions: number;
  byKind: Record<string, number>;
  /** Undos applied (on their timer or at stopMs). */
  undone: number;
  /** Faults or undos the cluster refused (logged in the trace). */
  refused: number;
}

export interface NemesisRunner {
  /** Resolves once the nemesis has stopped at stopMs and undone what was pending (or was closed). */
  readonly finished: Promise<void>;
  stats(): NemesisStats;
  /** Stops at once, without undoing; resolves when no fault of its own is in flight. */
  close(): Promise<void>;
}

interface Undo {
  request: FaultRequest;
  /** The node this fault holds down (crash) or paused, until its undo has been applied. */
  holds: NodeId | null;
}

/** Starts the nemesis: its first action comes after config.startMs (ms from now); it stops at config.stopMs. */
export function startNemesisRunner(options: NemesisRunnerOptions): NemesisRunner {
  return new Runner(options);
}

class Runner implements NemesisRunner {
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private readonly random: Random;
  private readonly startedAtMs = performance.now();
  /** Undos waiting for their time, each with its timer. */
  private readonly pending = new Map<Undo, NodeJS.Timeout>();
  /** Nodes held down or paused by a fault of ours: counted as such before the supervisor sees it. */
  private readonly held = new Map<NodeId, 'down' | 'paused'>();
  private readonly inflight = new Set<Promise<void>>();
  private tickTimer: NodeJS.Timeout | null = null;
  private stopTimer: NodeJS.Timeout | null = null;
  /** No new faults (stopMs, or closing). */
  private stopped = false;
  /** The run is closing: nothing more is applied, not even undos. */
  private closing = false;
  /** The stop at stopMs, while it undoes what was pending. */
  private stopping: Promise<void> | null = null;
  private readonly counts: NemesisStats = { actions: 0, byKind: {}, undone: 0, refused: 0 };

  constructor(private readonly options: NemesisRunnerOptions) {
    this.finished = new Promise((resolve) => { this.resolveFinished = resolve; });
    this.random = createRandom((options.seed ^ NEMESIS_SEED_SALT) >>> 0);
    const { startMs, stopMs } = options.config;
    if (stopMs !== null) {
      this.stopTimer = setTimeout(() => {
        this.stopping = this.stop();
      }, stopMs);
    }
    this.scheduleTick(startMs + this.interval());
  }

  stats(): NemesisStats {
    return { ...this.counts, byKind: { ...this.counts.byKind } };
  }

  async close(): Promise<void> {
    this.closing = true;
    this.halt();
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await this.settled();
    await this.stopping;
    this.resolveFinished();
  }

  private elapsedMs(): number {
    return performance.now() - this.startedAtMs;
  }

  private interval(): number {
    return -this.options.config.meanIntervalMs * Math.log(1 - this.random.next());
  }

  private more(): boolean {
    const { maxActions } = this.options.config;
    return !this.stopped && (maxActions === null || this.counts.actions < maxActions);
  }

  private scheduleTick(atMs: number): void {
    if (!this.more() || atMs >= (this.options.config.stopMs ?? Infinity)) return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      this.tick();
    }, Math.max(0, atMs - this.elapsedMs()));
  }

  private tick(): void {
    if (!this.more()) return;
    const move = planMove(this.random, this.options.config, this.options.nodes().map((view) => this.glance(view)));
    if (move !== null) {
      this.counts.actions += 1;
      const kind = move.request.kind === 'partition' && move.request.spec.oneWay ? 'one-way' : move.request.kind;
      this.counts.byKind[kind] = (this.counts.byKind[kind] ?? 0) + 1;
      this.track(this.applyMove(this.withBaseline(move)));
    }
    this.scheduleTick(this.elapsedMs() + this.interval());
  }

  /** A node as planMove sees it: a node we are crashing or pausing counts as such at once. */
  private glance(view: NodeView): NodeGlance {
    if (view.state === 'stopped') return { id: view.id, state: 'stopped', paused: false, role: null };
    const held = this.held.get(view.id);
    const down = held === 'down' || view.state === 'down' || view.state === 'starting' || view.state === 'recovering';
    if (down) return { id: view.id, state: 'down', paused: false, role: null };
    return { id: view.id, state: 'up', paused: held === 'paused' || view.state === 'paused', role: view.status?.role ?? null };
  }

  /**
   * Link faults go on top of the scenario's network, and undoing one restores it (the
   * simulator adds a link's faults to its network model the same way).
   */
  private withBaseline(move: NemesisMove): NemesisMove {
    if (move.request.kind !== 'link') return move;
    const base = this.options.baseline;
    const drawn = move.request.faults;
    const faults: Partial<LinkFaults> = {
      lossPct: Math.max(base.lossPct, drawn.lossPct ?? 0),
      delayMs: base.delayMs + (drawn.delayMs ?? 0),
      jitterMs: base.jitterMs + (drawn.jitterMs ?? 0),
      reorderPct: Math.max(base.reorderPct, drawn.reorderPct ?? 0),
    };
    const { source, target } = move.request;
    const restore = { lossPct: base.lossPct, delayMs: base.delayMs, jitterMs: base.jitterMs, reorderPct: base.reorderPct };
    return {
      request: { kind: 'link', source, target, faults },
      undo: move.undo === null ? null : { afterMs: move.undo.afterMs, request: { kind: 'link', source, target, faults: restore } },
    };
  }

  private async applyMove(move: NemesisMove): Promise<void> {
    const { request } = move;
    const holds = request.kind === 'crash' || request.kind === 'pause' ? request.node : null;
    if (holds !== null) this.held.set(holds, request.kind === 'crash' ? 'down' : 'paused');
    try {
      await this.options.apply(request);
    } catch (error) {
      if (holds !== null) this.held.delete(holds);
      this.refused(request, error);
      return;
    }
    if (move.undo === null) return;
    const undo: Undo = { request: move.undo.request, holds };
    // Stopped while this fault was being made: undo it now, as stop() does with the others.
    if (this.stopped) return this.applyUndo(undo);
    this.pending.set(undo, setTimeout(() => {
      if (!this.pending.delete(undo)) return;
      this.track(this.applyUndo(undo));
    }, move.undo.afterMs));
  }

  private async applyUndo(undo: Undo): Promise<void> {
    if (this.closing) return;
    try {
      await this.options.apply(undo.request);
      this.counts.undone += 1;
    } catch (error) {
      this.refused(undo.request, error);
    } finally {
      if (undo.holds !== null) this.held.delete(undo.holds);
    }
  }

  private refused(request: FaultRequest, error: unknown): void {
    this.counts.refused += 1;
    if (this.closing) return;
    const what = `${request.kind}${'node' in request ? ` ${request.node}` : ''}`;
    this.options.log(`nemesis: ${what} was refused: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** At stopMs: no more faults; what is in flight lands, then every pending undo is applied, all at once. */
  private async stop(): Promise<void> {
    this.halt();
    await this.settled();
    const undos = [...this.pending.keys()];
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    if (undos.length > 0 && !this.closing) this.options.log(`nemesis stopped: undoing ${undos.length} pending fault(s) now`);
    await Promise.all(undos.map((undo) => this.applyUndo(undo)));
    this.resolveFinished();
  }

  private halt(): void {
    this.stopped = true;
    if (this.tickTimer !== null) clearTimeout(this.tickTimer);
    if (this.stopTimer !== null) clearTimeout(this.stopTimer);
    this.tickTimer = null;
    this.stopTimer = null;
  }

  private track(action: Promise<void>): void {
    this.inflight.add(action);
    const done = (): void => { this.inflight.delete(action); };
    action.then(done, done);
  }

  private async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}
