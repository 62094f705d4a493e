/** Cluster nodes (`n1`…) first, then clients (`c1`…), then anything else (`lab`); numbers as numbers. */
export function compareProcesses(a: string, b: string): number {
  const rank = (process: string): number => (/^n\d+$/.test(process) ? 0 : /^c\d+$/.test(process) ? 1 : 2);
  return rank(a) - rank(b) || a.localeCompare(b, undefined, { numeric: true });
}
