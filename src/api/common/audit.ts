/** The audit trail of API actions: who (the API key), what, on which target, and how it went. */
import type { AuditEntry, Principal, Store } from '../../store/store';

/** Appends what `principal` did to its account's audit log. */
export function audit(
  store: Store,
  principal: Principal,
  action: string,
  target: string,
  result: AuditEntry['result'],
  detail?: Record<string, unknown>,
): Promise<void> {
  return store.audit(principal.accountId, { actor: principal.keyId, action, target, result, ...(detail ? { detail } : {}) });
}
