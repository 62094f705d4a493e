// The trace recorder: a child process of the lab that owns the run's SQLite trace. The lab
// (recorder-client.ts) loads no native module, so every write and read of the trace comes
// here over the IPC channel. Messages are handled one at a time in arrival order: an
// append is committed before any later call is answered, so a reply to `flush` means that
// everything appended before it is on disk. Bundled to out/node/recorder.cjs.

import { TraceDb } from './trace-db.ts';
import type { FromRecorder, OpenRequest, RecorderCalls, RecorderMethod, ToRecorder } from './recorder-protocol.ts';

let trace: TraceDb | null = null;
let closing = false;
/** Calls that yield to the event loop (backup, exports); close waits for them. */
const running = new Set<Promise<unknown>>();

function send(message: FromRecorder, then?: () => void): void {
  process.send!(message, undefined, undefined, then);
}

function open(request: OpenRequest): void {
  try {
    trace = request.mode === 'create'
      ? TraceDb.create(request.tracePath, request.run)
      : TraceDb.openForReading(request.tracePath);
    send({ t: 'opened', events: trace.count() });
  } catch (error) {
    send({ t: 'open-failed', message: messageOf(error) }, () => process.exit(1));
  }
}

function append(batch: number, events: unknown[]): void {
  try {
    if (trace === null || closing) throw new Error('the trace is not open');
    if (!Array.isArray(events)) throw new Error('an append must carry a list of events');
    send({ t: 'appended', batch, ...trace.append(events) });
  } catch (error) {
    send({ t: 'appended', batch, stored: 0, rejected: 0, problems: [], error: messageOf(error) });
  }
}

/** Runs one call; synchronous methods finish before the next message is looked at. */
function call(id: number, method: RecorderMethod, args: unknown): void {
  let outcome: unknown;
  try {
    if (trace === null) throw new Error('the trace is not open');
    if (closing) throw new Error('the recorder is closing');
    outcome = dispatch(trace, method, args);
  } catch (error) {
    send({ t: 'result', id, ok: false, message: messageOf(error) });
    return;
  }
  if (!(outcome instanceof Promise)) {
    send({ t: 'result', id, ok: true, value: outcome });
    return;
  }
  // After the reply to `close` is written, closing the channel ends the process.
  const after = method === 'close' ? () => process.disconnect() : undefined;
  const done = outcome.then(
    (value: unknown) => send({ t: 'result', id, ok: true, value }, after),
    (error: unknown) => send({ t: 'result', id, ok: false, message: messageOf(error) }),
  );
  running.add(done);
  void done.finally(() => running.delete(done));
}

function dispatch(db: TraceDb, method: RecorderMethod, args: unknown): unknown {
  switch (method) {
    case 'upsertNode': return db.upsertNode(args as RecorderCalls['upsertNode']['args']);
    case 'setRunMeta': return db.setRunMeta(args as RecorderCalls['setRunMeta']['args']);
    case 'run': return db.run();
    case 'nodes': return db.nodes();
    case 'query': return db.query(args as RecorderCalls['query']['args']);
    case 'count': return db.count();
    case 'copyTo': return db.copyTo((args as RecorderCalls['copyTo']['args']).path);
    case 'exportTo': return db.exportTo(args as RecorderCalls['exportTo']['args']);
    case 'flush': return undefined; // every earlier append was committed before this line runs
    case 'close': return close((args as RecorderCalls['close']['args']).droppedEvents);
    default: throw new Error(`the recorder has no method ${String(method)}`);
  }
}

/** Waits for running exports, closes the database (SQLite checkpoints the WAL), then exits. */
async function close(droppedEvents: number): Promise<void> {
  closing = true;
  await Promise.allSettled([...running]);
  trace?.close(droppedEvents);
  trace = null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

if (process.send === undefined) {
  console.error('recorder.cjs is started by the lab (child_process.fork with an IPC channel)');
  process.exit(2);
}

process.on('message', (message: ToRecorder) => {
  switch (message.t) {
    case 'open': return open(message.request);
    case 'append': return append(message.batch, message.events);
    case 'call': return call(message.id, message.method, message.args);
  }
});

// The lab went away (it exited, crashed or closed the channel): keep what was committed,
// close the database cleanly and leave.
process.on('disconnect', () => {
  if (trace === null) process.exit(0);
  closing = true;
  void Promise.allSettled([...running]).then(() => {
    trace?.close(0);
    trace = null;
    process.exit(0);
  });
});
