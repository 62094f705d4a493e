// What the real-process scenario tests share: a report's checks in one readable block (the
// message of a failed assertion), and a recorded trace read back — events of some kinds, and
// the protocol notes of one name.

import { startRecorder } from '../../src-main/recorder/recorder-client.ts';
import type { ScenarioReport } from '../../src-main/lab/run-scenario.ts';
import type { StoredEvent, TraceKind } from '../../src-node/contract/trace.ts';

/** Each check: its verdict against what the scenario expects, and its summary. */
export function describeReport(report: ScenarioReport): string {
  return report.checks.map((check) => `${check.kind}: ${check.verdict} (expected ${check.expect}) ${check.summary}`).join('\n');
}

/** Every event of the given kinds in a recorded trace, in the order the recorder received them. */
export async function traceEvents(tracePath: string, kinds: TraceKind[]): Promise<StoredEvent[]> {
  const recorder = await startRecorder({ tracePath, mode: 'read' });
  try {
    const events: StoredEvent[] = [];
    for (let afterId = 0; ;) {
      const page = await recorder.query({ afterId, kinds, limit: 10_000 });
      events.push(...page);
      if (page.length < 10_000) return events;
      afterId = page.at(-1)!.id;
    }
  } finally {
    await recorder.close();
  }
}

export type Note = { node: string; labTimeMs: number; detail: Record<string, unknown> };

/** The `state` notes called `name`, with their node and lab time. */
export function notesNamed(events: readonly StoredEvent[], name: string): Note[] {
  return events.filter((event) => event.kind === 'state' && (event.detail as { name?: unknown } | undefined)?.name === name)
    .map((event) => ({ node: event.node, labTimeMs: event.labTimeMs, detail: event.detail as Record<string, unknown> }));
}
