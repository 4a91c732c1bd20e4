// dbfleet's two-login rotation (lib/secrets/credential-rotation.ts) on Zalando's operator.
//
// Why not the operator's own rotation (enable_password_rotation / usersWithSecretRotation): it
// spares database owners — the role every dbfleet app logs in as — "since ownership on database
// objects can not be inherited" (zalando/postgres-operator@v2.0.1 docs/administrator.md "Password
// rotation in K8s secrets"; pkg/cluster/sync.go checkForPasswordRotation `rotationAllowed :=
// !pwdUser.IsDbOwner && …`), and where it rotates it writes a password it generates itself into the
// Secret on a timer (rotatePasswordInSecret: `if currentTime.After(nextRotationDate)` …
// `secret.Data["password"] = []byte(util.RandomPassword(…))`): not from the store, not reviewed,
// not in Argo CD's order, and not in the app's `<service>-db` Secret. docs/zalando.md "Rotation".
//
// How the scheme maps onto the operator (every line read at v2.0.1):
// - Slot A is the owner role, slot B `<role>_alt`, as on CloudNativePG. Neither is created by a
//   dbfleet Job: a Job may not log in as the superuser, and only a superuser could make `_alt` a
//   member of the owner on PostgreSQL ≥ 16. The operator does it: when the owner's credentials
//   Secret names another user, it creates that user (password from the Secret) as a member of the
//   owner and leaves the owner's own password alone (pkg/cluster/sync.go updateSecret: "update
//   membership if we deal with a rotation user", `pwdUser.MemberOf = []string{secretUsername}`;
//   syncRoles: "remove group role from dbUsers to not count as deleted role"). So the owner's
//   Secret always holds the slot of the generation being rotated to (its username and password,
//   from that generation's store key): slot B at odd generations, the owner itself at even ones.
// - The operator keeps such a Secret only for users whose rotation is on in the manifest;
//   otherwise it writes the owner's name and a random password back ("username might not match if
//   password rotation has been disabled again"). So every owner is listed in
//   `usersWithSecretRotation` (always, not only while rotating: the Secret changes in wave -1 and
//   the `postgresql` in wave 0, and a periodic operator sync between them must not see a rotated
//   Secret without the flag), and its Secret carries a `nextRotation` far in the future: the
//   operator clamps it to now + password_rotation_interval at every sync and rotates only once
//   now is after it (rotatePasswordInSecret), i.e. never.
// - Retiring a slot (`done`): the operator never takes LOGIN away from an existing role
//   (pkg/util/users/users.go ProduceSyncRequests adds missing flags only; pkg/cluster/util.go
//   normalizeUserFlags drops NOLOGIN "to be consistent with what we get from
//   readPgUsersFromDatabase"), and the retired slot is outside its view anyway (at odd generations
//   sync.go syncRoles "remove group role from dbUsers"; at even ones `_alt` is not among the roles
//   it reads). The holder of the retired login and the app are hostile (issue 30): a login that
//   clears its own password cannot tell a refusal from a password its holder changed first, and
//   the app's `_alt`, acting as the owner, may set the owner's password again. So on PostgreSQL
//   <= 15 the keeper login `dbfleet_rotation` (CREATEROLE, zalando-cluster.ts) makes it NOLOGIN
//   PASSWORD NULL at the hook and on the access schedule (rotation-retire-job.ts): no role can give
//   itself LOGIN back, and the operator does so only at that login's next `add` step (users.go
//   ProduceSyncRequests `SubstractStringSlices(newUser.Flags, dbUser.Flags)`), which is wanted.
//   From 16 CREATEROLE needs ADMIN OPTION on the operator's roles (postgres/postgres cf5eb37c5),
//   which only a superuser can grant (once per service: the owner and `_alt`). The keeper checks
//   for it first; without it the hook logs the grants to run and lets the sync go on, the
//   CronJob fails (ZalandoRotationNotRetired), and the retired login clearing its own password is only
//   a secondary measure both attacks defeat (docs/zalando.md "Rotation").
// - `_alt` acts as the owner through its own session default `role`, set by itself
//   (rotation-login-job.ts), as on CloudNativePG. While it is the owner's rotation user the operator
//   copies the owner's role settings onto it and resets the rest when the owner has any (sync.go
//   syncRoles "copy rolconfig to rotation users"; users.go produceAlterRoleSetStmts `RESET ALL`),
//   so the same Job also gives the owner the default `role = <owner>` (a no-op for the owner): what
//   the operator copies then always keeps `_alt` acting as the owner.
import type { Environment, Fleet, PostgresCluster, Service } from '../../config/model';
import { quoteIdent, quoteLiteral } from '../../access/privileges-sql';
import { credentialLayout, slotOf, type LoginSlot } from '../../secrets/credential-rotation';
import { secretsEnvironment } from '../../secrets/store-keys';
import { zalandoCredentialSecretName } from './zalando-cluster';

/**
 * `nextRotation` of every owner's credentials Secret: RFC 3339 as the operator parses it
 * (time.ParseInLocation(time.RFC3339, …)); far enough that the operator's clamp to
 * now + password_rotation_interval always applies, so its own rotation never fires.
 */
export const ZALANDO_NO_ROTATION_BEFORE = '2999-12-31T00:00:00Z';

/** Where a service's logins stand on a Zalando cluster. */
export interface ZalandoServiceLogins {
  /** The owner's credentials Secret the operator reads: the generation being rotated to. */
  readonly operatorSecret: { readonly name: string; readonly slot: LoginSlot };
  /**
   * The other slot while it still logs in (add, switch) or is being retired (done), in a Secret of
   * its own (`<service>-db-credentials[-alt]`, as on CloudNativePG) that the operator never reads.
   */
  readonly previous?: { readonly name: string; readonly slot: LoginSlot; readonly retiring: boolean };
  /** The Secret with the login the app uses now: the owner logins of dbfleet's Jobs (access SQL, drills). */
  readonly appSecretName: string;
  /** Slot B is the generation being rotated to: its rotation-login Job runs (odd generations). */
  readonly altIsCurrent: boolean;
}

export function zalandoServiceLogins(fleet: Fleet, environment: Environment, service: Service, cluster: string): ZalandoServiceLogins {
  const source = secretsEnvironment(environment);
  const state = service.rotation?.[source];
  const layout = credentialLayout(service, fleet.secretStore.keyPrefix, source, state);
  const generation = state?.generation ?? 0;
  const current = layout.slots.find((s) => s.slot === slotOf(generation))!;
  const operatorSecret = { name: zalandoCredentialSecretName(service.role, cluster), slot: current };
  const other = layout.slots.find((s) => s !== current);
  const previous = other ? { name: other.secretName, slot: other, retiring: !other.login } : undefined;
  return {
    operatorSecret,
    previous,
    appSecretName: layout.app === current ? operatorSecret.name : previous!.name,
    altIsCurrent: current.slot === 'b',
  };
}

/**
 * The Zalando rotation-login statement, run as `<role>_alt`: its own session default (as on
 * CloudNativePG, rotation-login-job.ts rotationLoginSql) and then, acting as the owner, the owner's
 * (see above: the operator copies it back onto `_alt`). An ordinary role may set its own defaults,
 * checked against the current user, hence `SET ROLE NONE` and then `SET ROLE <owner>`.
 */
export function zalandoRotationLoginSql(owner: string): string {
  return [
    'SET LOCAL search_path = pg_catalog, pg_temp',
    'SET ROLE NONE',
    `ALTER ROLE SESSION_USER SET role = ${quoteLiteral(owner)}`,
    `SET ROLE ${quoteIdent(owner)}`,
    `ALTER ROLE ${quoteIdent(owner)} SET role = ${quoteLiteral(owner)}`,
  ].join('; ');
}

/**
 * Whether the cluster gets the keeper login (ZALANDO_ROTATION_ROLE) that retires rotated-out logins
 * and keeps them retired: some service of it is under rotation in this environment. On every
 * PostgreSQL major; from 16 (ZALANDO_ROTATION_ROLE_MAX_VERSION) it also needs ADMIN OPTION on the
 * logins it retires, granted once by the superuser (docs/zalando.md "Rotation").
 */
export function zalandoRotationKeeper(environment: Environment, cluster: PostgresCluster): boolean {
  const source = secretsEnvironment(environment);
  return cluster.services.some((s) => s.rotation?.[source] !== undefined);
}
