// The loop every canvas view shares: draw at most once per animation frame, redraw when
// the element changes size, poll for events appended to the (non-reactive) event list, and
// stop all of it when the component goes away.
import { onBeforeUnmount, onMounted, type Ref } from 'vue';

export interface CanvasLoopOptions {
  /** The element whose size decides the drawing. */
  target: Ref<HTMLElement | null>;
  draw: () => void;
  /** Runs on every poll (e.g. read events appended since the last one). */
  tick: () => void;
  tickMs: number;
  /** Runs once when mounted, before the first draw. */
  start?: () => void;
  /** Runs when the element changes size, before the redraw (e.g. forget cached theme metrics). */
  resized?: () => void;
}

export function useCanvasLoop(options: CanvasLoopOptions): { requestDraw: () => void } {
  let frame = 0;
  let observer: ResizeObserver | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;

  function requestDraw(): void {
    if (frame !== 0) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      options.draw();
    });
  }

  onMounted(() => {
    options.start?.();
    observer = new ResizeObserver(() => {
      options.resized?.();
      requestDraw();
    });
    if (options.target.value !== null) observer.observe(options.target.value);
    poll = setInterval(options.tick, options.tickMs);
    requestDraw();
  });

  onBeforeUnmount(() => {
    if (frame !== 0) cancelAnimationFrame(frame);
    frame = 0;
    observer?.disconnect();
    observer = null;
    if (poll !== null) clearInterval(poll);
    poll = null;
  });

  return { requestDraw };
}
