/** Identity of a process in the lab: a cluster node (`n1`…), a client (`c1`…) or the lab itself (`lab`). */
export type ProcessId = string;
export type NodeId = ProcessId;

/** A vector clock: one counter per process that this process has heard of (missing = 0). */
export type VectorClock = Record<ProcessId, number>;

/** How two vector clocks relate (Lamport 1978; Fidge/Mattern 1988). */
export type ClockOrder = 'before' | 'after' | 'concurrent' | 'equal';
