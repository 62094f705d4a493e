// Colors and fonts for the canvas views. Canvas cannot use CSS, so the views read the
// app's custom properties (common/theme.css) once per resize, falling back to the same
// light theme, which reads best on a projector, and hand a plain object to the drawing code.

export interface CanvasTheme {
  background: string;
  text: string;
  mutedText: string;
  grid: string;
  /** Crashes, drops, suspicion over the threshold. */
  fault: string;
  ok: string;
  warn: string;
  /** Halos of the selected event's causal past and future. */
  past: string;
  future: string;
  /** Tints of partition groups, in group order. */
  groups: string[];
  fontFamily: string;
}

const LIGHT: CanvasTheme = {
  background: '#ffffff',
  text: '#1c2128',
  mutedText: '#59636e',
  grid: '#e6e8eb',
  fault: '#c62828',
  ok: '#1a7f37',
  warn: '#c77700',
  past: '#2255cc',
  future: '#c2410c',
  groups: ['#2255cc', '#c2410c', '#0f766e', '#9333ea'],
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
};

/** Which custom property of common/theme.css each color follows. */
const VARIABLES: Partial<Record<keyof CanvasTheme, string>> = {
  background: '--panel',
  text: '--ink',
  mutedText: '--muted',
  fault: '--down',
  ok: '--up',
  warn: '--lossy',
  past: '--accent',
  future: '--group-b',
};
const GROUP_VARIABLES = ['--group-a', '--group-b', '--group-c', '--group-d'];

export function readCanvasTheme(element: Element): CanvasTheme {
  const style = getComputedStyle(element);
  const read = (name: string): string => style.getPropertyValue(name).trim();
  const theme: CanvasTheme = { ...LIGHT, groups: [...LIGHT.groups] };
  for (const [key, name] of Object.entries(VARIABLES) as [keyof CanvasTheme, string][]) {
    const value = read(name);
    if (value !== '' && key !== 'groups') theme[key] = value;
  }
  GROUP_VARIABLES.forEach((name, index) => {
    const value = read(name);
    if (value !== '') theme.groups[index] = value;
  });
  if (style.fontFamily !== '') theme.fontFamily = style.fontFamily;
  return theme;
}

/** Sizes a canvas to its box at the device's pixel ratio and returns a context in CSS pixels. */
export function fitCanvas(canvas: HTMLCanvasElement): { context: CanvasRenderingContext2D; width: number; height: number } | null {
  const context = canvas.getContext('2d');
  if (context === null) return null;
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  const pixelWidth = Math.max(1, Math.round(width * ratio));
  const pixelHeight = Math.max(1, Math.round(height * ratio));
  if (canvas.width !== pixelWidth || canvas.height !== pixelHeight) {
    canvas.width = pixelWidth;
    canvas.height = pixelHeight;
  }
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { context, width, height };
}
