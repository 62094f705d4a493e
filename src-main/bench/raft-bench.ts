// `distlab bench raft`: durable Raft on three real node processes, side by side with a
// three-node etcd (3.4) on the same loopback, when `etcd` is on the PATH (issue 4).
// Figures, not assertions: nothing here decides whether a build passes.
//
// Durability, both sides: a put is acknowledged once a majority has it on disk. distlab:
// every node writes the entry in one fsynced SQLite transaction (WAL, synchronous=FULL); the
// leader sends its AppendEntries while its own write syncs (Raft dissertation §10.2.1) and
// counts itself toward the majority only once that write is durable, each follower persists
// before its reply leaves, and the leader replies `ok` only at commit. etcd: the same — its
// leader, too, sends MsgApp in parallel with its own WAL fsync, and followers fsync before
// they answer.
//
// Load: `concurrency` closed-loop clients, one connection each and one put outstanding each
// (a small value on one of KEY_SPACE keys), for a warm-up then a measured window; before its
// first phase each system runs SYSTEM_WARMUP_MS unmeasured at the highest concurrency. A put
// counts when it completes inside the window; puts/s = those / window. The lab's clients
// here are lean: raw socket.io, no client events traced. The nodes still trace every event
// (send, receive, persist, state): by default the bench's supervisor sink counts and
// discards them; `recordPath` sends them to a recorder that writes that trace file, as a lab
// run does (the trace then shows where a put's time goes: send, receive, persist, commit).

import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { NodeId } from '../../src-node/contract/clock.ts';
import { CLIENT_REQUEST_EVENT } from '../../src-node/contract/control.ts';
import type { ClientResult } from '../../src-node/contract/envelope.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import { LAB_HEARTBEAT_INTERVAL_MS, LAB_PHI_OPTIONS } from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { startRecorder, type Recorder } from '../recorder/recorder-client.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import { epochNowMs } from '../lab/lab-time.ts';
import { PutStages, type StageFigures } from './raft-stages.ts';

export const CONCURRENCIES = [1, 16, 64] as const;
export const WARMUP_MS = 1_000;
/**
 * Before its first measured phase each system runs this long, unmeasured, under the highest
 * concurrency. distlab's nodes run on V8, whose JIT optimizes code only once it is hot: a
 * cold cluster measured at ×1 first was ~25 % slower than the same cluster warm. etcd is
 * compiled ahead of time; it gets the same warm-up all the same.
 */
export const SYSTEM_WARMUP_MS = 3_000;
export const MEASURE_MS = 5_000;
export const MEASURE_MS_MAX = 60_000;
/** Puts spread over this many keys (the state machine holds at most KEYS_MAX). */
export const KEY_SPACE = 1_000;
export const VALUE_BYTES = 16;
export const PUT_TIMEOUT_MS = 5_000;
export const LEADER_WAIT_MS = 10_000;
export const ETCD_START_TIMEOUT_MS = 20_000;
export const ETCD_STOP_GRACE_MS = 5_000;
/** A client that meets no leader backs off this long before asking again. */
const RETRY_BACKOFF_MS = 20;

/**
 * Raft parameters for the bench. maxEntriesPerAppend × maxInflightAppends bounds what is in
 * flight to a follower; 64 clients with one put outstanding each fit in one append. The
 * timeouts are the defaults: under load a node's event loop must never stall past them.
 */
export const BENCH_RAFT_PARAMS = Object.freeze({
  maxEntriesPerAppend: 256,
  maxInflightAppends: 4,
  heartbeatIntervalMs: 50,
  electionTimeoutMsMin: 300,
  electionTimeoutMsMax: 600,
  snapshotThresholdEntries: 1_000,
});

export type BenchSystem = 'distlab' | 'etcd';

export interface RaftBenchRow {
  system: BenchSystem;
  concurrency: number;
  putsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Puts completed inside the window; puts that failed, timed out or were redirected there. */
  puts: number;
  errors: number;
}

/** distlab's fsynced transactions (all three nodes) per measured put, and their mean duration. */
export interface PersistStats {
  concurrency: number;
  fsyncsPerPut: number;
  meanFsyncMs: number;
}

/** Where a put's time went at one concurrency, from the nodes' trace (raft-stages.ts). */
export interface StageStats {
  concurrency: number;
  stages: StageFigures[];
}

export interface RaftBenchResults {
  results: RaftBenchRow[];
  /** distlab puts/s over etcd's, and etcd's p99 over distlab's, per concurrency (>1 = distlab better). */
  ratios: { concurrency: number; throughput: number; p99: number }[];
  etcd: { ran: boolean; version: string | null; reason: string | null };
  tracing: string;
  nodeTraceEventsPerPut: number;
  distlabPersists: PersistStats[];
  /** Where a distlab put's time goes, per concurrency (stages of raft-stages.ts, from the nodes' trace). */
  distlabStages: StageStats[];
  raftParams: Record<string, number>;
  warmupMs: number;
  systemWarmupMs: number;
  measureMs: number;
  machine: { cpus: number; node: string; platform: string; loadAverageBefore: number[]; loadAverageAfter: number[] };
}

export interface RaftBenchOptions {
  measureMs: number;
  warmupMs: number;
  /** Record the nodes' trace to this new file (a lab trace) instead of discarding it; null: discard. */
  recordPath: string | null;
  /** Skip etcd even when it is installed. */
  skipEtcd: boolean;
  /** The client counts to measure, in order (default CONCURRENCIES): one phase alone is easier to profile. */
  concurrencies?: readonly number[];
  /** Unmeasured load before the first phase (default SYSTEM_WARMUP_MS); 0 = none. */
  systemWarmupMs?: number;
  log: (line: string) => void;
}

/** One put: resolves to ok, or to an error that says why (never throws). */
type PutOnce = (key: string, value: string) => Promise<{ ok: true } | { ok: false; error: string }>;

interface LoadClient {
  put: PutOnce;
  close(): void;
}

// ---- the load generator (shared by both systems) -------------------------------------------

function randomValue(): string {
  return Math.random().toString(36).slice(2).padEnd(VALUE_BYTES, 'x').slice(0, VALUE_BYTES);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Closed loop: every client puts, waits for the answer, puts again, until the window ends. */
async function runLoad(system: BenchSystem, clients: readonly LoadClient[], options: RaftBenchOptions): Promise<RaftBenchRow> {
  const startMs = performance.now();
  const windowStartMs = startMs + options.warmupMs;
  const windowEndMs = windowStartMs + options.measureMs;
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  await Promise.all(clients.map(async (client, index) => {
    let seq = 0;
    while (performance.now() < windowEndMs) {
      seq += 1;
      const key = `k${(index * 7919 + seq) % KEY_SPACE}`;
      const invokedMs = performance.now();
      const outcome = await client.put(key, randomValue());
      const completedMs = performance.now();
      const inWindow = completedMs >= windowStartMs && completedMs <= windowEndMs;
      if (outcome.ok && inWindow) latenciesMs.push(completedMs - invokedMs);
      if (!outcome.ok) {
        if (inWindow) errors += 1;
        firstError ??= outcome.error;
        await sleep(RETRY_BACKOFF_MS);
      }
    }
  }));
  if (firstError !== null) options.log(`raft bench: ${system} ×${clients.length}: ${errors} errors in the window, first: ${firstError}`);
  latenciesMs.sort((a, b) => a - b);
  return {
    system, concurrency: clients.length,
    putsPerSec: Math.round(latenciesMs.length / (options.measureMs / 1000)),
    p50Ms: round2(percentile(latenciesMs, 50)), p99Ms: round2(percentile(latenciesMs, 99)),
    puts: latenciesMs.length, errors,
  };
}

/** The unmeasured warm-up before a system's first phase (SYSTEM_WARMUP_MS), with clients of its own. */
async function warmUpSystem(system: BenchSystem, openClients: (count: number) => Promise<LoadClient[]>, options: RaftBenchOptions): Promise<void> {
  const warmupMs = options.systemWarmupMs ?? SYSTEM_WARMUP_MS;
  if (!(warmupMs > 0)) return;
  const clients = await openClients(Math.max(...(options.concurrencies ?? CONCURRENCIES)));
  try {
    await runLoad(system, clients, { ...options, warmupMs: 0, measureMs: warmupMs, log: () => undefined });
  } finally {
    for (const client of clients) client.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function pollUntil<T>(what: string, probe: () => Promise<T | null> | T | null, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

// ---- distlab --------------------------------------------------------------------------------

/**
 * A lean lab client: one socket.io connection, the node's `client-request` protocol, exactly-
 * once sessions (`client` + `seq`), redirects followed. No trace events, no causal clock of
 * its own (lamport 0 and an empty vector clock are valid stamps).
 */
function distlabClient(id: string, urls: ReadonlyMap<NodeId, string>, leader: NodeId): LoadClient {
  const sockets = new Map<NodeId, Socket>();
  let target = leader;
  let requests = 0;
  let seq = 0;
  const socketTo = (node: NodeId): Socket => {
    let socket = sockets.get(node);
    if (socket === undefined) {
      socket = io(urls.get(node)!, { transports: ['websocket'], forceNew: true, reconnectionDelay: 50, query: { client: id } });
      sockets.set(node, socket);
    }
    return socket;
  };
  socketTo(leader);
  const send = (node: NodeId, op: Record<string, unknown>): Promise<ClientResult | null> => new Promise((resolve) => {
    requests += 1;
    const requestId = `${id}:${requests}`;
    const envelope = {
      source: id, target: node, type: 'client-request', id: requestId, lamport: 0, vclock: {}, sentAtNodeMs: 0,
      payload: { requestId, op },
    };
    const timer = setTimeout(() => resolve(null), PUT_TIMEOUT_MS);
    socketTo(node).emit(CLIENT_REQUEST_EVENT, envelope, (ack: { result?: ClientResult }) => {
      clearTimeout(timer);
      resolve(ack?.result ?? null);
    });
  });
  return {
    async put(key, value) {
      seq += 1; // a retry after a redirect keeps its seq: exactly once
      const op = { f: 'put', key, value, client: id, seq };
      for (let hop = 0; hop < urls.size; hop += 1) {
        const result = await send(target, op);
        if (result === null) return { ok: false, error: `no answer from ${target} within ${PUT_TIMEOUT_MS} ms` };
        if (result.type === 'ok') return { ok: true };
        const redirect = (result as { redirect?: unknown }).redirect;
        if (typeof redirect !== 'string' || !urls.has(redirect)) return { ok: false, error: `${result.type}: ${result.error ?? ''}` };
        target = redirect;
      }
      return { ok: false, error: 'redirected in a circle' };
    },
    close() {
      for (const socket of sockets.values()) socket.close();
    },
  };
}

async function benchDistlab(options: RaftBenchOptions, dir: string): Promise<{ rows: RaftBenchRow[]; persistStats: PersistStats[]; stageStats: StageStats[]; eventsPerPut: number }> {
  const started = epochNowMs();
  let recorder: Recorder | null = null;
  if (options.recordPath !== null) recorder = await startRecorder({ tracePath: options.recordPath, mode: 'create' });
  let nodeEvents = 0;
  let persists = 0;
  let persistMs = 0;
  let stages: PutStages | null = null;
  const sink = (events: TraceEvent[]): void => {
    nodeEvents += events.length;
    stages?.add(events);
    for (const event of events) {
      if (event.kind !== 'persist') continue;
      persists += 1;
      persistMs += (event.detail as { durationMs?: number }).durationMs ?? 0;
    }
    recorder?.append(events);
  };
  const supervisor = await Supervisor.start({
    nodes: ['n1', 'n2', 'n3'], dataRoot: path.join(dir, 'nodes'), host: '127.0.0.1',
    protocol: { name: 'raft', params: { ...BENCH_RAFT_PARAMS } },
    heartbeatIntervalMs: LAB_HEARTBEAT_INTERVAL_MS, failureDetector: LAB_PHI_OPTIONS,
    suspicionSampleMs: 1_000, traceFlushMs: 50, traceBatchMax: 1_024, seed: 1, runStartEpochMs: started,
  }, { events: sink, changed: () => undefined });
  const rows: RaftBenchRow[] = [];
  const persistStats: PersistStats[] = [];
  const stageStats: StageStats[] = [];
  let puts = 0;
  let eventsDuringLoad = 0;
  try {
    const leader = await pollUntil('a Raft leader', () => {
      const node = supervisor.nodes().find((view) => view.status?.role === 'leader');
      return node?.url ? node.id : null;
    }, LEADER_WAIT_MS);
    const urls = new Map(supervisor.nodes().filter((view) => view.url !== null).map((view) => [view.id, view.url!]));
    options.log(`raft bench: distlab leader ${leader}`);
    // Client ids are sessions (exactly-once): a phase never reuses another's.
    const openClients = async (phase: string, concurrency: number): Promise<LoadClient[]> => {
      const clients = Array.from({ length: concurrency }, (_, index) => distlabClient(`bench-${phase}-c${concurrency}-${index}`, urls, leader));
      // Each client opened its socket to the leader at creation: wait until all are up.
      await pollUntil(`${concurrency} clients to connect`, async () => {
        const outcome = await Promise.all(clients.map((client) => client.put('warm', 'x')));
        return outcome.every((result) => result.ok) ? true : null;
      }, LEADER_WAIT_MS);
      return clients;
    };
    await warmUpSystem('distlab', (count) => openClients('warm-up', count), options);
    for (const [phase, concurrency] of (options.concurrencies ?? CONCURRENCIES).entries()) {
      const clients = await openClients(`p${phase}`, concurrency);
      try {
        const before = { events: nodeEvents, persists, persistMs };
        stages = new PutStages();
        const row = await runLoad('distlab', clients, options);
        const figures = stages.figures();
        stages = null;
        stageStats.push({ concurrency, stages: figures });
        eventsDuringLoad += nodeEvents - before.events;
        puts += row.puts;
        rows.push(row);
        const fsyncs = persists - before.persists;
        const perPut = row.puts === 0 ? 0 : round2(fsyncs / row.puts);
        const fsyncMs = fsyncs === 0 ? 0 : round2((persistMs - before.persistMs) / fsyncs);
        options.log(`raft bench: distlab ×${concurrency}: ${row.putsPerSec} puts/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms; `
          + `${perPut} fsyncs per put (3 nodes, warm-up included), ${fsyncMs} ms each`);
        persistStats.push({ concurrency, fsyncsPerPut: perPut, meanFsyncMs: fsyncMs });
        options.log(`raft bench: distlab ×${concurrency}, where the time goes (mean / p99 ms): `
          + figures.map((figure) => `${figure.stage} ${figure.meanMs} / ${figure.p99Ms}`).join('; '));
      } finally {
        for (const client of clients) client.close();
      }
    }
  } finally {
    await supervisor.close();
    if (recorder !== null) await recorder.close();
  }
  // Warm-up puts are in the event count too: the figure is an upper bound per measured put.
  return { rows, persistStats, stageStats, eventsPerPut: puts === 0 ? 0 : Math.round(eventsDuringLoad / puts) };
}

// ---- etcd -----------------------------------------------------------------------------------

export function etcdVersion(): string | null {
  const probe = spawnSync('etcd', ['--version'], { encoding: 'utf8', timeout: 5_000 });
  if (probe.error !== undefined || probe.status !== 0) return null;
  return /etcd Version: (\S+)/.exec(probe.stdout)?.[1] ?? 'unknown';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  child: ChildProcess;
}

interface EtcdCluster {
  members: EtcdMember[];
  stop(): Promise<void>;
}

async function startEtcd(dir: string): Promise<EtcdCluster> {
  const names = ['e1', 'e2', 'e3'];
  const ports = await Promise.all(names.flatMap(() => [freePort(), freePort()]));
  const spec = names.map((name, index) => ({
    name, clientUrl: `http://127.0.0.1:${ports[2 * index]}`, peerUrl: `http://127.0.0.1:${ports[2 * index + 1]}`,
  }));
  const initialCluster = spec.map((member) => `${member.name}=${member.peerUrl}`).join(',');
  const token = `distlab-bench-${process.pid}-${Date.now()}`;
  const members: EtcdMember[] = spec.map((member) => {
    const logFd = openSync(path.join(dir, `${member.name}.log`), 'a');
    // Defaults otherwise: fsync on (no --unsafe-no-fsync), default quota and snapshot count.
    const child = spawn('etcd', [
      '--name', member.name, '--data-dir', path.join(dir, member.name),
      '--listen-client-urls', member.clientUrl, '--advertise-client-urls', member.clientUrl,
      '--listen-peer-urls', member.peerUrl, '--initial-advertise-peer-urls', member.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-token', token, '--initial-cluster-state', 'new',
    ], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    return { ...member, child };
  });
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((member) => stopChild(member.child)));
  };
  try {
    await pollUntil('etcd to serve puts', async () => ((await etcdPutOnce(members[0]!.clientUrl, 'warm', 'x')) ? true : null), ETCD_START_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return { members, stop };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ETCD_STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function httpPost(url: string, body: string, agent: http.Agent | undefined): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const request = http.request(url, {
      method: 'POST', agent, timeout: PUT_TIMEOUT_MS,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', () => resolve(null));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
    request.end(body);
  });
}

async function etcdPutOnce(clientUrl: string, key: string, value: string, agent?: http.Agent): Promise<boolean> {
  const answer = await httpPost(`${clientUrl}/v3/kv/put`, JSON.stringify({ key: b64(key), value: b64(value) }), agent);
  return answer !== null && answer.status === 200;
}

/** The leader's client URL: the member whose own id is the leader its status reports. */
async function etcdLeader(members: readonly EtcdMember[]): Promise<EtcdMember | null> {
  for (const member of members) {
    const answer = await httpPost(`${member.clientUrl}/v3/maintenance/status`, '{}', undefined);
    if (answer === null || answer.status !== 200) continue;
    const status = JSON.parse(answer.body) as { header?: { member_id?: string }; leader?: string };
    if (status.leader !== undefined && status.leader === status.header?.member_id) return member;
  }
  return null;
}

/** One keep-alive connection per client (maxSockets 1), to the leader, as the distlab clients. */
function etcdClient(clientUrl: string): LoadClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    async put(key, value) {
      const answer = await httpPost(`${clientUrl}/v3/kv/put`, JSON.stringify({ key: b64(key), value: b64(value) }), agent);
      if (answer === null) return { ok: false, error: `no answer within ${PUT_TIMEOUT_MS} ms` };
      return answer.status === 200 ? { ok: true } : { ok: false, error: `HTTP ${answer.status}: ${answer.body.slice(0, 200)}` };
    },
    close() {
      agent.destroy();
    },
  };
}

async function benchEtcd(options: RaftBenchOptions, dir: string): Promise<RaftBenchRow[]> {
  const cluster = await startEtcd(dir);
  const stopOnExit = (): void => {
    for (const member of cluster.members) member.child.kill('SIGKILL');
  };
  process.once('exit', stopOnExit);
  const rows: RaftBenchRow[] = [];
  try {
    const leader = await pollUntil('an etcd leader', () => etcdLeader(cluster.members), LEADER_WAIT_MS);
    options.log(`raft bench: etcd leader ${leader.name}`);
    await warmUpSystem('etcd', async (count) => Array.from({ length: count }, () => etcdClient(leader.clientUrl)), options);
    for (const concurrency of options.concurrencies ?? CONCURRENCIES) {
      const clients = Array.from({ length: concurrency }, () => etcdClient(leader.clientUrl));
      try {
        const row = await runLoad('etcd', clients, options);
        rows.push(row);
        options.log(`raft bench: etcd ×${concurrency}: ${row.putsPerSec} puts/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`);
      } finally {
        for (const client of clients) client.close();
      }
    }
  } finally {
    await cluster.stop();
    process.off('exit', stopOnExit);
  }
  return rows;
}

// ---- the whole bench ------------------------------------------------------------------------

async function withTempDir<T>(prefix: string, action: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  try {
    return await action(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runRaftBench(options: RaftBenchOptions): Promise<RaftBenchResults> {
  if (!(options.measureMs > 0 && options.measureMs <= MEASURE_MS_MAX)) throw new Error(`measure window must be in (0, ${MEASURE_MS_MAX}] ms`);
  const loadAverageBefore = os.loadavg().map(round2);
  options.log(`raft bench: distlab, 3 nodes, ${options.systemWarmupMs ?? SYSTEM_WARMUP_MS} ms warm-up, then ${(options.concurrencies ?? CONCURRENCIES).join('/')} clients, ${options.warmupMs} ms warm-up + ${options.measureMs} ms each…`);
  const distlab = await withTempDir('distlab-raft-bench-', (dir) => benchDistlab(options, dir));
  const version = options.skipEtcd ? null : etcdVersion();
  let etcdRows: RaftBenchRow[] = [];
  const reason = options.skipEtcd ? 'skipped (--no-etcd)' : version === null ? 'etcd is not on the PATH (apt-get install etcd-server): etcd not measured' : null;
  if (reason === null) {
    options.log(`raft bench: etcd ${version}, 3 members…`);
    etcdRows = await withTempDir('distlab-etcd-bench-', (dir) => benchEtcd(options, dir));
  } else options.log(`raft bench: ${reason}`);
  const ratios = distlab.rows.flatMap((ours) => {
    const theirs = etcdRows.find((row) => row.concurrency === ours.concurrency);
    if (theirs === undefined || theirs.putsPerSec === 0 || ours.p99Ms === 0) return [];
    return [{ concurrency: ours.concurrency, throughput: round2(ours.putsPerSec / theirs.putsPerSec), p99: round2(theirs.p99Ms / ours.p99Ms) }];
  });
  return {
    results: [...distlab.rows, ...etcdRows],
    ratios,
    etcd: { ran: etcdRows.length > 0, version, reason },
    tracing: options.recordPath !== null
      ? `clients untraced; every node event traced and recorded to ${options.recordPath} through the supervisor`
      : 'clients untraced; every node event traced and shipped to the supervisor, whose bench sink counts and discards it',
    nodeTraceEventsPerPut: distlab.eventsPerPut,
    distlabPersists: distlab.persistStats,
    distlabStages: distlab.stageStats,
    raftParams: { ...BENCH_RAFT_PARAMS },
    warmupMs: options.warmupMs,
    systemWarmupMs: options.systemWarmupMs ?? SYSTEM_WARMUP_MS,
    measureMs: options.measureMs,
    machine: {
      cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}`,
      loadAverageBefore, loadAverageAfter: os.loadavg().map(round2),
    },
  };
}
