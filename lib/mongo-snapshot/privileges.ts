/**
 * The privilege check before anything is locked: a user that can lock but not unlock would leave a member locked
 * until the deadline (exit 7). `connectionStatus {showPrivileges: true}` lists the authenticated user's privileges;
 * it needs no privilege itself.
 */
import type { Document } from 'mongodb';

/** The cluster actions mongo-snapshot uses (currentOp runs with $ownOps: true, which needs none). */
export const REQUIRED_ACTIONS: ReadonlyArray<{ action: string; for: string }> = [
  { action: 'replSetGetStatus', for: 'replSetGetStatus (members, states, lag)' },
  { action: 'replSetGetConfig', for: 'replSetGetConfig (hidden, priority, votes, buildIndexes, delay)' },
  { action: 'fsync', for: 'fsync {lock: true}' },
  { action: 'unlock', for: 'fsyncUnlock' },
];

export type PrivilegeCheck =
  { kind: 'no-auth' } | { kind: 'ok'; user: string } | { kind: 'missing'; user: string; roles: string[]; missing: string[] };

/** Reads a connectionStatus reply (pure). Privileges on `{cluster: true}` or `{anyResource: true}` count. */
export function checkPrivileges(status: Document): PrivilegeCheck {
  const info = status.authInfo ?? {};
  const users: Document[] = info.authenticatedUsers ?? [];
  if (users.length === 0) return { kind: 'no-auth' };
  const user = users.map((u) => `${u.user}@${u.db}`).join(', ');
  const have = new Set<string>();
  for (const p of (info.authenticatedUserPrivileges ?? []) as Document[]) {
    if (p.resource?.cluster === true || p.resource?.anyResource === true) for (const a of p.actions ?? []) have.add(String(a));
  }
  const missing = REQUIRED_ACTIONS.map((r) => r.action).filter((a) => !have.has(a));
  if (missing.length === 0) return { kind: 'ok', user };
  const roles = ((info.authenticatedUserRoles ?? []) as Document[]).map((r) => `${r.role}@${r.db}`);
  return { kind: 'missing', user, roles, missing };
}

export function missingPrivilegesMessage(c: Extract<PrivilegeCheck, { kind: 'missing' }>): string {
  const what = REQUIRED_ACTIONS.filter((r) => c.missing.includes(r.action))
    .map((r) => `${r.action} (for ${r.for})`)
    .join(', ');
  return (
    `user ${c.user} (roles: ${c.roles.join(', ') || 'none'}) lacks the cluster actions ${what}: nothing was locked. ` +
    'Grant the built-in roles hostManager and clusterMonitor on admin, or a custom role with exactly the actions ' +
    `${REQUIRED_ACTIONS.map((r) => r.action).join(', ')} on { cluster: true } (docs/mongo-snapshot.md)`
  );
}
