// The primary/backup protocol as the lab knows it: name, summary, parameters and factory.

import type { CoreContext, ProtocolCore, ProtocolDefinition } from '../../contract/core.ts';
import { PrimaryBackupCore } from './core.ts';
import { parsePrimaryBackupParams } from './params.ts';

export { PrimaryBackupCore } from './core.ts';
export { DEFAULT_PRIMARY_BACKUP_PARAMS, parsePrimaryBackupParams } from './params.ts';
export type { PrimaryBackupParams, ReplicationMode } from './params.ts';

export const PRIMARY_BACKUP: ProtocolDefinition = Object.freeze({
  name: 'primary-backup',
  summary: 'Primary/backup replication of a key-value map, sync or async, with failover by failure detector (book §4).',
  parseParams: (raw: unknown): Record<string, unknown> => ({ ...parsePrimaryBackupParams(raw) }),
  create: (context: CoreContext): ProtocolCore => new PrimaryBackupCore(context),
});
