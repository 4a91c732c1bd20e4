// Pod Security Standards "restricted", as cdk8s-plus props: non-root, read-only root filesystem,
// no privilege escalation, every capability dropped, RuntimeDefault seccomp, and no
// service-account token (none of dbfleet's jobs talks to the Kubernetes API).
import * as kplus from 'cdk8s-plus-28';

/** The unprivileged user and group every dbfleet container runs as. */
export const NON_ROOT_UID = 65532;

export const RESTRICTED_POD_SECURITY: kplus.PodSecurityContextProps = {
  ensureNonRoot: true,
  user: NON_ROOT_UID,
  group: NON_ROOT_UID,
  fsGroup: NON_ROOT_UID,
};

export const RESTRICTED_CONTAINER_SECURITY: kplus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  user: NON_ROOT_UID,
  group: NON_ROOT_UID,
  readOnlyRootFilesystem: true,
  privileged: false,
  allowPrivilegeEscalation: false,
  capabilities: { drop: [kplus.Capability.ALL] },
  seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
};

/** Pod-level props shared by every dbfleet Job and CronJob. */
export const RESTRICTED_POD_PROPS = {
  securityContext: RESTRICTED_POD_SECURITY,
  // The pods never call the API server; they run under the namespace's default ServiceAccount
  // without its token.
  automountServiceAccountToken: false,
  // Nothing selects these pods; see without-address-label.ts for the label cdk8s-plus adds anyway.
  select: false,
} as const;

/** The same container restrictions in Kubernetes' own shape, for workloads built on the k8s L1 classes. */
export function restrictedContainerSecurity(uid: number = NON_ROOT_UID): kplus.k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsGroup: uid,
    runAsNonRoot: true,
    runAsUser: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The same pod restrictions in Kubernetes' own shape (fsGroup owned by the same user). */
export function restrictedPodSecurity(uid: number = NON_ROOT_UID): kplus.k8s.PodSecurityContext {
  return { fsGroup: uid, fsGroupChangePolicy: 'Always', runAsGroup: uid, runAsNonRoot: true, runAsUser: uid };
}
