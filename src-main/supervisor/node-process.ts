// One cluster node as the supervisor sees it: its OS process, what state the lab believes
// it is in, and the facts the node reported (address, links, protocol status, last event).

import { fork, type ChildProcess } from 'node:child_process';
import type { NodeId } from '../../src-node/contract/clock.ts';
import type { FromNode, NodeConfig, ToNode } from '../../src-node/contract/control.ts';
import type { CoreStatus } from '../../src-node/contract/core.ts';
import type { TraceEvent } from '../../src-node/contract/trace.ts';
import type { ProcessState } from '../../src-node/contract/lab-api.ts';

/** How much of a node's stderr is kept to explain an unexpected exit. */
export const STDERR_TAIL_BYTES = 4096;

export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The lab killed it (crash, stop, wipe, shutdown), as opposed to a node that died on its own. */
  expected: boolean;
  stderr: string;
}

export interface NodeProcessEvents {
  onMessage(node: NodeProcess, message: FromNode): void;
  onExit(node: NodeProcess, exit: NodeExit): void;
}

export class NodeProcess {
  state: ProcessState = 'stopped';
  child: ChildProcess | null = null;
  url: string | null = null;
  port = 0;
  restarts = 0;
  status: CoreStatus | null = null;
  linksUp = new Set<NodeId>();
  /** The highest event sequence number this node reported: a restart continues after it. */
  lastSeq = 0;
  /** Called once when the node answers a `flush` request. */
  onFlushed: (() => void) | null = null;
  /** Set when the lab itself kills the process, so its exit is not reported as a surprise. */
  private expectingExit = false;
  private stderrTail = '';

  constructor(
    readonly id: NodeId,
    readonly dataDir: string,
    private readonly listener: NodeProcessEvents,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get alive(): boolean {
    return this.child !== null;
  }

  spawn(options: { entry: string; execPath: string; config: NodeConfig }): void {
    if (this.child) throw new Error(`${this.id} is already running (pid ${this.child.pid})`);
    this.expectingExit = false;
    this.stderrTail = '';
    this.url = null;
    this.linksUp.clear();
    const child = fork(options.entry, [], {
      execPath: options.execPath,
      // Not the parent's flags: under tsx or a debugger they would load into every node.
      // DISTLAB_NODE_ARGS passes flags on purpose (e.g. `--cpu-prof` to profile the nodes).
      execArgv: (process.env['DISTLAB_NODE_ARGS'] ?? '').split(' ').filter((flag) => flag !== ''),
      env: { ...process.env, DISTLAB_NODE_CONFIG: JSON.stringify(options.config) },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    });
    child.on('message', (message) => this.listener.onMessage(this, message as FromNode));
    // The IPC channel can fail when the child dies mid-send; the exit handler reports it.
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      this.child = null;
      this.url = null;
      this.linksUp.clear();
      this.listener.onExit(this, { code, signal, expected: this.expectingExit, stderr: this.stderrTail });
    });
  }

  send(message: ToNode): void {
    const child = this.child;
    if (!child?.connected) return;
    child.send(message, (error) => {
      // A node that died between the check and the send: its exit is reported anyway.
      if (error) return;
    });
  }

  /** Sends a signal; SIGKILL and SIGTERM mark the coming exit as the lab's doing. */
  signal(signal: NodeJS.Signals): void {
    const child = this.child;
    if (!child) throw new Error(`${this.id} has no running process`);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') this.expectingExit = true;
    child.kill(signal);
  }

  /** Waits until the process has exited (immediately if it has none). */
  exited(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => child.once('exit', () => resolve()));
  }

  noteEvents(events: readonly TraceEvent[]): void {
    for (const event of events) if (event.seq > this.lastSeq) this.lastSeq = event.seq;
  }
}
