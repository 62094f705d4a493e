// Runs a shipped Raft scenario in the simulator over seeds and says which seeds failed which
// check, each with the command that replays it. Shared by raft-scenarios.test.ts and
// raft-figure-8.test.ts. A scenario runs on a LAN in the simulator (configFromScenario), so
// every check — the scenario's timing predictions (`events`, `leaders`) included — must pass
// on every seed.

import type { CheckResult } from '../../src-main/checks/run-checks.ts';
import { configFromScenario } from '../../src-main/sim/config.ts';
import { simulate, type SimResult } from '../../src-main/sim/simulator.ts';
import type { Scenario } from '../../src-main/scenario/scenario.ts';

export interface SeedVerdict {
  seed: number;
  /** Checks that did not give their expected verdict. */
  failed: CheckResult[];
  replay: string;
  result: SimResult;
}

export function runSeed(scenario: Scenario, seed: number, options: { trace?: 'full' | 'light' } = {}): SeedVerdict {
  const result = simulate(configFromScenario(scenario, seed), { trace: options.trace ?? 'light' });
  return { seed, failed: result.checks.filter((check) => !check.ok), replay: result.replay, result };
}

/** Every seed of `seeds`, with a report of the failures (empty when all passed). */
export function runSeeds(scenario: Scenario, seeds: readonly number[]): { failures: string; verdicts: SeedVerdict[] } {
  const verdicts = seeds.map((seed) => runSeed(scenario, seed));
  const describe = (verdict: SeedVerdict): string =>
    `  seed ${verdict.seed}: replay with ${verdict.replay}\n${verdict.failed.map((check) => `    ${check.kind}: ${check.verdict} (expected ${check.expect}) — ${check.summary}`).join('\n')}`;
  return { failures: verdicts.filter((verdict) => verdict.failed.length > 0).map(describe).join('\n'), verdicts };
}
