// The lab's clock: milliseconds since the run began, on the machine's monotonic clock.
// Every process of a run (supervisor, nodes, clients) derives it from the same epoch, so
// lab times recorded by different processes on one machine can be compared.

export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function labTimeMs(runStartEpochMs: number): number {
  return epochNowMs() - runStartEpochMs;
}
