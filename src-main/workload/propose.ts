// The `propose` workload: clients of single-decree Paxos (src-node/protocols/paxos/single-decree.ts).
// Each client asks the node it lives beside (its home node) to propose a value of its own
// (`<client>-<n>`, unique in the run) and waits for the answer: the value the cluster chose,
// which may be another client's. Several clients on several nodes make several proposers —
// the duel of Paxos Made Simple §2.4. After its first proposal a client proposes again with
// probability `writeShare` (a new value: if nothing is chosen yet its node is still at work on
// the first one, so the client just waits again) and otherwise reads what its node learned.
// `keys` and `uniqueKeys` do not apply: one decree, one value.
//
// A kv workload's `put` is not mapped to `propose`: a put promises that later gets read the
// value written, a proposal promises only that every answer names the same chosen value. The
// two are judged by different checkers (linearizability vs src-main/checkers/consensus.ts),
// and a workshop user who reads "put" would expect the former.
//
// Pure: randomness from the host's seeded stream, one draw per operation after the first.

import type { ProcessId } from '../../src-node/contract/clock.ts';
import type { ClientOp } from '../../src-node/contract/envelope.ts';
import type { Random } from '../../src-node/protocols/random/prng.ts';
import type { OpGenerator, WorkloadSpec } from './generators.ts';

export class ProposeGenerator implements OpGenerator {
  private proposed = 0;

  constructor(private readonly spec: Pick<WorkloadSpec, 'writeShare'>, private readonly client: ProcessId, private readonly random: Random) {}

  next(): ClientOp {
    // The first operation always proposes, so every client's node takes part as a proposer.
    if (this.proposed > 0 && this.random.next() >= this.spec.writeShare) return { f: 'read' };
    this.proposed += 1;
    return { f: 'propose', value: `${this.client}-${this.proposed}` };
  }

  completed(): void {
    // The answer (the chosen value) changes nothing this client does next.
  }
}
