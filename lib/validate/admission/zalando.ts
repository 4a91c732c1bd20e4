// Zalando's postgres-operator has no admission webhook: it checks a `postgresql` manifest itself
// and refuses to create the cluster (status Invalid / a sync error). The checks of
// postgres-operator@v2.0.1 that can touch what dbfleet renders: pkg/cluster/k8sres.go
// validateContainers (sidecars and init containers need a name and an image).
import { child, refuser, specOf, type AdmissionViolation, type Loose } from './rule';

export function postgresqlViolations(pg: Loose): AdmissionViolation[] {
  const out: AdmissionViolation[] = [];
  const refuse = refuser(
    'zalando.postgresql.validateContainers',
    { repo: 'postgres-operator@v2.0.1', file: 'pkg/cluster/k8sres.go', func: 'validateContainers' },
    out,
    "Zalando's postgres-operator",
  );
  const s = specOf(pg);
  for (const key of ['sidecars', 'initContainers']) {
    const list = (Array.isArray(s[key]) ? s[key] : []) as Loose[];
    list.forEach((c, i) => {
      if (!c?.name) refuse(`${child(`spec.${key}`, i)}.name`, `container[${i}]: name is required`);
      else if (!c.image) refuse(`${child(`spec.${key}`, i)}.image`, `container '${c.name}': image is required`);
    });
  }
  return out;
}
