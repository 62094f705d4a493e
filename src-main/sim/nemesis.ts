// The random nemesis of the safety phase (Jepsen's word): at exponentially distributed
// intervals it picks a fault by the profile's or scenario's weights, applies it, and
// schedules its undoing after a drawn duration. It never takes down more than `maxDown` nodes
// at once (crashed or paused), and it picks whoever leads (LEADING_ROLES) as a victim
// `leaderPct` percent of the time: a crash of the primary is where replication protocols lose
// writes, and a crash of the 2PC coordinator is where 2PC blocks. Pure: the simulator and the real lab's nemesis runner (src-main/lab/nemesis-runner.ts)
// both call planMove, with their own view of the nodes.

import type { NodeId } from '../../src-node/contract/clock.ts';
import type { FaultRequest } from '../../src-node/contract/faults.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import type { NemesisAction, NemesisConfig } from './config.ts';

export interface NodeGlance {
  id: NodeId;
  state: 'up' | 'down' | 'stopped';
  paused: boolean;
  role: string | null;
}

export interface NemesisMove {
  request: FaultRequest;
  /** The fault that undoes it, and when (ms from now). */
  undo: { afterMs: number; request: FaultRequest } | null;
}

/**
 * The roles of the node that leads: the primary (primary/backup), the leader (Raft,
 * Multi-Paxos), the coordinator (2PC). Each core reports the role by its book's name, as its
 * view in the UI shows it; the nemesis (and the lab's clients looking for whom to ask) treat
 * them alike.
 */
export const LEADING_ROLES: ReadonlySet<string> = new Set(['primary', 'leader', 'coordinator']);

export function leads(role: string | null | undefined): boolean {
  return role !== null && role !== undefined && LEADING_ROLES.has(role);
}

const ACTIONS: readonly NemesisAction[] = ['crash', 'pause', 'partition', 'one-way', 'link', 'clock', 'slow-disk'];

const between = (random: Random, [min, max]: [number, number]): number => min + random.next() * (max - min);
const round = (value: number): number => Math.round(value * 1000) / 1000;

export function pickAction(random: Random, weights: NemesisConfig['weights']): NemesisAction | null {
  const total = ACTIONS.reduce((sum, action) => sum + (weights[action] ?? 0), 0);
  if (!(total > 0)) return null;
  let draw = random.next() * total;
  for (const action of ACTIONS) {
    draw -= weights[action] ?? 0;
    if (draw < 0) return action;
  }
  return null;
}

/** The next move, or null when the drawn action is not possible now (e.g. too many nodes down). */
export function planMove(random: Random, config: NemesisConfig, nodes: readonly NodeGlance[]): NemesisMove | null {
  const action = pickAction(random, config.weights);
  const ids = nodes.map((node) => node.id);
  const running = nodes.filter((node) => node.state === 'up' && !node.paused);
  const down = nodes.filter((node) => node.state !== 'up' || node.paused).length;
  switch (action) {
    case null:
      return null;
    case 'crash':
    case 'pause': {
      if (down >= config.maxDown || running.length === 0) return null;
      const primary = running.find((node) => leads(node.role));
      // Only leaders: with none right now (an election is on), this turn passes.
      if (config.leaderPct >= 100 && primary === undefined) return null;
      // The draw is made only when there is a leader to prefer, as it always was: the
      // profiles' seeds (leaderPct 50) replay the runs they gave before leaderPct existed.
      const victim = primary !== undefined && random.chance(config.leaderPct) ? primary : running[random.int(0, running.length - 1)]!;
      if (action === 'crash') {
        return { request: { kind: 'crash', node: victim.id }, undo: { afterMs: between(random, config.downMs), request: { kind: 'restart', node: victim.id } } };
      }
      return { request: { kind: 'pause', node: victim.id }, undo: { afterMs: between(random, config.pauseMs), request: { kind: 'resume', node: victim.id } } };
    }
    case 'partition':
    case 'one-way': {
      if (ids.length < 2) return null;
      const shuffled = shuffle(random, ids);
      const cut = random.int(1, shuffled.length - 1);
      const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
      return { request: { kind: 'partition', spec: { groups, oneWay: action === 'one-way' } }, undo: { afterMs: between(random, config.partitionMs), request: { kind: 'heal' } } };
    }
    case 'link': {
      if (ids.length < 2) return null;
      const source = ids[random.int(0, ids.length - 1)]!;
      const others = ids.filter((id) => id !== source);
      const target = others[random.int(0, others.length - 1)]!;
      const faults = { lossPct: round(random.next() * config.linkLossPctMax), delayMs: round(random.next() * 100), jitterMs: round(random.next() * 50), reorderPct: round(random.next() * 20) };
      return {
        request: { kind: 'link', source, target, faults },
        undo: { afterMs: between(random, config.linkMs), request: { kind: 'link', source, target, faults: { lossPct: 0, delayMs: 0, jitterMs: 0, reorderPct: 0 } } },
      };
    }
    case 'clock': {
      const node = ids[random.int(0, ids.length - 1)]!;
      // A jump of the skew (either way) and a new drift; clocks are not undone.
      const clock = { skewMs: round((random.next() * 2 - 1) * config.clockSkewMaxMs), driftPpm: round((random.next() * 2 - 1) * config.clockDriftPpmMax) };
      return { request: { kind: 'clock', node, clock }, undo: null };
    }
    case 'slow-disk': {
      const node = ids[random.int(0, ids.length - 1)]!;
      return {
        request: { kind: 'slow-disk', node, persistDelayMs: round(random.next() * config.slowDiskMsMax) },
        undo: { afterMs: between(random, config.linkMs), request: { kind: 'slow-disk', node, persistDelayMs: 0 } },
      };
    }
  }
}

function shuffle<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = random.int(0, index);
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}
