// PBS measured on the live store, beside the prediction (Bailis et al., VLDB 2012, §6: "we
// validate WARS against Cassandra"). The experiment, on a running Dynamo cluster:
//
// * t-visibility: a write of a fresh value to a fresh key through a coordinator that replicates
//   it, then — t ms after the client sees it acknowledged — a read of that key through a node
//   drawn uniformly from the cluster, as a client would ask one. The read is consistent when it
//   returns the written value (alone or among siblings). Many trials per t, on a grid of t.
// * k-staleness: writes in a sequence on one key while a reader reads it; each read is
//   classified by how many acknowledged versions it is behind (0: it saw the latest).
// * The prediction: the WARS model (wars.ts) with the W, A, R, S latencies observed in the
//   same run's trace (observed.ts), so a slower network moves both curves together. Each WARS
//   trial takes its legs from one moment of the run (the legs observed around one measured
//   trial, not that trial's own) and adds that trial's client lag — how much later than t
//   after the commit its read reached its coordinator — because on a real machine latency is
//   not stationary and the client's legs are not free (docs/protocols.md, "## PBS").
//
// The driver talks to an ExperimentCluster, which the simulator (sim-cluster.ts, seeded and
// deterministic) and a real run of node processes (live-cluster.ts) both implement. Its
// clients are c91… (t-visibility lanes) and c89/c90 (the k-staleness writer and reader) and its
// keys start with `pbs-`, so its operations are recognisable in the run's history.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { ClientOp, ClientResult } from '../../src-node/contract/envelope.ts';
import { createRandom, type Random } from '../../src-node/protocols/random/prng.ts';
import type { PbsKStalenessRow, PbsMeasuredPoint, PbsMeasurement } from '../../src-node/contract/pbs.ts';
import { momentModel, summarizeLeg, type LegObserver, type TrialMoment } from './observed.ts';
import { predictStaleness, type ReadFanout, type WarsModel } from './wars.ts';

export interface ExperimentCluster {
  readonly nodes: readonly NodeId[];
  /** Lab time (ms). */
  now(): number;
  sleep(ms: number): Promise<void>;
  op(request: { client: string; node: NodeId; op: ClientOp }): Promise<ClientResult>;
  /** What the run's trace showed so far: the W, A, R, S legs and the client operations' times at their coordinators. */
  observed(): Promise<LegObserver>;
}

export interface MeasureOptions {
  /** Dynamo's N, R, W and fanout. */
  n: number;
  r: number;
  w: number;
  fanout: ReadFanout;
  /** The key's replicas, as the protocol places them (ProtocolDefinition.holdersOf). */
  holdersOf: (key: string) => readonly NodeId[];
  seed: number;
  /** Reads per grid point. */
  trialsPerT: number;
  /** The grid of t (ms); null: t = 0 first, then `gridPoints` points up to 1.25 × the predicted t-visibility. */
  tGridMs: readonly number[] | null;
  gridPoints: number;
  /** Trials run at once (each on a key of its own). */
  lanes: number;
  targetPct: number;
  /** k-staleness: sequences (one key each), acknowledged writes per sequence, the pause after each ack. */
  kSequences: number;
  kWritesPerSequence: number;
  kWriteIntervalMs: number;
  /** Rows of the k-staleness table: k = 1 … kMax. */
  kMax: number;
  /** Monte Carlo trials of the prediction. */
  predictionTrials: number;
}

export const MEASURE_DEFAULTS = Object.freeze({
  trialsPerT: 200, tGridMs: null, gridPoints: 8, lanes: 4, targetPct: 99.9,
  kSequences: 10, kWritesPerSequence: 20, kWriteIntervalMs: 5, kMax: 5, predictionTrials: 200_000,
});

export const MEASURE_LIMITS = Object.freeze({ trialsPerTMax: 20_000, gridPointsMax: 40, lanesMax: 8, kSequencesMax: 1_000, kWritesMax: 1_000, kMaxMax: 50, tMsMax: 60_000 });

/** Wilson score interval at 95 % (z = 1.96) for `successes` of `trials`. */
export function wilsonInterval(successes: number, trials: number, z = 1.96): { low: number; high: number } {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const center = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

export type MeasuredPoint = PbsMeasuredPoint;
export type KStalenessRow = PbsKStalenessRow;
export type { PbsMeasurement };

export function validateMeasureOptions(options: MeasureOptions, nodes: number): MeasureOptions {
  const problems: string[] = [];
  const int = (name: keyof MeasureOptions, min: number, max: number): void => {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  };
  int('n', 1, nodes);
  int('r', 1, options.n);
  int('w', 1, options.n);
  int('trialsPerT', 1, MEASURE_LIMITS.trialsPerTMax);
  int('gridPoints', 1, MEASURE_LIMITS.gridPointsMax);
  int('lanes', 1, MEASURE_LIMITS.lanesMax);
  int('kSequences', 0, MEASURE_LIMITS.kSequencesMax);
  int('kWritesPerSequence', 1, MEASURE_LIMITS.kWritesMax);
  int('kMax', 1, MEASURE_LIMITS.kMaxMax);
  int('seed', 0, 2 ** 32 - 1);
  if (!(options.kWriteIntervalMs >= 0 && options.kWriteIntervalMs <= MEASURE_LIMITS.tMsMax)) problems.push(`kWriteIntervalMs must be in [0, ${MEASURE_LIMITS.tMsMax}]`);
  if (!(options.targetPct > 0 && options.targetPct < 100)) problems.push('targetPct must be in (0, 100)');
  if (options.tGridMs !== null) {
    if (options.tGridMs.length === 0 || options.tGridMs.length > MEASURE_LIMITS.gridPointsMax) problems.push(`tGridMs must hold 1 to ${MEASURE_LIMITS.gridPointsMax} values`);
    if (options.tGridMs.some((tMs) => !(tMs >= 0 && tMs <= MEASURE_LIMITS.tMsMax))) problems.push(`every t of tGridMs must be in [0, ${MEASURE_LIMITS.tMsMax}] ms`);
  }
  if (options.fanout !== 'all' && options.fanout !== 'minimum') problems.push("fanout must be 'all' or 'minimum'");
  if (problems.length > 0) throw new Error(`invalid PBS measurement: ${problems.join('; ')}`);
  return options;
}

interface TrialSpec {
  index: number;
  tMs: number;
  key: string;
  writer: NodeId;
  reader: NodeId;
}

type TrialOutcome = 'consistent' | 'stale' | 'failed';

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random.next() * items.length)]!;

/** True when the read returned `value`, alone or among siblings. */
function readSaw(result: ClientResult, value: string): boolean {
  if (result.value === value) return true;
  return Array.isArray(result.siblings) && result.siblings.includes(value);
}

async function runTrial(cluster: ExperimentCluster, client: string, spec: TrialSpec): Promise<TrialOutcome> {
  const value = `pbs-${spec.index}`;
  const put = await cluster.op({ client, node: spec.writer, op: { f: 'put', key: spec.key, value } });
  if (put.type !== 'ok') return 'failed';
  if (spec.tMs > 0) await cluster.sleep(spec.tMs);
  const get = await cluster.op({ client, node: spec.reader, op: { f: 'get', key: spec.key } });
  if (get.type !== 'ok') return 'failed';
  return readSaw(get, value) ? 'consistent' : 'stale';
}

/** Runs the trials on `lanes` clients at once; returns the outcomes by trial index. */
async function runTrials(cluster: ExperimentCluster, specs: readonly TrialSpec[], lanes: number): Promise<TrialOutcome[]> {
  const outcomes: TrialOutcome[] = new Array<TrialOutcome>(specs.length);
  let next = 0;
  const lane = async (laneIndex: number): Promise<void> => {
    const client = `c${91 + laneIndex}`;
    while (next < specs.length) {
      const spec = specs[next]!;
      next += 1;
      outcomes[spec.index - specs[0]!.index] = await runTrial(cluster, client, spec);
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, specs.length) }, (_, index) => lane(index)));
  return outcomes;
}

/** Trials for a grid, interleaved by t so that a drift in the cluster's conditions touches every t alike. */
function planTrials(random: Random, cluster: ExperimentCluster, options: MeasureOptions, grid: readonly number[], firstIndex: number): TrialSpec[] {
  const specs: TrialSpec[] = [];
  for (let round = 0; round < options.trialsPerT; round += 1) {
    for (const tMs of grid) {
      const index = firstIndex + specs.length;
      const key = `pbs-t-${options.seed}-${index}`;
      specs.push({ index, tMs, key, writer: pick(random, options.holdersOf(key)), reader: pick(random, cluster.nodes) });
    }
  }
  return specs;
}

function tally(grid: readonly number[], specs: readonly TrialSpec[], outcomes: readonly TrialOutcome[]): MeasuredPoint[] {
  return grid.map((tMs) => {
    let trials = 0;
    let consistent = 0;
    let failed = 0;
    specs.forEach((spec, index) => {
      if (spec.tMs !== tMs) return;
      const outcome = outcomes[index];
      if (outcome === 'failed') failed += 1;
      else {
        trials += 1;
        if (outcome === 'consistent') consistent += 1;
      }
    });
    return { tMs, pConsistent: trials === 0 ? 0 : consistent / trials, trials, consistent, failed, ...wilsonInterval(consistent, trials) };
  });
}

/**
 * The measured trials as moments of the run: when each write committed and how much later than
 * t after it the read reached its coordinator. A trial whose ends the trace does not show (an
 * event lost with a killed process) gives no moment.
 */
function trialMoments(observer: LegObserver, specs: readonly TrialSpec[], outcomes: readonly TrialOutcome[]): TrialMoment[] {
  const moments: TrialMoment[] = [];
  specs.forEach((spec, index) => {
    if (outcomes[index] === 'failed') return;
    const times = observer.trialTimes(spec.key);
    // Below 0 only by the clocks' rounding: a read cannot reach its coordinator before t has passed.
    if (times !== null) moments.push({ key: spec.key, commitAtMs: times.commitAtMs, clientLagMs: Math.max(0, times.readAtMs - times.commitAtMs - spec.tMs) });
  });
  return moments;
}

function modelOf(observer: LegObserver, moments: readonly TrialMoment[], cluster: ExperimentCluster, options: MeasureOptions): WarsModel {
  return momentModel(observer.timed, moments, { n: options.n, nodes: cluster.nodes.length });
}

function predict(model: WarsModel, options: MeasureOptions, curveAtMs: readonly number[]): ReturnType<typeof predictStaleness> {
  return predictStaleness(model, {
    n: options.n, r: options.r, w: options.w, readFanout: options.fanout, seed: options.seed,
    trials: options.predictionTrials, trialsPerT: 0, targetPct: options.targetPct, curveAtMs,
  });
}

/** The same model with every client lag 0: t counted from the commit, as the paper counts it. */
function fromCommit(model: WarsModel): WarsModel {
  if (model.moments === undefined) return model;
  return { ...model, moments: { ...model.moments, moments: model.moments.moments.map((moment) => ({ ...moment, clientLagMs: 0 })) } };
}

/** The grid when none is given: 0 and evenly spaced points up to a little past the predicted t-visibility. */
function gridFrom(tVisibilityMs: number, points: number): number[] {
  const endMs = Math.max(1.25 * tVisibilityMs, 1);
  const grid = [0];
  for (let step = 1; step < points; step += 1) grid.push(Math.round(((endMs * step) / (points - 1)) * 100) / 100);
  return grid;
}

const VERSION = /^pbs-k(\d+)-v(\d+)$/;

/** The newest version number of sequence `sequence` that a read returned (0: none). */
function newestSeen(result: ClientResult, sequence: number): number {
  const values = [result.value, ...(Array.isArray(result.siblings) ? result.siblings : [])];
  let newest = 0;
  for (const value of values) {
    const match = typeof value === 'string' ? VERSION.exec(value) : null;
    if (match !== null && Number(match[1]) === sequence) newest = Math.max(newest, Number(match[2]));
  }
  return newest;
}

/** One sequence: a writer acknowledges versions 1…m on one key; a reader reads it meanwhile. Returns versions behind, per read. */
async function runSequence(cluster: ExperimentCluster, options: MeasureOptions, random: Random, sequence: number): Promise<number[]> {
  const key = `pbs-k-${options.seed}-${sequence}`;
  const writer = pick(random, options.holdersOf(key));
  let acknowledged = 0;
  let writing = true;
  const behind: number[] = [];
  const writes = (async () => {
    for (let version = 1; version <= options.kWritesPerSequence; version += 1) {
      const put = await cluster.op({ client: 'c89', node: writer, op: { f: 'put', key, value: `pbs-k${sequence}-v${version}` } });
      if (put.type === 'ok') acknowledged = version;
      await cluster.sleep(options.kWriteIntervalMs);
    }
    writing = false;
  })();
  const reads = (async () => {
    while (writing) {
      const known = acknowledged;
      if (known === 0) {
        await cluster.sleep(1);
        continue;
      }
      const get = await cluster.op({ client: 'c90', node: pick(random, cluster.nodes), op: { f: 'get', key } });
      // A read that saw a version acknowledged after it began is fresh: it is behind nothing.
      if (get.type === 'ok') behind.push(Math.max(0, known - newestSeen(get, sequence)));
    }
  })();
  await Promise.all([writes, reads]);
  return behind;
}

function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= k; i += 1) result = (result * (n - k + i)) / i;
  return result;
}

function kRows(behind: readonly number[], options: MeasureOptions): KStalenessRow[] {
  const missed = binomial(options.n - options.w, options.r) / binomial(options.n, options.r);
  return Array.from({ length: options.kMax }, (_, index) => {
    const k = index + 1;
    const within = behind.filter((versions) => versions < k).length;
    return { k, measured: behind.length === 0 ? 0 : within / behind.length, ...wilsonInterval(within, behind.length), bound: 1 - missed ** k };
  });
}

/** Clients of the experiment: the t-visibility lanes and the k-staleness writer and reader. */
function experimentClients(lanes: number): string[] {
  return [...Array.from({ length: lanes }, (_, index) => `c${91 + index}`), 'c89', 'c90'];
}

/**
 * Every client reads once through every node before the first trial: a real client's first
 * request to a node waits for its connection, and that wait would pass for t.
 */
async function warmUpClients(cluster: ExperimentCluster, options: MeasureOptions): Promise<void> {
  await Promise.all(experimentClients(options.lanes).map(async (client) => {
    for (const node of cluster.nodes) await cluster.op({ client, node, op: { f: 'get', key: `pbs-warmup-${options.seed}` } });
  }));
}

/** The whole experiment: t-visibility on a grid, k-staleness, and the prediction from the observed legs. */
export async function measurePbs(cluster: ExperimentCluster, optionsInput: MeasureOptions, mode: PbsMeasurement['mode']): Promise<PbsMeasurement> {
  const options = validateMeasureOptions(optionsInput, cluster.nodes.length);
  const startedMs = cluster.now();
  const root = createRandom(options.seed);
  const trialRandom = root.fork();
  const sequenceRandom = root.fork();
  await warmUpClients(cluster, options);
  // t = 0 first: its trials are also the pilot whose latencies place the rest of the grid.
  const given = options.tGridMs === null ? null : [...new Set(options.tGridMs)].sort((a, b) => a - b);
  const pilotGrid = given ?? [0];
  const pilotSpecs = planTrials(trialRandom, cluster, options, pilotGrid, 0);
  const pilotOutcomes = await runTrials(cluster, pilotSpecs, options.lanes);
  let grid = pilotGrid;
  let specs = pilotSpecs;
  let outcomes = pilotOutcomes;
  if (given === null) {
    const observer = await cluster.observed();
    const pilotModel = modelOf(observer, trialMoments(observer, pilotSpecs, pilotOutcomes), cluster, options);
    const pilot = predict(pilotModel, { ...options, predictionTrials: Math.min(options.predictionTrials, 50_000) }, []);
    const rest = gridFrom(pilot.tVisibilityExactMs, options.gridPoints).slice(1);
    const restSpecs = planTrials(trialRandom, cluster, options, rest, pilotSpecs.length);
    const restOutcomes = await runTrials(cluster, restSpecs, options.lanes);
    grid = [...pilotGrid, ...rest];
    specs = [...pilotSpecs, ...restSpecs];
    outcomes = [...pilotOutcomes, ...restOutcomes];
  }
  const measuredCurve = tally(grid, specs, outcomes);
  const behindAll: number[] = [];
  for (let sequence = 1; sequence <= options.kSequences; sequence += 1) behindAll.push(...await runSequence(cluster, options, sequenceRandom, sequence));
  const observer = await cluster.observed();
  const moments = trialMoments(observer, specs, outcomes);
  const model = modelOf(observer, moments, cluster, options);
  const prediction = predict(model, options, grid);
  const afterCommit = moments.some((moment) => moment.clientLagMs > 0) ? predict(fromCommit(model), { ...options, predictionTrials: Math.min(options.predictionTrials, 50_000) }, []) : prediction;
  const legs = observer.samples;
  const counted = measuredCurve.reduce((sum, point) => sum + point.trials, 0);
  const atGrid = grid.map((tMs) => prediction.curve.find((point) => point.tMs === tMs) ?? { tMs, pConsistent: Number.NaN });
  const target = options.targetPct / 100;
  const reachedFrom = measuredCurve.findIndex((_, index) => measuredCurve.slice(index).every((point) => point.trials > 0 && point.pConsistent >= target));
  const histogram: number[] = [];
  for (const versions of behindAll) histogram[versions] = (histogram[versions] ?? 0) + 1;
  return {
    mode, n: options.n, r: options.r, w: options.w, fanout: options.fanout, nodes: cluster.nodes.length, seed: options.seed, targetPct: options.targetPct,
    predicted: {
      atGrid, curve: prediction.curve, tVisibilityMs: prediction.tVisibilityExactMs, pConsistentAtZero: prediction.pConsistentAtZero, trials: prediction.trials,
      moments: moments.length, fromCommit: { tVisibilityMs: afterCommit.tVisibilityExactMs, pConsistentAtZero: afterCommit.pConsistentAtZero },
    },
    measured: { curve: measuredCurve, tVisibilityMs: reachedFrom < 0 ? null : measuredCurve[reachedFrom]!.tMs, trials: measuredCurve.reduce((sum, point) => sum + point.trials, 0) },
    kStaleness: {
      reads: behindAll.length, behind: Array.from(histogram, (count) => count ?? 0), rows: kRows(behindAll, options),
      sequences: options.kSequences, writesPerSequence: options.kWritesPerSequence, writeIntervalMs: options.kWriteIntervalMs,
    },
    legs: { w: summarizeLeg(legs.w), a: summarizeLeg(legs.a), r: summarizeLeg(legs.r), s: summarizeLeg(legs.s), clientLag: summarizeLeg(moments.map((moment) => moment.clientLagMs)) },
    caveats: caveatsOf(options, measuredCurve, counted - moments.length),
    elapsedLabMs: cluster.now() - startedMs,
  };
}

function caveatsOf(options: MeasureOptions, curve: readonly MeasuredPoint[], untimed: number): string[] {
  const caveats: string[] = [];
  if (options.fanout === 'minimum') caveats.push("fanout 'minimum': the store sends a write to W replicas only and reads its own replica first; WARS assumes every write goes to all N, so the prediction is optimistic");
  if (options.trialsPerT < 100 / (100 - options.targetPct)) caveats.push(`${options.trialsPerT} reads per t cannot resolve ${options.targetPct} %: the measured t-visibility is the first t at which every read was consistent`);
  const failed = curve.reduce((sum, point) => sum + point.failed, 0);
  if (failed > 0) caveats.push(`${failed} trials failed (a write or read not ok) and are not counted`);
  if (untimed > 0) caveats.push(`${untimed} trials are missing from the trace (their commit or their read's arrival), so the prediction has no moment of theirs`);
  return caveats;
}
