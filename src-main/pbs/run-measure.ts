// Where a PBS measurement runs: in the simulator on a scenario (seeded, seconds), on a live
// run's node processes (the UI's PBS panel), or on a fresh cluster of real processes started
// for it (`distlab pbs --measure` without --sim). All three read N, R, W and fanout from the
// scenario's Dynamo parameters and take the scenario's `network` as the links' delays.

import type { PbsMeasureRequest, PbsMeasurement } from '../../src-node/contract/pbs.ts';
import { protocolByName } from '../../src-node/protocols/registry.ts';
import { parseScenario, type Scenario } from '../scenario/scenario.ts';
import { LabRun, scenarioLinkFaults } from '../lab/run.ts';
import { MEASURE_DEFAULTS, MEASURE_LIMITS, measurePbs, type ExperimentCluster, type MeasureOptions } from './measure.ts';
import { PbsSimCluster } from './sim-cluster.ts';
import { PbsLiveCluster } from './live-cluster.ts';
import type { ReadFanout } from './wars.ts';

/** Simulated (or real) time the cluster runs before the first trial: gossip has gone round, links are up. */
export const PBS_WARMUP_MS = 1_000;
/** Reads per t when the UI measures on live processes: about 30 s for the default grid. */
export const PBS_LIVE_TRIALS_PER_T = 100;

export type MeasureTuning = Partial<Omit<MeasureOptions, 'n' | 'r' | 'w' | 'fanout' | 'holdersOf'>>;

/** The scenario with other N, R, W or link delay, validated again as a whole. */
export function withOverrides(scenario: Scenario, overrides: { n?: number; r?: number; w?: number; delayMs?: number; jitterMs?: number }): Scenario {
  if (scenario.protocol.name !== 'dynamo') throw new Error(`PBS measures Dynamo; scenario '${scenario.name}' runs ${scenario.protocol.name}`);
  const params = { ...scenario.protocol.params };
  for (const name of ['n', 'r', 'w'] as const) if (overrides[name] !== undefined) params[name] = overrides[name];
  const network = { ...scenario.network };
  if (overrides.delayMs !== undefined) network.delayMs = overrides.delayMs;
  if (overrides.jitterMs !== undefined) network.jitterMs = overrides.jitterMs;
  const next = parseScenario({ ...scenario, protocol: { ...scenario.protocol, params }, network }, `scenario ${scenario.name}`);
  protocolByName('dynamo').parseParams(next.protocol.params);
  return next;
}

function optionsFor(scenario: Scenario, nodes: readonly string[], seed: number, tuning: MeasureTuning): MeasureOptions {
  const definition = protocolByName('dynamo');
  const params = definition.parseParams(scenario.protocol.params);
  const holdersOf = definition.holdersOf!(params, nodes);
  return {
    ...MEASURE_DEFAULTS, ...tuning, seed,
    n: params['n'] as number, r: params['r'] as number, w: params['w'] as number, fanout: params['fanout'] as ReadFanout, holdersOf,
  };
}

async function afterWarmup(cluster: ExperimentCluster, scenario: Scenario, seed: number, tuning: MeasureTuning, mode: PbsMeasurement['mode']): Promise<PbsMeasurement> {
  await cluster.sleep(PBS_WARMUP_MS);
  return measurePbs(cluster, optionsFor(scenario, cluster.nodes, seed, tuning), mode);
}

/** In the simulator: the same seed gives the same measurement. */
export async function measureInSimulator(scenario: Scenario, seed: number, tuning: MeasureTuning = {}): Promise<PbsMeasurement> {
  if (scenario.protocol.name !== 'dynamo') throw new Error(`PBS measures Dynamo; scenario '${scenario.name}' runs ${scenario.protocol.name}`);
  const cluster = new PbsSimCluster(scenario, seed);
  return cluster.run((simulated) => afterWarmup(simulated, scenario, seed, tuning, 'sim'));
}

/** On a running lab cluster, as it is now (its link faults included). */
export async function measureOnRun(run: LabRun, seed: number, tuning: MeasureTuning = {}): Promise<PbsMeasurement> {
  const scenario = run.options.scenario;
  if (scenario.protocol.name !== 'dynamo') throw new Error(`PBS measures Dynamo; this run is ${scenario.protocol.name}`);
  return measurePbs(new PbsLiveCluster(run), optionsFor(scenario, run.cluster.nodeIds, seed, tuning), 'live');
}

/** On a cluster of real node processes started for the measurement, with the scenario's network on every link; stopped after. */
export async function measureOnProcesses(scenario: Scenario, options: { dataRoot: string; host: string; seed: number; tuning?: MeasureTuning }): Promise<{ measurement: PbsMeasurement; tracePath: string }> {
  const run = await LabRun.start({ scenario, dataRoot: options.dataRoot, host: options.host, autoplay: false });
  try {
    const faults = scenarioLinkFaults(scenario);
    for (const source of run.cluster.nodeIds) {
      for (const target of run.cluster.nodeIds) if (source !== target) await run.fault({ kind: 'link', source, target, faults: { ...faults } }, 'scenario');
    }
    const cluster = new PbsLiveCluster(run);
    const measurement = await afterWarmup(cluster, scenario, options.seed, options.tuning ?? {}, 'live');
    return { measurement, tracePath: run.tracePath };
  } finally {
    await run.close();
  }
}

/** A LabApi request, checked: a person gets a sentence for a bad one. */
export function parsePbsMeasureRequest(raw: unknown): PbsMeasureRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('a PBS measurement request is an object like {"mode": "sim"}');
  const request = raw as Record<string, unknown>;
  const unknown = Object.keys(request).filter((name) => !['mode', 'trialsPerT', 'seed'].includes(name));
  if (unknown.length > 0) throw new Error(`a PBS measurement request has mode, trialsPerT and seed, not ${unknown.join(', ')}`);
  if (request['mode'] !== 'sim' && request['mode'] !== 'live') throw new Error(`mode must be 'sim' or 'live', not ${JSON.stringify(request['mode'])}`);
  const trialsPerT = request['trialsPerT'];
  if (trialsPerT !== undefined && !(Number.isInteger(trialsPerT) && (trialsPerT as number) >= 1 && (trialsPerT as number) <= MEASURE_LIMITS.trialsPerTMax)) {
    throw new Error(`trialsPerT must be an integer in [1, ${MEASURE_LIMITS.trialsPerTMax}], not ${JSON.stringify(trialsPerT)}`);
  }
  const seed = request['seed'];
  if (seed !== undefined && !(Number.isInteger(seed) && (seed as number) >= 0 && (seed as number) < 2 ** 32)) throw new Error(`seed must be an integer in [0, 2^32), not ${JSON.stringify(seed)}`);
  return { mode: request['mode'], ...(trialsPerT === undefined ? {} : { trialsPerT: trialsPerT as number }), ...(seed === undefined ? {} : { seed: seed as number }) };
}

/** What LabApi.measurePbs does on a live run. */
export async function measureForLab(run: LabRun, raw: unknown): Promise<PbsMeasurement> {
  const request = parsePbsMeasureRequest(raw);
  const scenario = run.options.scenario;
  if (scenario.protocol.name !== 'dynamo') throw new Error(`PBS measures Dynamo; this run is ${scenario.protocol.name}`);
  const seed = request.seed ?? scenario.seed;
  if (request.mode === 'sim') return measureInSimulator(scenario, seed, request.trialsPerT === undefined ? {} : { trialsPerT: request.trialsPerT });
  return measureOnRun(run, seed, { trialsPerT: request.trialsPerT ?? PBS_LIVE_TRIALS_PER_T });
}
