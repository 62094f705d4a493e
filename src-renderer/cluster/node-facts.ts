// Which per-node actions make sense in which process state, and how a state reads.
import type { ProcessState } from '../../src-node/contract/lab-api.ts';

export type NodeAction = 'crash' | 'restart' | 'pause' | 'resume' | 'stop' | 'wipe';

const RUNNING: readonly ProcessState[] = ['starting', 'up', 'recovering', 'paused'];

export const NODE_ACTIONS: readonly { kind: NodeAction; label: string; title: string; allowed: readonly ProcessState[] }[] = [
  { kind: 'crash', label: 'Crash', title: 'Kill the process (SIGKILL); it keeps its disk', allowed: RUNNING },
  { kind: 'restart', label: 'Restart', title: 'Start the process again on the same disk', allowed: ['down', 'stopped'] },
  { kind: 'pause', label: 'Pause', title: 'Freeze the process (SIGSTOP): alive but silent', allowed: ['up', 'recovering', 'starting'] },
  { kind: 'resume', label: 'Resume', title: 'Let the paused process run again (SIGCONT)', allowed: ['paused'] },
  { kind: 'stop', label: 'Stop', title: 'Crash-stop: kill it and never restart it', allowed: RUNNING },
  { kind: 'wipe', label: 'Wipe disk', title: 'Lose this node\u2019s stable storage (disk lost)', allowed: ['up', 'down', 'paused', 'recovering', 'stopped'] },
];

export const STATE_WORDS: Readonly<Record<ProcessState, string>> = {
  starting: 'starting',
  up: 'up',
  down: 'down',
  paused: 'paused',
  recovering: 'recovering',
  stopped: 'stopped',
};
