// A small seeded generator (sfc32 seeded through splitmix32) for the runtime's fault
// filter and for the simulator. Same seed, same sequence, on every platform.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability `percent` / 100. */
  chance(percent: number): boolean;
  /** A new generator whose sequence is independent of this one's future draws. */
  fork(): Random;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createRandom(seed: number): Random {
  const seeder = splitmix32(seed);
  let a = seeder();
  let b = seeder();
  let c = seeder();
  let d = seeder();
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Discard the first outputs, as sfc32's author recommends.
  for (let i = 0; i < 12; i += 1) nextUint32();
  const random: Random = {
    next: () => nextUint32() / 0x100000000,
    int: (min, max) => min + Math.floor(random.next() * (max - min + 1)),
    chance: (percent) => percent > 0 && random.next() * 100 < percent,
    fork: () => createRandom(nextUint32()),
  };
  return random;
}
