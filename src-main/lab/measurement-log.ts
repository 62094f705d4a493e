// A measurement made from the UI on a live run (PBS, gossip convergence) goes into the run's
// trace as a `log` event of the lab: a trace handed to someone else carries the figures that
// were measured on it, in words in the log (where anyone reading the trace sees them) and whole
// in the event's detail (for tools reading the export). Pure: text and detail only.

import type { ConvergenceMeasurement } from '../../src-node/contract/gossip.ts';
import type { PbsMeasurement } from '../../src-node/contract/pbs.ts';
import type { RecordedMeasurementKind } from '../../src-node/contract/trace.ts';

export interface MeasurementLog {
  message: string;
  detail: { measurement: RecordedMeasurementKind; result: unknown };
}

const ms = (value: number | null): string => (value === null ? 'not reached' : `${Math.round(value)} ms`);
const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;

export function pbsMeasurementLog(result: PbsMeasurement): MeasurementLog {
  const measuredAtZero = result.measured.curve.find((point) => point.tMs === 0 && point.trials > 0);
  const message = `PBS measured (${result.mode === 'sim' ? `simulator, seed ${result.seed}` : 'on the live nodes'}; N=${result.n} R=${result.r} W=${result.w}): `
    + `${result.targetPct} % t-visibility predicted ${ms(result.predicted.tVisibilityMs)}, measured ${ms(result.measured.tVisibilityMs)}; `
    + `consistent at t = 0 predicted ${pct(result.predicted.pConsistentAtZero)}`
    + `${measuredAtZero === undefined ? '' : `, measured ${pct(measuredAtZero.consistent / measuredAtZero.trials)} (${measuredAtZero.trials} reads)`}`;
  return { message, detail: { measurement: 'pbs', result } };
}

export function convergenceMeasurementLog(result: ConvergenceMeasurement): MeasurementLog {
  const message = `Gossip convergence measured (${result.nodes} nodes, ${result.mode}, fan-out ${result.fanout}, every ${result.intervalMs} ms, `
    + `${result.lossPct} % loss; ${result.live.runs} runs): p50 ${ms(result.live.p50Ms)}, p99 ${ms(result.live.p99Ms)}`
    + `${result.live.censored > 0 ? `, ${result.live.censored} not converged within ${result.windowMs} ms` : ''}; `
    + `the simulator predicts p50 ${ms(result.sim.p50Ms)}, p99 ${ms(result.sim.p99Ms)}`;
  return { message, detail: { measurement: 'gossip-convergence', result } };
}
