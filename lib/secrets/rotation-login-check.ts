// Before `dbfleet rotate` writes a `switch` step: has the login step of the generation succeeded?
// The app's Secret then names the new login; if that login cannot yet act as the owner, every
// new pod creates objects the owner does not own (credential-rotation.ts). The proof is the
// rotation-login Job (rotation-login-job.ts) at the site that accepts writes: it logs in with the
// new password and sets the session default, and carries the generation it ran for.
import type { Environment, Fleet } from '../config/model';
import { KubeApiError, type KubeClient, type Resource } from '../ops/kube/client';
import { slotOf } from './credential-rotation';
import { ROTATION_GENERATION_ANNOTATION, ROTATION_SITE_ANNOTATION, rotationLoginJobName } from './rotation-login-job';

export const JOBS: Resource = { group: 'batch', version: 'v1', plural: 'jobs' };

export interface LoginCheck {
  readonly ok: boolean;
  /** What was asked and what was found, in one or two sentences (printed either way). */
  readonly message: string;
}

/** The environment whose clusters accept writes: the site that renders the rotation-login Job. */
export function writableSite(fleet: Fleet, environment: Environment): Environment | undefined {
  if (!environment.dr) return environment;
  const sites = [environment, fleet.environments.find((e) => e.name === environment.dr!.peer)!];
  // During step 1 of a switchover both sites are replicas (lib/config/dr-sites.ts): none.
  return sites.find((e) => e.dr!.primary === e.name);
}

/**
 * Asks the Kubernetes API of the writable site for Job `<service>-rotation-login` and requires it
 * to have run for `generation` (annotation dbfleet.io/rotation-generation) at that site
 * (dbfleet.io/rotation-site) and succeeded
 * (status.succeeded ≥ 1). Only odd generations have such a Job: an even one logs in as the owner
 * role itself, which needs no session default (credential-rotation.ts), so nothing proves it here.
 */
export async function checkRotationLogin(
  client: KubeClient,
  server: string,
  fleet: Fleet,
  environment: Environment,
  service: string,
  generation: number,
): Promise<LoginCheck> {
  if (slotOf(generation) === 'a')
    return {
      ok: false,
      message: `generation ${generation} logs in as the owner role itself: no rotation-login Job runs for it, so nothing in the cluster proves its new password logs in; check that the operator has set it (CloudNativePG: the owner's DatabaseRole is applied; Zalando: the operator has synced the cluster since the add step) and pass --confirm-login-succeeded`,
    };
  const site = writableSite(fleet, environment);
  if (!site)
    return {
      ok: false,
      message: `a switchover of ${environment.name}'s DR pair is under way: no site accepts writes, so no rotation-login Job runs; finish the switchover first`,
    };
  const name = rotationLoginJobName(service);
  const where = `Job ${site.namespace}/${name} at ${server} (it must be the API server of ${site.name}${site.destination.server ? `, ${site.destination.server}` : ''}, where the clusters accept writes)`;
  let job;
  try {
    job = await client.find(JOBS, site.namespace, name);
  } catch (error) {
    const reason = error instanceof KubeApiError ? error.message : (error as Error).message;
    return { ok: false, message: `asked for ${where}: ${reason}` };
  }
  if (!job) return { ok: false, message: `asked for ${where}: it does not exist (has Argo CD synced the add step?)` };
  const ran = job.metadata.annotations?.[ROTATION_GENERATION_ANNOTATION];
  if (ran !== String(generation))
    return {
      ok: false,
      message: `asked for ${where}: it ran for generation ${ran ?? '(none)'}, not ${generation} (sync the add step first)`,
    };
  // A DR pair may use one namespace at both sites: the Job a demoted primary kept (same name, same
  // generation if the add step was synced before the switchover) must not pass for the writable site's.
  const ranAt = job.metadata.annotations?.[ROTATION_SITE_ANNOTATION];
  if (ranAt !== site.name)
    return {
      ok: false,
      message: `asked for ${where}: it was rendered for ${ranAt ?? '(no site annotation)'}, not ${site.name}; --kube-api names another site's API server, or Argo CD has not synced the add step at ${site.name}`,
    };
  const succeeded = Number(job.status?.succeeded ?? 0);
  const failed = Number(job.status?.failed ?? 0);
  if (succeeded < 1)
    return {
      ok: false,
      message: `asked for ${where}: generation ${generation}, not succeeded yet (status.succeeded ${succeeded}, failed ${failed}); see kubectl logs -n ${site.namespace} job/${name}`,
    };
  return { ok: true, message: `asked for ${where}: generation ${generation} succeeded (status.succeeded ${succeeded})` };
}
