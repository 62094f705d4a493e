// Assertions of the Raft core (STYLE.md: assertions stay on). A failed one is a bug of the
// core or of its host, never an expected fault: it crashes that node, and the lab shows it.

export function assert(condition: boolean, why: string): asserts condition {
  if (!condition) throw new Error(`raft: assertion failed: ${why}`);
}
