// `distlab`: the lab from a terminal. `start` opens the desktop app, or the browser shell
// where there is no display or no Electron binary; `web` serves the browser shell; `run`
// plays a scenario headless and judges it; `export` turns a trace into another format;
// `bench` measures the runtime. Exit codes: 0 success, 1 a check failed, 2 bad input.

import { parseArgs } from 'node:util';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { resolveScenario, DEFAULT_SCENARIO, shippedScenarioNames } from '../scenario/scenario.ts';
import { createLab, defaultDataRoot } from '../lab/lab.ts';
import { runScenario, type ScenarioReport } from '../lab/run-scenario.ts';
import { startRecorder } from '../recorder/recorder-client.ts';
import { appRoot } from '../supervisor/child-entry.ts';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

const HELP = `distlab — run the protocols of "Distributed systems for fun and profit" on a real
cluster of processes, break it on purpose, and watch what happens.

Usage:
  distlab start [--scenario NAME|FILE]     open the desktop lab (falls back to the browser shell)
  distlab web [--scenario NAME|FILE] [--trace FILE] [--host 127.0.0.1] [--port 0]
                                           serve the lab to a browser; prints the URL with its token
                                           (--trace: show a recorded run, real or simulated)
  distlab run <scenario> [--out trace.sqlite] [--json]
                                           run a scenario headless; exit 0 when its checks pass
  distlab export <trace.sqlite> --format sqlite|jsonl|shiviz|history --out <file>
                                           export a trace (history: the clients' operations as
                                           JSON lines, for distlab check --model lab-kv)
  distlab sim <profile|scenario> --seed N [--out trace.sqlite] [--json]
  distlab sim <profile|scenario> --seeds 1000 [--from N]
                                           the deterministic simulator: replay one seed, or sweep
                                           (profiles: pb-sync-crashes, pb-sync-mass-crashes,
                                           pb-async-partitions, pb-sync-partitions)
  distlab check <history> --model cas-register|kv|register|lab-kv [--format lab|jepsen|edn]
                [--conventions knossos] [--timeout-ms N] [--json]
                                           check a history for linearizability
                                           (exit 0 valid, 1 invalid, 2 unknown, 3 bad input)
  distlab bench [--json] [--full]          measure cold start, traced messages/s, crash detection
  distlab bench checker [--json]           the linearizability checker on Porcupine's test histories
  distlab bench raft [--json] [--seconds 5] [--record trace.sqlite] [--no-etcd]
                                           durable Raft on 3 nodes, puts/s and latency at 1/16/64
                                           clients, side by side with a 3-node etcd if installed
  distlab bench gossip [--seeds 30] [--json]
                                           CRDT gossip (simulator): convergence time p50/p99 for 3/5/9/15
                                           nodes × 0/10/30 % loss × push/pull/push-pull
  distlab bench gossip --real [--runs 3] [--compare-sim] [--json]
                                           the same on real node processes (3/5/9 nodes; loss by link
                                           faults); --compare-sim prints the simulator's figures beside
                                           them; --nodes 3,5 --loss 0,30 --modes push,pull narrow either grid
  distlab bench soak [--cycles 200] [--json]
                                           Raft under a kill -9 loop (raft-crash-loop stretched to N
                                           crash/restart cycles); exit 0 when nothing is lost
  distlab pbs [--profile ymmr] [--n 3] [--r 1] [--w 1] [--seed 1] [--json]
                                           PBS: predicted t-visibility and latencies of partial
                                           quorums (WARS Monte Carlo; distlab pbs --help)
  distlab pbs --measure [--sim] [--delay-ms X] [--n 3 --r 1 --w 1] [--seed S] [--json]
                                           PBS measured on the lab's Dynamo beside the prediction
                                           from its own observed latencies
  distlab compare [scenario] [--seeds 10] [--json]
                                           the book's table measured: one workload and one fault on
                                           async/sync primary/backup, Multi-Paxos and Raft
  distlab calm [--example NAME] [--coordinate] [--seeds 50] [--seed N] [--json]
                                           CALM: search schedules (reordered, duplicated messages)
                                           for replicas that disagree (distlab calm --help)
  distlab scenarios                        list the scenarios the lab ships
  distlab --help                           this text

Scenarios shipped: ${safeScenarioNames()}
Data (runs, traces, node disks) lives in ${defaultDataRoot()} (set DISTLAB_HOME to move it).`;

function safeScenarioNames(): string {
  try {
    return shippedScenarioNames().join(', ');
  } catch {
    return '(none found)';
  }
}

export class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined: case '--help': case '-h': case 'help':
        console.log(HELP);
        return EXIT_OK;
      case 'web': return await web(rest, null);
      case 'start': return await start(rest);
      case 'run': return await run(rest);
      case 'export': return await exportTrace(rest);
      case 'bench':
        if (rest[0] === 'checker') return await benchChecker(rest.slice(1));
        if (rest[0] === 'raft') return await benchRaft(rest.slice(1));
        if (rest[0] === 'soak') return await benchSoak(rest.slice(1));
        if (rest[0] === 'gossip') return await benchGossip(rest.slice(1));
        return await bench(rest);
      case 'check': return await (await import('./check-command.ts')).checkCommand(rest);
      case 'sim': return await (await import('./sim-command.ts')).simCommand(rest);
      case 'pbs': return await (await import('./pbs-command.ts')).pbsCommand(rest);
      case 'compare': return await (await import('./compare-command.ts')).compareCommand(rest);
      case 'calm': return await (await import('../calm/calm-command.ts')).calmCommand(rest);
      case 'scenarios': return await listScenarios();
      default: throw new UsageError(`unknown command '${command}' (try distlab --help)`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`distlab: ${message}`);
    return EXIT_BAD_INPUT;
  }
}

type OptionSpec = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

function parse(args: string[], options: OptionSpec): { values: Record<string, unknown>; positionals: string[] } {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function web(args: string[], reason: string | null): Promise<number> {
  const { values } = parse(args, { scenario: { type: 'string' }, trace: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } });
  const host = (values['host'] as string | undefined) ?? '127.0.0.1';
  const port = Number((values['port'] as string | undefined) ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be 0–65535, not ${String(values['port'])}`);
  const rendererDir = ensureRenderer();
  const { startWebServer } = await import('../server/web-server.ts');
  const scenario = values['scenario'] as string | undefined;
  const trace = values['trace'] as string | undefined;
  if (trace && !existsSync(trace)) throw new UsageError(`no such trace file: ${trace}`);
  const lab = await createLab({ ...(scenario ? { scenario } : {}), ...(trace ? { trace } : {}), host: host === '0.0.0.0' ? '127.0.0.1' : host });
  const server = await startWebServer({ lab, host, port, rendererDir });
  if (reason) console.log(`distlab: ${reason}; serving the lab to a browser instead.`);
  console.log(`distlab: open ${server.url}`);
  console.log('distlab: press Ctrl+C to stop the cluster and quit.');
  await waitForSignal();
  await server.close();
  await lab.close();
  return EXIT_OK;
}

async function start(args: string[]): Promise<number> {
  const { launchDesktop } = await import('../electron/launch.ts');
  const launched = await launchDesktop();
  if (launched.ok) {
    return new Promise((resolve) => launched.child.once('exit', (code) => resolve(code ?? 0)));
  }
  return web(args, launched.reason);
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string' }, json: { type: 'boolean' } });
  const [name] = positionals;
  if (!name) throw new UsageError('usage: distlab run <scenario name or file> [--out trace.sqlite] [--json]');
  const scenario = await resolveScenario(name);
  const out = values['out'] as string | undefined;
  const json = values['json'] === true;
  if (out && existsSync(out)) throw new UsageError(`${out} exists: choose another --out (a trace is never overwritten)`);
  const report = await runScenario(scenario, {
    dataRoot: defaultDataRoot(),
    ...(out ? { tracePath: path.resolve(out) } : {}),
    ...(json ? {} : { progress: (message: string) => console.error(`distlab: ${message}`) }),
  });
  if (json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  return report.ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

function printReport(report: ScenarioReport): void {
  const ops = report.operations;
  console.log(`scenario ${report.scenario}: ${report.ok ? 'PASSED' : 'FAILED'} (${Math.round(report.durationMs)} ms, ${ops.total} operations: ${ops.ok} ok, ${ops.fail} fail, ${ops.info} info)`);
  for (const check of report.checks) {
    const mark = check.ok ? 'ok  ' : 'FAIL';
    console.log(`  ${mark} ${check.kind}: ${check.verdict} (expected ${check.expect}) — ${check.summary}`);
  }
  console.log(`trace: ${report.tracePath}`);
}

async function exportTrace(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { format: { type: 'string' }, out: { type: 'string' } });
  const [trace] = positionals;
  const format = values['format'] as string | undefined;
  const out = values['out'] as string | undefined;
  if (!trace || !format || !out) throw new UsageError('usage: distlab export <trace.sqlite> --format sqlite|jsonl|shiviz|history --out <file>');
  if (format === 'history') return exportHistory(trace, out);
  if (format !== 'sqlite' && format !== 'jsonl' && format !== 'shiviz') throw new UsageError(`unknown format '${format}' (sqlite, jsonl, shiviz or history)`);
  if (!existsSync(trace)) throw new UsageError(`no such trace file: ${trace}`);
  if (existsSync(out)) throw new UsageError(`${out} exists: choose another --out`);
  const recorder = await startRecorder({ tracePath: trace, mode: 'read' });
  try {
    const bytes = format === 'sqlite' ? await recorder.copyTo(out) : (await recorder.exportTo({ format, path: out })).bytes;
    console.log(`distlab: wrote ${out} (${bytes} bytes, ${format})`);
  } finally {
    await recorder.close();
  }
  return EXIT_OK;
}

/** The clients' history of a recorded run, as the lab's history JSON lines. */
async function exportHistory(trace: string, out: string): Promise<number> {
  if (!existsSync(trace)) throw new UsageError(`no such trace file: ${trace}`);
  if (existsSync(out)) throw new UsageError(`${out} exists: choose another --out`);
  const { TraceView } = await import('../lab/trace-view.ts');
  const { writeHistoryFile } = await import('../workload/history.ts');
  const view = await TraceView.open(path.resolve(trace), path.dirname(path.resolve(out)));
  try {
    const history = await view.history();
    await writeHistoryFile(out, history);
    console.log(`distlab: wrote ${out} (${history.length} history entries)`);
  } finally {
    await view.close();
  }
  return EXIT_OK;
}

async function bench(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, full: { type: 'boolean' } });
  const { runBenchmarks } = await import('../bench/bench.ts');
  const results = await runBenchmarks({ full: values['full'] === true, log: (line) => console.error(line) });
  if (values['json'] === true) console.log(JSON.stringify(results, null, 2));
  else for (const [name, value] of Object.entries(results)) console.log(`${name}: ${JSON.stringify(value)}`);
  return EXIT_OK;
}

/** Porcupine's validation histories sit in the steering repo's shared folder, beside this checkout. */
async function benchChecker(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, data: { type: 'string' } });
  const dataDir = (values['data'] as string | undefined) ?? path.resolve(appRoot(), '..', 'shared', 'validation', 'porcupine');
  if (!existsSync(dataDir)) throw new UsageError(`no Porcupine histories at ${dataDir} (pass --data DIR)`);
  const { runCheckerBench } = await import('../bench/checker-bench.ts');
  const results = await runCheckerBench({ dataDir, log: (line) => console.error(line) });
  if (values['json'] === true) console.log(JSON.stringify(results, null, 2));
  else for (const [name, value] of Object.entries(results)) console.log(`${name}: ${JSON.stringify(value)}`);
  return results.verdictsMatch ? EXIT_OK : EXIT_CHECK_FAILED;
}

async function benchRaft(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, seconds: { type: 'string' }, record: { type: 'string' }, 'no-etcd': { type: 'boolean' } });
  const { runRaftBench, MEASURE_MS, WARMUP_MS } = await import('../bench/raft-bench.ts');
  const seconds = values['seconds'] === undefined ? MEASURE_MS / 1000 : Number(values['seconds']);
  if (!(seconds > 0 && seconds <= 60)) throw new UsageError(`--seconds must be in (0, 60], not ${String(values['seconds'])}`);
  const record = values['record'] as string | undefined;
  const recordPath = record === undefined ? null : path.resolve(record);
  if (recordPath !== null && existsSync(recordPath)) throw new UsageError(`--record ${recordPath}: the file exists; the bench records to a new trace`);
  const results = await runRaftBench({
    measureMs: Math.round(seconds * 1000), warmupMs: WARMUP_MS, recordPath,
    skipEtcd: values['no-etcd'] === true, log: (line) => console.error(line),
  });
  if (values['json'] === true) console.log(JSON.stringify(results, null, 2));
  else for (const [name, value] of Object.entries(results)) console.log(`${name}: ${JSON.stringify(value)}`);
  return EXIT_OK;
}

async function benchGossip(args: string[]): Promise<number> {
  const { values } = parse(args, {
    json: { type: 'boolean' }, seeds: { type: 'string' }, real: { type: 'boolean' }, 'compare-sim': { type: 'boolean' },
    runs: { type: 'string' }, nodes: { type: 'string' }, loss: { type: 'string' }, modes: { type: 'string' },
  });
  const { runGossipBench, GOSSIP_BENCH_NODES, GOSSIP_BENCH_LOSS_PCTS, GOSSIP_BENCH_MODES, GOSSIP_BENCH_SEEDS_DEFAULT, GOSSIP_BENCH_SEEDS_MAX } = await import('../bench/gossip-bench.ts');
  const { runRealGossipBench, formatGossipComparison, GOSSIP_REAL_NODES, GOSSIP_REAL_LOSS_PCTS, GOSSIP_REAL_RUNS_DEFAULT, GOSSIP_REAL_RUNS_MAX } = await import('../bench/gossip-real-bench.ts');
  const count = (name: string, fallback: number, max: number): number => {
    const value = values[name] === undefined ? fallback : Number(values[name]);
    if (!(Number.isInteger(value) && value >= 1 && value <= max)) throw new UsageError(`--${name} must be an integer from 1 to ${max}, not ${String(values[name])}`);
    return value;
  };
  const list = (name: string, fallback: readonly number[], valid: (value: number) => boolean, what: string): number[] => {
    if (values[name] === undefined) return [...fallback];
    const items = String(values[name]).split(',').map((item) => Number(item.trim()));
    if (items.length === 0 || !items.every(valid)) throw new UsageError(`--${name} is a comma-separated list of ${what}, not ${String(values[name])}`);
    return items;
  };
  const real = values['real'] === true;
  const compare = values['compare-sim'] === true;
  if (compare && !real) throw new UsageError('--compare-sim goes with --real: it prints the real figures beside the simulated ones');
  if (!real && values['runs'] !== undefined) throw new UsageError('--runs counts runs on real processes: use it with --real (the simulator counts --seeds)');
  const seeds = count('seeds', GOSSIP_BENCH_SEEDS_DEFAULT, GOSSIP_BENCH_SEEDS_MAX);
  const nodes = list('nodes', real ? GOSSIP_REAL_NODES : GOSSIP_BENCH_NODES, (value) => Number.isInteger(value) && value >= 2 && value <= 15, 'node counts (2–15)');
  const lossPcts = list('loss', real ? GOSSIP_REAL_LOSS_PCTS : GOSSIP_BENCH_LOSS_PCTS, (value) => Number.isFinite(value) && value >= 0 && value < 100, 'loss rates in % (0 up to 100)');
  const modes = values['modes'] === undefined ? [...GOSSIP_BENCH_MODES] : String(values['modes']).split(',').map((mode) => mode.trim());
  if (!modes.every((mode) => (GOSSIP_BENCH_MODES as readonly string[]).includes(mode))) throw new UsageError(`--modes is a comma-separated list of push, pull, push-pull, not ${String(values['modes'])}`);
  const grid = { nodes, lossPcts, modes: modes as typeof GOSSIP_BENCH_MODES[number][] };
  const log = (line: string): void => console.error(line);
  if (!real) {
    const results = runGossipBench({ seeds, ...grid, log });
    if (values['json'] === true) console.log(JSON.stringify(results, null, 2));
    else for (const row of results.rows) console.log(`${JSON.stringify(row)}`);
    return EXIT_OK;
  }
  const results = await runRealGossipBench({ runs: count('runs', GOSSIP_REAL_RUNS_DEFAULT, GOSSIP_REAL_RUNS_MAX), ...grid, log });
  log(`bench gossip --real: ${results.rows.length} configurations in ${(results.elapsedMs / 1000).toFixed(1)} s`);
  const simulated = compare ? runGossipBench({ seeds, ...grid, log }) : null;
  if (values['json'] === true) console.log(JSON.stringify(simulated === null ? results : { real: results, sim: simulated }, null, 2));
  else if (simulated !== null) console.log(formatGossipComparison(results, simulated));
  else for (const row of results.rows) console.log(`${JSON.stringify(row)}`);
  return EXIT_OK;
}

async function benchSoak(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean' }, cycles: { type: 'string' } });
  const { runSoakBench, SOAK_CYCLES_DEFAULT, SOAK_CYCLES_MAX } = await import('../bench/soak-bench.ts');
  const cycles = values['cycles'] === undefined ? SOAK_CYCLES_DEFAULT : Number(values['cycles']);
  if (!(Number.isInteger(cycles) && cycles >= 1 && cycles <= SOAK_CYCLES_MAX)) {
    throw new UsageError(`--cycles must be an integer from 1 to ${SOAK_CYCLES_MAX}, not ${String(values['cycles'])}`);
  }
  const results = await runSoakBench({ cycles, log: (line) => console.error(line) });
  if (values['json'] === true) console.log(JSON.stringify(results, null, 2));
  else for (const [name, value] of Object.entries(results)) console.log(`${name}: ${JSON.stringify(value)}`);
  return results.ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

async function listScenarios(): Promise<number> {
  for (const name of shippedScenarioNames()) {
    const scenario = await resolveScenario(name);
    console.log(`${name.padEnd(18)} ${scenario.title}${name === DEFAULT_SCENARIO ? ' (default)' : ''}`);
  }
  return EXIT_OK;
}

/** The built renderer, built first if it is missing. */
function ensureRenderer(): string {
  const dir = path.join(appRoot(), 'out', 'renderer');
  if (!existsSync(path.join(dir, 'index.html'))) {
    console.error('distlab: building the UI (first run)…');
    const built = spawnSync(process.execPath, [path.join(appRoot(), 'scripts', 'build-renderer.mjs')], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building the UI failed (see above)');
  }
  return dir;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
