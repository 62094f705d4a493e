// Session guarantees (Terry et al. 1994) over key-value register histories; see guarantees.ts
// for what each checker decides from a history alone and what it needs replica logs for.
export {
  checkMonotonicReads, checkMonotonicWrites, checkReadYourWrites, checkSessionGuarantees, checkWritesFollowReads,
  MAX_REPORTED, SESSION_GUARANTEES,
  type SessionCheck, type SessionGuarantee, type SessionOptions, type SessionUndecided, type SessionViolation,
} from './guarantees.ts';
export { DEFAULT_REGISTER_FUNCTIONS, type RegisterFunctions, type ReplicaLog } from './registers.ts';
