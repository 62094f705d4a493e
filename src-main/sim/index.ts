// The deterministic simulator: what the CLI, the tests and the lab use.

export { SIM_PROFILES, configFromScenario, drawDelay, nodeIds, validateConfig, type DelayModel, type Expect, type NemesisConfig, type NetworkConfig, type SimConfig, type SimExpectations, type SimProfile, type SimWorkload } from './config.ts';
export { simulate, replayCommand, type SimOptions, type SimResult } from './simulator.ts';
export { sweep, outcomeOf, type SeedOutcome, type SweepSummary } from './sweep.ts';
export { SimTrace, StreamHash, type TraceMode } from './sim-trace.ts';
export { EventQueue } from './event-queue.ts';
