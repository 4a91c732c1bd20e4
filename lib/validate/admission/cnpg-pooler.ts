// CloudNativePG's Pooler admission rules (create and update run the same checks):
// cloudnative-pg@v1.30.0 internal/webhook/v1/pooler_webhook.go `validate`.
import { ALLOWED_PGBOUNCER_PARAMETERS } from '../../config/pgbouncer-parameters';
import { CNPG, CNPG_POOLER_WEBHOOK, child, refuser, specOf, type AdmissionViolation, type Loose } from './rule';

type Refuse = (path: string, message: string) => void;

const POOLER_RULES: ReadonlyArray<{ readonly func: string; check(pooler: Loose, refuse: Refuse): void }> = [
  {
    // Also validatePgbouncerGenericParameters, which it calls: only the allowed parameters.
    func: 'validatePgBouncer',
    check: (p, refuse) => {
      const pgbouncer = specOf(p).pgbouncer as Loose | undefined;
      if (!pgbouncer) {
        refuse('spec.pgbouncer', 'required pgbouncer configuration');
        return;
      }
      const hasAuthentication = !!pgbouncer.authQuerySecret?.name || !!pgbouncer.serverTLSSecret?.name;
      const authQuery = (pgbouncer.authQuery as string | undefined) ?? '';
      if (hasAuthentication && authQuery === '')
        refuse('spec.pgbouncer.authQuery', 'must specify an auth query when providing an auth query secret');
      else if (!hasAuthentication && authQuery !== '')
        refuse('spec.pgbouncer.authQuerySecret.name', 'must specify an existing auth query secret when providing an auth query secret');
      for (const key of Object.keys((pgbouncer.parameters ?? {}) as Loose)) {
        if (!ALLOWED_PGBOUNCER_PARAMETERS.has(key))
          refuse(child('spec.pgbouncer.parameters', key), `${key}: Invalid or reserved parameter`);
      }
    },
  },
  {
    func: 'validateCluster',
    check: (p, refuse) => {
      const cluster = (specOf(p).cluster?.name as string | undefined) ?? '';
      if (cluster === '') refuse('spec.cluster.name', 'must specify a cluster name');
      if (cluster === p.metadata?.name) refuse('metadata.name', `${cluster}: the pooler resource cannot have the same name of a cluster`);
    },
  },
  {
    func: 'validateMonitoring',
    check: (p, refuse) => {
      const s = specOf(p);
      if (s.monitoring?.tls?.enabled !== true || s.monitoring?.enablePodMonitor !== true) return;
      if (s.pgbouncer?.clientTLSSecret?.name) return;
      refuse(
        'spec.pgbouncer.clientTLSSecret',
        'clientTLSSecret is required when spec.monitoring.tls.enabled is true and the operator-generated PodMonitor is enabled',
      );
    },
  },
];

export function poolerViolations(pooler: Loose): AdmissionViolation[] {
  const out: AdmissionViolation[] = [];
  for (const rule of POOLER_RULES)
    rule.check(pooler, refuser(`cnpg.pooler.${rule.func}`, { repo: CNPG, file: CNPG_POOLER_WEBHOOK, func: rule.func }, out));
  return out;
}
