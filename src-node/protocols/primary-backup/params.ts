// Parameters of the primary/backup protocol, validated once when a scenario is loaded.

export type ReplicationMode = 'sync' | 'async';

export interface PrimaryBackupParams {
  /**
   * `sync`: the primary replies only after every backup it does not suspect has acknowledged.
   * `async`: the primary replies as soon as the write is persisted locally, then ships it.
   */
  mode: ReplicationMode;
  /**
   * How long a sync primary waits for acknowledgements before it answers `info` (outcome
   * unknown); also how long a new primary waits for backups' state before it serves, and how
   * often a backup repeats an unanswered state request.
   */
  ackTimeoutMs: number;
  /**
   * Async mode only: how long the primary holds acknowledged writes before shipping them, in
   * one batch. This is the replication lag of the book's MySQL example; it is the window in
   * which a crash of the primary loses acknowledged writes. 0 ships in the same step.
   */
  shipDelayMs: number;
  /**
   * How often a serving primary re-announces its view and last index to every backup (an empty
   * `replicate`, a replication heartbeat). Without it, after a partition heals, a stale primary
   * that receives no writes would never learn of the newer epoch, and a backup that missed the
   * last writes would never catch up. 0 turns it off.
   */
  announceIntervalMs: number;
}

export const DEFAULT_PRIMARY_BACKUP_PARAMS: Readonly<PrimaryBackupParams> = Object.freeze({
  mode: 'sync',
  ackTimeoutMs: 2000,
  shipDelayMs: 100,
  announceIntervalMs: 1000,
});

export const PRIMARY_BACKUP_PARAM_LIMITS = Object.freeze({
  ackTimeoutMsMin: 1,
  ackTimeoutMsMax: 600_000,
  shipDelayMsMax: 60_000,
  announceIntervalMsMax: 600_000,
});

const MODES: readonly ReplicationMode[] = ['sync', 'async'];
const PARAM_NAMES = Object.keys(DEFAULT_PRIMARY_BACKUP_PARAMS);

/** Validates the scenario's parameters and fills in defaults; throws an Error that says what is wrong. */
export function parsePrimaryBackupParams(raw: unknown): PrimaryBackupParams {
  if (raw === undefined || raw === null) return { ...DEFAULT_PRIMARY_BACKUP_PARAMS };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`primary-backup: params must be an object, got ${Array.isArray(raw) ? 'an array' : String(raw)}`);
  }
  const input = raw as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!PARAM_NAMES.includes(name)) {
      throw new Error(`primary-backup: unknown param "${name}"; known: ${PARAM_NAMES.join(', ')}`);
    }
  }
  const params = { ...DEFAULT_PRIMARY_BACKUP_PARAMS };
  if (input['mode'] !== undefined) {
    const mode = input['mode'];
    if (!MODES.includes(mode as ReplicationMode)) {
      throw new Error(`primary-backup: mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`);
    }
    params.mode = mode as ReplicationMode;
  }
  const limits = PRIMARY_BACKUP_PARAM_LIMITS;
  if (input['ackTimeoutMs'] !== undefined) {
    params.ackTimeoutMs = integerIn('ackTimeoutMs', input['ackTimeoutMs'], limits.ackTimeoutMsMin, limits.ackTimeoutMsMax);
  }
  if (input['shipDelayMs'] !== undefined) {
    params.shipDelayMs = integerIn('shipDelayMs', input['shipDelayMs'], 0, limits.shipDelayMsMax);
  }
  if (input['announceIntervalMs'] !== undefined) {
    params.announceIntervalMs = integerIn('announceIntervalMs', input['announceIntervalMs'], 0, limits.announceIntervalMsMax);
  }
  return params;
}

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`primary-backup: ${name} must be an integer number of ms in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}
