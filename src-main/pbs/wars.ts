// Probabilistically Bounded Staleness (Bailis, Venkataraman, Franklin, Hellerstein, Stoica;
// VLDB 2012), the book's "Dynamo in practice: PBS": how soon after a write commits does a
// partial-quorum read see it? The WARS model draws, per replica, four one-way latencies:
// W (the write reaches the replica), A (its ack reaches the coordinator), R (a read request
// reaches it), S (its response comes back). A write commits at the W-th fastest ack; a read
// issued t ms after commit is answered by the R fastest responders (by R + S), and it is
// consistent when one of them had the write when the read request arrived: W_i ≤ commit + t + R_i.
//
// For each trial the smallest such t is known in closed form,
//     tNeeded = max(0, min over the R first responders i of (W_i − commit − R_i)),
// so the exact t-visibility at p is the p-quantile of tNeeded over the trials. The paper's
// simulator instead scanned a grid of t with fresh trials per t and took the first t whose
// share of consistent reads reached p; we report both (`tVisibilityExactMs`, `tVisibilityPaperMs`).
//
// A model may also carry `moments` (the lab's measured runs, observed.ts): a trial then draws
// one moment and all its legs from the latencies observed at it, so legs that a stall of the
// machine delayed together are drawn together, and the moment's client lag is added to t.
//
// Pure and seeded: the same options give the same figures on every machine.

import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';

/** One component of a latency mixture (ms). Pareto(xm, α) is sampled as xm / U^(1/α); Exp(λ) as −ln(1 − U) / λ. */
export type LatencyComponent =
  | { weight: number; kind: 'pareto'; xm: number; alpha: number }
  | { weight: number; kind: 'exponential'; lambda: number }
  /** Latencies observed in a run, drawn uniformly (the lab's own measured W/A/R/S). */
  | { weight: number; kind: 'empirical'; samplesMs: readonly number[] };

export type LatencyMixture = readonly LatencyComponent[];

export interface WarsModel {
  name: string;
  summary: string;
  w: LatencyMixture;
  a: LatencyMixture;
  r: LatencyMixture;
  s: LatencyMixture;
  /**
   * Extra one-way delay on every leg to a replica other than the coordinator's local one
   * (the paper's WAN setting). The local replica is drawn uniformly, for the write and for
   * the read independently.
   */
  remoteLegMs: number;
  /**
   * The lab's Dynamo: a coordinator that is itself a replica reaches its own copy in-process, so
   * that replica's legs take no time (W = A = 0 for the write, R = S = 0 for the read), as the
   * paper's WAN model treats the local replica. With these probabilities the write's and the
   * read's coordinator is a replica (uniformly drawn, independently for the two); absent: no local replica.
   */
  localReplica?: { writeProbability: number; readProbability: number };
  /**
   * Latency that is not stationary (a loaded machine stalls every process now and then): each
   * trial first draws one moment, then every leg from the samples observed at that moment, and
   * adds the moment's client lag to t. Absent: every leg from its mixture above, independently.
   */
  moments?: WarsMoments;
}

export type WarsLeg = 'w' | 'a' | 'r' | 's';

/**
 * Legs observed at moments of a run. A leg's samples are ordered so that one moment's are a
 * contiguous slice; `owner` tags each sample with the moment that must not draw it (−1: none),
 * so that a moment taken from a measured trial does not predict that trial from its own legs.
 */
export interface WarsMoments {
  samples: Record<WarsLeg, { ms: Float64Array; owner: Int32Array }>;
  moments: readonly WarsMoment[];
}

export interface WarsMoment {
  /** [from, to) into `samples[leg]`; an empty slice draws that leg from the model's mixture. */
  slices: Record<WarsLeg, readonly [number, number]>;
  /** Samples with this owner are skipped. */
  owner: number;
  /**
   * How much later than t after the commit the read reaches its coordinator (the client's legs:
   * the ack's way back, the client's own delay, the read's way there). A trial's read at t is
   * consistent when its smallest consistent t after the commit is ≤ t + clientLagMs.
   */
  clientLagMs: number;
}

const LNKD_SSD: LatencyMixture = [
  { weight: 0.9122, kind: 'pareto', xm: 0.235, alpha: 10 },
  { weight: 0.0878, kind: 'exponential', lambda: 1.66 },
];

const LNKD_DISK_W: LatencyMixture = [
  { weight: 0.38, kind: 'pareto', xm: 1.05, alpha: 1.51 },
  { weight: 0.62, kind: 'exponential', lambda: 0.183 },
];

/** The paper's production fits (its Table 3), all in ms. */
export const PBS_PROFILES: ReadonlyMap<string, WarsModel> = new Map([
  ['lnkd-ssd', { name: 'lnkd-ssd', summary: 'LinkedIn Voldemort on SSDs: every leg 91.22% Pareto(0.235, 10) + 8.78% Exp(1.66)', w: LNKD_SSD, a: LNKD_SSD, r: LNKD_SSD, s: LNKD_SSD, remoteLegMs: 0 }],
  ['lnkd-disk', { name: 'lnkd-disk', summary: 'LinkedIn Voldemort on spinning disks: W 38% Pareto(1.05, 1.51) + 62% Exp(0.183); A, R, S as lnkd-ssd', w: LNKD_DISK_W, a: LNKD_SSD, r: LNKD_SSD, s: LNKD_SSD, remoteLegMs: 0 }],
  ['ymmr', {
    name: 'ymmr',
    summary: 'Yammer Riak: W 93.9% Pareto(3, 3.5) + 6.1% Exp(0.0028); A, R, S 98.2% Pareto(1.5, 3.8) + 1.8% Exp(0.0217) (the paper prints α = 3.35 for W; its simulator used 3.5)',
    w: [{ weight: 0.939, kind: 'pareto', xm: 3, alpha: 3.5 }, { weight: 0.061, kind: 'exponential', lambda: 0.0028 }],
    a: ymmrLeg(), r: ymmrLeg(), s: ymmrLeg(), remoteLegMs: 0,
  }],
  ['wan', { name: 'wan', summary: 'lnkd-disk W with lnkd-ssd A, R, S, plus 75 ms on each leg to every replica but the coordinator\'s local one', w: LNKD_DISK_W, a: LNKD_SSD, r: LNKD_SSD, s: LNKD_SSD, remoteLegMs: 75 }],
]);

function ymmrLeg(): LatencyMixture {
  return [{ weight: 0.982, kind: 'pareto', xm: 1.5, alpha: 3.8 }, { weight: 0.018, kind: 'exponential', lambda: 0.0217 }];
}

export type ReadFanout = 'all' | 'minimum';

export interface WarsOptions {
  n: number;
  r: number;
  w: number;
  /** Trials for the exact quantile and the latencies. */
  trials: number;
  seed: number;
  /** The probability of a consistent read that t-visibility is reported at, in percent. */
  targetPct: number;
  /** Fresh trials per grid point for the paper's estimator; 0 skips it. */
  trialsPerT: number;
  /**
   * 'all': the read goes to all N replicas and the first R answers count (Dynamo, the paper);
   * 'minimum': it goes to R replicas drawn at random and waits for all of them (the book's
   * contrast: fewer messages, but a slow or stale replica can no longer be outrun).
   */
  readFanout: ReadFanout;
  /** Extra points for `curve`, at exactly these t (ms): where a measured curve needs the prediction. */
  curveAtMs?: readonly number[];
}

export const WARS_DEFAULTS: Readonly<WarsOptions> = Object.freeze({
  n: 3, r: 1, w: 1, trials: 1_000_000, seed: 1, targetPct: 99.9, trialsPerT: 50_000, readFanout: 'all',
});

export const WARS_LIMITS = Object.freeze({ replicasMax: 64, trialsMax: 20_000_000, trialsPerTMax: 1_000_000 });

/** One point of the predicted curve: the probability that a read t ms after commit is consistent. */
export interface CurvePoint {
  tMs: number;
  pConsistent: number;
}

export interface WarsResult {
  model: string;
  n: number;
  r: number;
  w: number;
  readFanout: ReadFanout;
  trials: number;
  seed: number;
  targetPct: number;
  /** The exact targetPct-quantile of the smallest consistent t over all trials. */
  tVisibilityExactMs: number;
  /** The paper's estimator: the first t of the grid whose fresh trials reach targetPct (null if skipped). */
  tVisibilityPaperMs: number | null;
  /** Grid resolution of the paper's estimator: consecutive points differ by this percentage (or by the floor). */
  paperGridStepPct: number;
  pConsistentAtZero: number;
  readLatencyP50Ms: number;
  readLatencyP999Ms: number;
  writeLatencyP50Ms: number;
  writeLatencyP999Ms: number;
  /** P(consistent) against t, from the exact distribution (for the lab's chart). */
  curve: CurvePoint[];
}

export function validateWarsOptions(options: WarsOptions): WarsOptions {
  const problems: string[] = [];
  const { n, r, w } = options;
  if (!Number.isInteger(n) || n < 1 || n > WARS_LIMITS.replicasMax) problems.push(`n must be an integer in [1, ${WARS_LIMITS.replicasMax}]`);
  if (!Number.isInteger(r) || r < 1 || r > n) problems.push('r must be an integer in [1, n]');
  if (!Number.isInteger(w) || w < 1 || w > n) problems.push('w must be an integer in [1, n]');
  if (!Number.isInteger(options.trials) || options.trials < 1 || options.trials > WARS_LIMITS.trialsMax) problems.push(`trials must be an integer in [1, ${WARS_LIMITS.trialsMax}]`);
  if (!Number.isInteger(options.trialsPerT) || options.trialsPerT < 0 || options.trialsPerT > WARS_LIMITS.trialsPerTMax) problems.push(`trialsPerT must be an integer in [0, ${WARS_LIMITS.trialsPerTMax}]`);
  if (!(options.targetPct > 0 && options.targetPct < 100)) problems.push('targetPct must be in (0, 100)');
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 2 ** 32 - 1) problems.push('seed must be an integer in [0, 2^32)');
  if (options.readFanout !== 'all' && options.readFanout !== 'minimum') problems.push("readFanout must be 'all' or 'minimum'");
  if (problems.length > 0) throw new Error(`invalid PBS options: ${problems.join('; ')}`);
  return options;
}

export function validateModel(model: WarsModel): WarsModel {
  for (const leg of ['w', 'a', 'r', 's'] as const) {
    const mixture = model[leg];
    const total = mixture.reduce((sum, component) => sum + component.weight, 0);
    if (mixture.length === 0 || !(Math.abs(total - 1) < 1e-6)) throw new Error(`model ${model.name}: the weights of ${leg.toUpperCase()} must sum to 1 (they sum to ${total})`);
    for (const component of mixture) {
      const bad = component.kind === 'pareto' ? !(component.xm > 0 && component.alpha > 0)
        : component.kind === 'exponential' ? !(component.lambda > 0)
        : component.samplesMs.length === 0 || component.samplesMs.some((sample) => !(sample >= 0));
      if (bad || !(component.weight >= 0)) throw new Error(`model ${model.name}: a ${component.kind} component of ${leg.toUpperCase()} has invalid parameters`);
    }
  }
  if (!(model.remoteLegMs >= 0)) throw new Error(`model ${model.name}: remoteLegMs must be ≥ 0`);
  const local = model.localReplica;
  if (local !== undefined && !(local.writeProbability >= 0 && local.writeProbability <= 1 && local.readProbability >= 0 && local.readProbability <= 1)) {
    throw new Error(`model ${model.name}: localReplica probabilities must be in [0, 1]`);
  }
  if (model.moments !== undefined) validateMoments(model.name, model.moments);
  return model;
}

function validateMoments(name: string, { samples, moments }: WarsMoments): void {
  if (moments.length === 0) throw new Error(`model ${name}: moments, when given, must hold at least one moment`);
  for (const leg of ['w', 'a', 'r', 's'] as const) {
    const { ms, owner } = samples[leg];
    if (ms.length !== owner.length || ms.some((sample) => !(sample >= 0))) throw new Error(`model ${name}: the ${leg.toUpperCase()} samples of the moments must be ≥ 0, one owner each`);
  }
  for (const moment of moments) {
    if (!(moment.clientLagMs >= 0 && Number.isFinite(moment.clientLagMs))) throw new Error(`model ${name}: a moment's clientLagMs must be finite and ≥ 0`);
    for (const leg of ['w', 'a', 'r', 's'] as const) {
      const [from, to] = moment.slices[leg];
      if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from <= to && to <= samples[leg].ms.length)) throw new Error(`model ${name}: a moment's ${leg.toUpperCase()} slice [${from}, ${to}) is out of range`);
    }
  }
}

type Sampler = () => number;

/**
 * A sampler for a mixture. One uniform draw both picks the component and, rescaled to [0, 1)
 * within that component's share, drives the component's inverse CDF: exact in distribution
 * and half the draws. Pareto's U^(−1/α) is computed as exp(−ln U / α), about twice as fast as
 * Math.pow here; a million trials draw twelve million latencies.
 */
function mixtureSampler(random: Random, mixture: LatencyMixture): Sampler {
  const inverses = mixture.map((component): ((u: number) => number) => {
    switch (component.kind) {
      // u is in [0, 1), so 1 − u is in (0, 1]: no division by zero, no log of zero.
      case 'pareto': { const { xm } = component; const scale = -1 / component.alpha; return (u) => xm * Math.exp(Math.log(1 - u) * scale); }
      case 'exponential': { const scale = -1 / component.lambda; return (u) => Math.log(1 - u) * scale; }
      case 'empirical': { const samples = component.samplesMs; return (u) => samples[Math.min(samples.length - 1, Math.floor(u * samples.length))]!; }
    }
  });
  const weights = mixture.map((component) => component.weight);
  if (inverses.length === 1) { const only = inverses[0]!; return () => only(random.next()); }
  if (inverses.length === 2) {
    const [first, second] = inverses as [(u: number) => number, (u: number) => number];
    const split = weights[0]!;
    const rest = 1 - split;
    return () => {
      const u = random.next();
      return u < split ? first(u / split) : second(Math.min((u - split) / rest, 1 - Number.EPSILON));
    };
  }
  const starts = weights.map((_, index) => weights.slice(0, index).reduce((sum, weight) => sum + weight, 0));
  const last = inverses.length - 1;
  return () => {
    const u = random.next();
    let index = 0;
    while (index < last && u >= starts[index + 1]!) index += 1;
    const width = weights[index]!;
    return inverses[index]!(width > 0 ? Math.min((u - starts[index]!) / width, 1 - Number.EPSILON) : 0);
  };
}

/** The k-th smallest (1-based) of the first `count` values of `values`; reorders them. */
function kthSmallest(values: Float64Array, count: number, k: number): number {
  // Insertion sort: N is small (3 to a few dozen), and this runs millions of times.
  for (let i = 1; i < count; i += 1) {
    const value = values[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! > value) { values[j + 1] = values[j]!; j -= 1; }
    values[j + 1] = value;
  }
  return values[k - 1]!;
}

/** A draw from a moment's slice skips the moment's own samples: this many random tries, then a scan. */
const MOMENT_DRAW_TRIES = 8;

/** Draws a moment per trial, then each leg from that moment's slice of the observed samples. */
class MomentDraws {
  private current: WarsMoment;

  constructor(private readonly model: WarsMoments, private readonly random: Random, private readonly mixtures: Record<WarsLeg, Sampler>) {
    this.current = model.moments[0]!;
  }

  next(): WarsMoment {
    const { moments } = this.model;
    this.current = moments[Math.floor(this.random.next() * moments.length)]!;
    return this.current;
  }

  draw(leg: WarsLeg): number {
    const [from, to] = this.current.slices[leg];
    const { ms, owner } = this.model.samples[leg];
    if (to === from) return this.mixtures[leg]();
    for (let attempt = 0; attempt < MOMENT_DRAW_TRIES; attempt += 1) {
      const index = from + Math.floor(this.random.next() * (to - from));
      if (owner[index] !== this.current.owner) return ms[index]!;
    }
    // Rarely (a slice mostly of the moment's own samples): the first other one in the slice.
    for (let index = from; index < to; index += 1) if (owner[index] !== this.current.owner) return ms[index]!;
    return this.mixtures[leg]();
  }
}

/** One WARS trial at a time, reusing its buffers. */
class TrialRunner {
  private readonly wLeg: Float64Array;
  private readonly rLeg: Float64Array;
  private readonly acks: Float64Array;
  private readonly responses: Float64Array;
  private readonly order: Int32Array;
  private readonly draw: { w: Sampler; a: Sampler; r: Sampler; s: Sampler };
  private readonly moments: MomentDraws | undefined;
  /** The last trial's read and write latencies. */
  readLatencyMs = 0;
  writeLatencyMs = 0;

  constructor(private readonly model: WarsModel, private readonly options: WarsOptions, private readonly random: Random) {
    const { n } = options;
    this.wLeg = new Float64Array(n);
    this.rLeg = new Float64Array(n);
    this.acks = new Float64Array(n);
    this.responses = new Float64Array(n);
    this.order = new Int32Array(n);
    const mixtures = { w: mixtureSampler(random, model.w), a: mixtureSampler(random, model.a), r: mixtureSampler(random, model.r), s: mixtureSampler(random, model.s) };
    if (model.moments === undefined) this.draw = mixtures;
    else {
      const moments = new MomentDraws(model.moments, random, mixtures);
      this.moments = moments;
      this.draw = { w: () => moments.draw('w'), a: () => moments.draw('a'), r: () => moments.draw('r'), s: () => moments.draw('s') };
    }
  }

  /**
   * Runs a trial and returns the smallest t (ms after commit, or after the client saw the
   * commit when the model has moments with a client lag) at which its read is consistent.
   */
  tNeeded(): number {
    const moment = this.moments?.next();
    const needed = this.tNeededAfterCommit();
    return moment === undefined ? needed : Math.max(0, needed - moment.clientLagMs);
  }

  private tNeededAfterCommit(): number {
    const { n, r, w, readFanout } = this.options;
    const { wLeg, rLeg, acks, responses, order, draw, random } = this;
    const remote = this.model.remoteLegMs;
    const local = this.model.localReplica;
    // Without localReplica the draws are exactly as before it existed: seeded figures do not move.
    const localWrite = local !== undefined ? (random.next() < local.writeProbability ? Math.floor(random.next() * n) : -1) : remote > 0 ? Math.floor(random.next() * n) : -1;
    const localRead = local !== undefined ? (random.next() < local.readProbability ? Math.floor(random.next() * n) : -1) : remote > 0 ? Math.floor(random.next() * n) : -1;
    for (let i = 0; i < n; i += 1) {
      const writeExtra = remote > 0 && i !== localWrite ? remote : 0;
      const readExtra = remote > 0 && i !== localRead ? remote : 0;
      wLeg[i] = draw.w() + writeExtra;
      acks[i] = wLeg[i]! + draw.a() + writeExtra;
      rLeg[i] = draw.r() + readExtra;
      responses[i] = rLeg[i]! + draw.s() + readExtra;
      if (local !== undefined && i === localWrite) { wLeg[i] = 0; acks[i] = 0; }
      if (local !== undefined && i === localRead) { rLeg[i] = 0; responses[i] = 0; }
    }
    const commit = kthSmallest(acks, n, w);
    this.writeLatencyMs = commit;
    // The replicas whose answers the read uses: the R fastest of all N, or R drawn at random.
    let needed = Number.POSITIVE_INFINITY;
    if (readFanout === 'all') {
      for (let i = 0; i < n; i += 1) order[i] = i;
      // Sort replica indexes by response time (insertion sort, N is small).
      for (let i = 1; i < n; i += 1) {
        const index = order[i]!;
        const key = responses[index]!;
        let j = i - 1;
        while (j >= 0 && responses[order[j]!]! > key) { order[j + 1] = order[j]!; j -= 1; }
        order[j + 1] = index;
      }
      this.readLatencyMs = responses[order[r - 1]!]!;
      for (let k = 0; k < r; k += 1) { const i = order[k]!; needed = Math.min(needed, wLeg[i]! - commit - rLeg[i]!); }
    } else {
      // A partial Fisher–Yates shuffle picks R distinct replicas.
      for (let i = 0; i < n; i += 1) order[i] = i;
      let slowest = 0;
      for (let k = 0; k < r; k += 1) {
        const pick = k + Math.floor(random.next() * (n - k));
        const i = order[pick]!;
        order[pick] = order[k]!;
        order[k] = i;
        slowest = Math.max(slowest, responses[i]!);
        needed = Math.min(needed, wLeg[i]! - commit - rLeg[i]!);
      }
      this.readLatencyMs = slowest;
    }
    return needed > 0 ? needed : 0;
  }
}

function quantile(sorted: Float64Array, pct: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((pct / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Points of the predicted curve, on a grid that is fine where the curve moves. */
const CURVE_POINTS = 200;
/** The paper's estimator scans a coarse grid (×1.25) to bracket t, then a fine one (+1%) inside the bracket. */
const PAPER_COARSE_GROWTH = 1.25;
const PAPER_FINE_STEP_PCT = 1;
/** Below this the grid steps by an absolute amount (ms): t = 0 is tried first. */
const PAPER_GRID_FLOOR_MS = 0.01;
/** The scan gives up past this t (ms): no realistic profile needs longer. */
const PAPER_GRID_MAX_MS = 10 * 60_000;

export function predictStaleness(modelInput: WarsModel, optionsInput: Partial<WarsOptions> = {}): WarsResult {
  const model = validateModel(modelInput);
  const options = validateWarsOptions({ ...WARS_DEFAULTS, ...optionsInput });
  const root = createRandom(options.seed);
  const runner = new TrialRunner(model, options, root.fork());
  const needed = new Float64Array(options.trials);
  const reads = new Float64Array(options.trials);
  const writes = new Float64Array(options.trials);
  let atZero = 0;
  for (let trial = 0; trial < options.trials; trial += 1) {
    const t = runner.tNeeded();
    needed[trial] = t;
    if (t === 0) atZero += 1;
    reads[trial] = runner.readLatencyMs;
    writes[trial] = runner.writeLatencyMs;
  }
  needed.sort();
  reads.sort();
  writes.sort();
  const tVisibilityExactMs = quantile(needed, options.targetPct);
  return {
    model: model.name, n: options.n, r: options.r, w: options.w, readFanout: options.readFanout,
    trials: options.trials, seed: options.seed, targetPct: options.targetPct,
    tVisibilityExactMs,
    tVisibilityPaperMs: options.trialsPerT > 0 ? paperEstimate(model, options, root.fork()) : null,
    paperGridStepPct: PAPER_FINE_STEP_PCT,
    pConsistentAtZero: atZero / options.trials,
    readLatencyP50Ms: quantile(reads, 50),
    readLatencyP999Ms: quantile(reads, 99.9),
    writeLatencyP50Ms: quantile(writes, 50),
    writeLatencyP999Ms: quantile(writes, 99.9),
    curve: curveOf(needed, tVisibilityExactMs, options.curveAtMs ?? []),
  };
}

/** P(consistent at t) = share of trials whose tNeeded ≤ t, on a grid up to a little past t-visibility. */
function curveOf(sorted: Float64Array, tVisibilityMs: number, extraMs: readonly number[]): CurvePoint[] {
  const endMs = Math.max(tVisibilityMs * 1.2, PAPER_GRID_FLOOR_MS);
  const grid: number[] = [];
  for (let step = 0; step <= CURVE_POINTS; step += 1) grid.push((endMs * step) / CURVE_POINTS);
  if (extraMs.length > 0) {
    grid.push(...extraMs.filter((tMs) => tMs >= 0 && Number.isFinite(tMs)));
    grid.sort((a, b) => a - b);
  }
  const points: CurvePoint[] = [];
  let below = 0;
  for (const tMs of grid) {
    if (points.length > 0 && points.at(-1)!.tMs === tMs) continue;
    while (below < sorted.length && sorted[below]! <= tMs) below += 1;
    points.push({ tMs, pConsistent: below / sorted.length });
  }
  return points;
}

/**
 * The paper's estimator: for t on a grid, run `trialsPerT` fresh trials and take the first t
 * at which the share of consistent reads reaches the target. A coarse pass brackets it; the
 * fine pass scans the bracket in steps of PAPER_FINE_STEP_PCT.
 */
function paperEstimate(model: WarsModel, options: WarsOptions, random: Random): number {
  const runner = new TrialRunner(model, options, random);
  const passes = (tMs: number): boolean => {
    let consistent = 0;
    for (let trial = 0; trial < options.trialsPerT; trial += 1) if (runner.tNeeded() <= tMs) consistent += 1;
    return (consistent / options.trialsPerT) * 100 >= options.targetPct;
  };
  if (passes(0)) return 0;
  let low = 0;
  let high = PAPER_GRID_FLOOR_MS;
  while (!passes(high)) {
    low = high;
    high *= PAPER_COARSE_GROWTH;
    if (high > PAPER_GRID_MAX_MS) return Number.POSITIVE_INFINITY;
  }
  for (let tMs = Math.max(low, PAPER_GRID_FLOOR_MS); tMs < high; tMs = Math.max(tMs * (1 + PAPER_FINE_STEP_PCT / 100), tMs + PAPER_GRID_FLOOR_MS)) {
    if (tMs > low && passes(tMs)) return tMs;
  }
  return high;
}
