// Zero-downtime rotation of a service's owner credential.
//
// PostgreSQL gives a role one password, so a rotation needs a second LOGIN role. Each service has
// two login slots that take turns: slot A is the owner role itself (`<role>`, as without
// rotation), slot B is `<role>_alt`, a member of the owner whose session default is
// `role = <role>` (set by itself: PostgreSQL lets a role set its own session defaults, ALTER ROLE
// docs), so whatever either slot creates is owned by `<role>`: objects keep one owner.
// Generation g uses slot A when g is even and slot B when g is odd, with a password of its own
// in the store (generation 0: `<keyPrefix>/<env>/services/<service>`, as without rotation; g ≥ 1:
// `…/<service>/rotation-<g>`), so a rotation never changes a value in place: no window where the
// database and the app disagree.
//
// A rotation to generation g is three reviewed changes, each a fleet change Argo CD applies:
//   add    — slot(g) can log in with the new password; slot(g-1) still can; the app is unchanged.
//   switch — the app's Secret names slot(g) and its password (one Secret, so user and password
//            change together); both slots still log in, so pods that have not restarted keep working.
//   done   — slot(g-1) can no longer log in (NOLOGIN; it keeps its memberships and owns nothing).
import type { Service } from '../config/model';
import { serviceKeyBase } from './key-layout';

export const ROTATION_STEPS = ['add', 'switch', 'done'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** Where a service's credential stands in one environment. */
export interface RotationState {
  /** The generation being rotated to (or rotated to last, at `done`). 0: never rotated. */
  readonly generation: number;
  readonly step: RotationStep;
}

export const NOT_ROTATED: RotationState = { generation: 0, step: 'done' };

/** Suffix of slot B's role name. */
export const ALT_ROLE_SUFFIX = '_alt';

export type Slot = 'a' | 'b';

export interface LoginSlot {
  readonly slot: Slot;
  /** PostgreSQL role name. */
  readonly role: string;
  /** basic-auth Secret (in the cluster's namespace) with the slot's password. */
  readonly secretName: string;
  /** The generation whose password the slot holds now (undefined: slot B before its first use). */
  readonly generation?: number;
  readonly remoteKey?: string;
  /** Whether the role may log in. */
  readonly login: boolean;
}

export interface CredentialLayout {
  readonly slots: readonly LoginSlot[];
  /** The slot the app's Secret names. */
  readonly app: LoginSlot;
}

export function slotOf(generation: number): Slot {
  return generation % 2 === 0 ? 'a' : 'b';
}

export function altRoleName(role: string): string {
  return `${role}${ALT_ROLE_SUFFIX}`;
}

/** Remote key of a service's database password before any rotation: `<keyPrefix>/<environment>/services/<service>` (key-layout.ts). */
export function serviceRemoteKey(keyPrefix: string, environment: string, service: string): string {
  return serviceKeyBase(keyPrefix, environment, service);
}

/** Remote key of a generation's password. */
export function generationRemoteKey(keyPrefix: string, environment: string, service: string, generation: number): string {
  const base = serviceRemoteKey(keyPrefix, environment, service);
  return generation === 0 ? base : `${base}/rotation-${generation}`;
}

/** The role Secret of a slot: `<service>-db-credentials` (slot A, as without rotation) or `…-alt`. */
export function slotSecretName(service: string, slot: Slot): string {
  return slot === 'a' ? `${service}-db-credentials` : `${service}-db-credentials-alt`;
}

/** What the state means for the roles, their Secrets and the app's Secret. */
export function credentialLayout(
  service: Service,
  keyPrefix: string,
  environment: string,
  state: RotationState = NOT_ROTATED,
): CredentialLayout {
  const { generation: g, step } = state;
  // The newest generation each slot has held: g for slot(g), g-1 for the other one.
  const current = { generation: g, slot: slotOf(g) };
  const previous = g >= 1 ? { generation: g - 1, slot: slotOf(g - 1) } : undefined;
  const make = (slot: Slot, generation: number | undefined, login: boolean): LoginSlot => ({
    slot,
    role: slot === 'a' ? service.role : altRoleName(service.role),
    secretName: slotSecretName(service.name, slot),
    generation,
    remoteKey: generation === undefined ? undefined : generationRemoteKey(keyPrefix, environment, service.name, generation),
    login,
  });
  const currentSlot = make(current.slot, current.generation, true);
  if (!previous) return { slots: [currentSlot], app: currentSlot };
  const previousSlot = make(previous.slot, previous.generation, step !== 'done');
  const slots = [currentSlot, previousSlot].sort((x, y) => x.slot.localeCompare(y.slot));
  return { slots, app: step === 'add' ? previousSlot : currentSlot };
}

/** The next state: done(g) → add(g+1) → switch(g+1) → done(g+1). */
export function nextRotationState(state: RotationState): RotationState {
  switch (state.step) {
    case 'done':
      return { generation: state.generation + 1, step: 'add' };
    case 'add':
      return { generation: state.generation, step: 'switch' };
    case 'switch':
      return { generation: state.generation, step: 'done' };
  }
}

/** What a step does, for `dbfleet rotate` and plan. */
export function describeRotationStep(service: Service, state: RotationState): string {
  const next = slotOf(state.generation) === 'a' ? service.role : altRoleName(service.role);
  const old = slotOf(state.generation) === 'a' ? altRoleName(service.role) : service.role;
  switch (state.step) {
    case 'add':
      return `rotation ${state.generation} of ${service.name}, step 1/3 (add): role ${next} gets a new password and may log in; ${old} still logs in and the app still uses it`;
    case 'switch':
      return `rotation ${state.generation} of ${service.name}, step 2/3 (switch): the app's Secret ${service.name}-db now names ${next} and its new password; ${old} still logs in until step 3`;
    case 'done':
      return state.generation === 0
        ? `${service.name}: not rotated`
        : `rotation ${state.generation} of ${service.name}, step 3/3 (done): ${old} can no longer log in (NOLOGIN); check first that no session uses it`;
  }
}
