// Egress (issue 24 item 7): with `egress` on, every pod dbfleet renders (or its operators create) in
// the database and backups namespaces gets an allow for each need docs/security.md "Network" lists,
// and nothing broader. The needs below are written from that table and the upstream sources cited
// in the backends (lib/backends/*/backend.ts egressGroups), not from the policies themselves.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { Egress, Environment, Fleet } from '../../lib/config/model';
import { buildApp, renderObjects, type KubernetesObject } from '../../lib/output/render';
import { configErrors, fleetOf } from '../support/fleet';

const root = join(__dirname, '..', '..');

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  to?: Peer[];
  ports?: Array<{ protocol?: string; port?: number }>;
}
interface Policy {
  namespace: string;
  name: string;
  podSelector: Selector;
  types: string[];
  egress: Rule[];
}
interface Pod {
  what: string;
  namespace: string;
  labels: Labels;
}
/** A destination a pod needs. */
type Need =
  | { kind: 'pod'; labels: Labels; port: number }
  | { kind: 'cidr'; cidr: string; port: number }
  | { kind: 'namespace'; namespace: string; port: number; protocol?: string; podLabels?: Labels };

function matches(selector: Selector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
    if (e.operator === 'In' && !(has && e.values!.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(labels[e.key])) return false;
  }
  return true;
}

function policiesOf(objects: KubernetesObject[]): Policy[] {
  return objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => {
      const spec = (o as unknown as { spec: { podSelector: Selector; policyTypes?: string[]; egress?: Rule[] } }).spec;
      return {
        namespace: o.metadata.namespace!,
        name: o.metadata.name,
        podSelector: spec.podSelector,
        types: spec.policyTypes ?? [],
        egress: spec.egress ?? [],
      };
    });
}

/** Every pod dbfleet's objects lead to: its own workloads, and what the operators create from them. */
function podsOf(objects: KubernetesObject[], fleet: Fleet): Pod[] {
  const pods: Pod[] = [];
  for (const o of objects as Array<KubernetesObject & { spec?: any }>) {
    const ns = o.metadata.namespace!;
    const template = o.spec?.jobTemplate?.spec?.template ?? o.spec?.template;
    if (['Job', 'CronJob', 'Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)) {
      pods.push({ what: `${o.kind} ${o.metadata.name}`, namespace: ns, labels: template?.metadata?.labels ?? {} });
    } else if (o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io')) {
      const cluster = o.metadata.name;
      pods.push({ what: `instance of ${cluster}`, namespace: ns, labels: { 'cnpg.io/cluster': cluster, 'cnpg.io/podRole': 'instance' } });
      // cloudnative-pg@v1.30.0 pkg/specs/jobs.go: initdb/join/recovery Jobs' pods.
      pods.push({ what: `join Job of ${cluster}`, namespace: ns, labels: { 'cnpg.io/cluster': cluster, 'cnpg.io/jobRole': 'join' } });
    } else if (o.kind === 'Pooler') {
      // cloudnative-pg@v1.30.0 pkg/specs/pgbouncer/deployments.go
      pods.push({
        what: `pooler ${o.metadata.name}`,
        namespace: ns,
        labels: { 'cnpg.io/poolerName': o.metadata.name, 'cnpg.io/cluster': o.spec.cluster.name, 'cnpg.io/podRole': 'pooler' },
      });
    } else if (o.kind === 'postgresql') {
      const cluster = o.metadata.name;
      pods.push({ what: `spilo of ${cluster}`, namespace: ns, labels: { application: 'spilo', 'cluster-name': cluster } });
      if (o.spec.enableConnectionPooler || o.spec.enableReplicaConnectionPooler)
        pods.push({
          what: `pooler of ${cluster}`,
          namespace: ns,
          labels: { application: 'db-connection-pooler', 'connection-pooler': `${cluster}-pooler` },
        });
      if (o.spec.enableLogicalBackup)
        pods.push({
          what: `logical backup of ${cluster}`,
          namespace: ns,
          labels: { application: 'spilo-logical-backup', 'cluster-name': cluster },
        });
    }
  }
  // The drill's scratch cluster, created at run time.
  if (
    pods.some(
      (p) => p.labels['app.kubernetes.io/name'] === 'restore-drill' && p.labels['dbfleet.io/access-client'] === 'restore-drill-scratch',
    )
  ) {
    const ns = pods.find((p) => p.labels['app.kubernetes.io/name'] === 'restore-drill')!.namespace;
    // On Zalando the scratch is a `postgresql` (zalando-restore-drill.ts): a Spilo pod.
    const zalando = pods.some((p) => p.namespace === ns && p.labels.application === 'spilo');
    pods.push({
      what: 'scratch instance',
      namespace: ns,
      labels: zalando
        ? { application: 'spilo', 'cluster-name': 'restore-drill-scratch' }
        : { 'cnpg.io/cluster': 'restore-drill-scratch', 'cnpg.io/podRole': 'instance' },
    });
  }
  void fleet;
  return pods;
}

function cidrs(egress: Egress, key: 'apiServer' | 'objectStore' | 'database' | 'mongo' | 'snapshotAPI'): Need[] {
  const d = egress[key];
  if (!d) throw new Error(`test fleet lacks egress.${key}`);
  return d.cidrs.flatMap((cidr) => d.ports.map((port) => ({ kind: 'cidr' as const, cidr, port })));
}

function pushgateway(url: string | undefined): Need[] {
  if (!url) return [];
  const u = new URL(url);
  return [{ kind: 'namespace', namespace: u.hostname.split('.')[1], port: Number(u.port || 80) }];
}

/** docs/security.md "Network", row by row. */
function needsOf(pod: Pod, environment: Environment, pods: readonly Pod[]): Need[] {
  const egress = environment.egress!;
  const l = pod.labels;
  const dns: Need[] = [
    { kind: 'namespace', namespace: egress.dns.namespace, port: 53, protocol: 'UDP', podLabels: { ...egress.dns.podLabels } },
    { kind: 'namespace', namespace: egress.dns.namespace, port: 53, protocol: 'TCP', podLabels: { ...egress.dns.podLabels } },
  ];
  const peersOf = (select: (p: Pod) => boolean, ports: number[]): Need[] =>
    pods
      .filter((p) => p.namespace === pod.namespace && select(p))
      .flatMap((p) => ports.map((port) => ({ kind: 'pod' as const, labels: p.labels, port })));
  const objectStore = environment.backups.objectStore ? cidrs(egress, 'objectStore') : [];
  const needs: Need[] = [...dns];
  if (l['dbfleet.io/access-client']) {
    const cluster = l['dbfleet.io/access-client'];
    if (environment.operator === 'aws-aurora') needs.push(...cidrs(egress, 'database'));
    else
      needs.push(
        ...peersOf(
          (p) =>
            (p.labels['cnpg.io/cluster'] === cluster && p.labels['cnpg.io/podRole'] === 'instance') ||
            (p.labels['cluster-name'] === cluster && p.labels.application === 'spilo'),
          [5432],
        ),
      );
  }
  if (l['cnpg.io/cluster'] && l['cnpg.io/podRole'] !== 'pooler') {
    needs.push(...cidrs(egress, 'apiServer'), ...objectStore);
    needs.push(
      ...peersOf((p) => p.labels['cnpg.io/cluster'] === l['cnpg.io/cluster'] && p.labels['cnpg.io/podRole'] === 'instance', [5432, 8000]),
    );
  }
  if (l['cnpg.io/podRole'] === 'pooler') {
    needs.push(...cidrs(egress, 'apiServer'));
    needs.push(
      ...peersOf((p) => p.labels['cnpg.io/cluster'] === l['cnpg.io/cluster'] && p.labels['cnpg.io/podRole'] === 'instance', [5432]),
    );
  }
  if (l.application === 'spilo') {
    needs.push(...cidrs(egress, 'apiServer'), ...objectStore);
    needs.push(...peersOf((p) => p.labels.application === 'spilo' && p.labels['cluster-name'] === l['cluster-name'], [5432, 8008]));
  }
  if (l.application === 'db-connection-pooler') needs.push(...peersOf((p) => p.labels.application === 'spilo', [5432]));
  if (l.application === 'spilo-logical-backup') {
    needs.push(...cidrs(egress, 'apiServer'), ...cidrs(egress, 'objectStore'));
    needs.push(...peersOf((p) => p.labels.application === 'spilo' && p.labels['cluster-name'] === l['cluster-name'], [5432]));
  }
  if (l['app.kubernetes.io/name'] === 'prune-backups') needs.push(...cidrs(egress, 'apiServer'));
  if (l['app.kubernetes.io/name'] === 'restore-drill')
    needs.push(...cidrs(egress, 'apiServer'), ...pushgateway(environment.backups.restoreDrill?.pushgateway));
  if (l['app.kubernetes.io/name'] === 'mongo-snapshot') {
    const snapshot = environment.mongoSnapshots.find((m) => m.name === l['app.kubernetes.io/instance'])!;
    needs.push(...cidrs(egress, 'mongo'), ...cidrs(egress, 'snapshotAPI'), ...pushgateway(snapshot.pushgateway));
  }
  return needs;
}

function allows(rule: Rule, need: Need): boolean {
  const protocol = need.kind === 'namespace' && need.protocol ? need.protocol : 'TCP';
  if (!(rule.ports ?? []).some((p) => p.port === need.port && (p.protocol ?? 'TCP') === protocol)) return false;
  return (rule.to ?? []).some((peer) => {
    switch (need.kind) {
      case 'pod':
        return !peer.ipBlock && !peer.namespaceSelector && peer.podSelector !== undefined && matches(peer.podSelector, need.labels);
      case 'cidr':
        return peer.ipBlock?.cidr === need.cidr && !peer.ipBlock.except;
      case 'namespace':
        return (
          !peer.ipBlock &&
          peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === need.namespace &&
          (need.podLabels === undefined || matches(peer.podSelector, need.podLabels))
        );
    }
  });
}

function describeNeed(n: Need): string {
  return n.kind === 'pod'
    ? `pods ${JSON.stringify(n.labels)}:${n.port}`
    : n.kind === 'cidr'
      ? `${n.cidr}:${n.port}`
      : `namespace ${n.namespace}:${n.port}/${n.protocol ?? 'TCP'}`;
}

/** Problems of one environment: pods without default-deny, needs not allowed, rules broader than the config. */
function egressProblems(fleet: Fleet, environment: Environment, edit = (o: KubernetesObject[]) => o): string[] {
  const objects = edit(
    renderObjects(buildApp(fleet))
      .filter((r) => r.path.startsWith(`${environment.name}/`))
      .map((r) => r.object),
  );
  const egress = environment.egress!;
  const namespaces = new Set([environment.namespace, ...environment.mongoSnapshots.map((m) => m.namespace)]);
  const policies = policiesOf(objects).filter((p) => namespaces.has(p.namespace) && p.types.includes('Egress'));
  const pods = podsOf(objects, fleet).filter((p) => namespaces.has(p.namespace));
  const problems: string[] = [];
  const configured = new Set(
    (['apiServer', 'objectStore', 'database', 'mongo', 'snapshotAPI'] as const).flatMap((k) => egress[k]?.cidrs ?? []),
  );
  const pushgateways = new Set(
    [environment.backups.restoreDrill?.pushgateway, ...environment.mongoSnapshots.map((m) => m.pushgateway)]
      .filter((u): u is string => !!u)
      .map((u) => new URL(u).hostname.split('.')[1]),
  );
  for (const policy of policies) {
    for (const rule of policy.egress) {
      if (!rule.to?.length) problems.push(`${policy.name}: a rule without "to" allows every destination`);
      if (!rule.ports?.length) problems.push(`${policy.name}: a rule without ports allows every port`);
      for (const peer of rule.to ?? []) {
        if (peer.ipBlock && !configured.has(peer.ipBlock.cidr))
          problems.push(`${policy.name}: ipBlock ${peer.ipBlock.cidr} is not in egress`);
        if (peer.namespaceSelector) {
          const ns = peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'];
          if (!ns || (ns !== egress.dns.namespace && !pushgateways.has(ns)) || peer.namespaceSelector.matchExpressions)
            problems.push(
              `${policy.name}: namespaceSelector ${JSON.stringify(peer.namespaceSelector)} is broader than DNS and the Pushgateways`,
            );
        }
      }
    }
  }
  for (const pod of pods) {
    const mine = policies.filter((p) => p.namespace === pod.namespace && matches(p.podSelector, pod.labels));
    if (!mine.some((p) => Object.keys(p.podSelector).length === 0 && p.egress.every((r) => r.ports?.every((x) => x.port === 53))))
      problems.push(`${pod.what}: not selected by a default-deny egress policy`);
    for (const need of needsOf(pod, environment, pods)) {
      if (!mine.some((p) => p.egress.some((r) => allows(r, need)))) problems.push(`${pod.what}: no egress allow for ${describeNeed(need)}`);
    }
  }
  return problems;
}

const EGRESS = {
  apiServer: { cidrs: ['10.0.0.0/28'], ports: [6443] },
  objectStore: { cidrs: ['52.219.168.0/21'] },
  database: { cidrs: ['10.50.0.0/16'] },
  mongo: { cidrs: ['10.20.0.0/24'] },
  snapshotAPI: { cidrs: ['10.30.0.0/28'] },
};

/** A fixture with `egress` on in every environment (each given what it requires). */
function withEgress(file: string, keys: ReadonlyArray<keyof typeof EGRESS>): Fleet {
  const doc = load(readFileSync(join(root, file), 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  for (const env of Object.values(doc.environments))
    env.egress = Object.fromEntries(['apiServer', ...keys].map((k) => [k, EGRESS[k as keyof typeof EGRESS]]));
  return fleetOf(dump(doc));
}

describe('egress: every pod has an allow for each need, and nothing broader', () => {
  const example = fleetOf(readFileSync(join(root, 'fleet.yaml'), 'utf8'));
  it('the example fleet turns it on in production and its DR site', () => {
    expect(example.environments.filter((e) => e.egress).map((e) => e.name)).toEqual(['production', 'production-dr']);
  });
  for (const environment of example.environments.filter((e) => e.egress)) {
    it(`example fleet, ${environment.name}`, () => {
      expect(egressProblems(example, environment)).toEqual([]);
    });
  }

  it('Zalando with poolers and WAL-G (zalando-full), and CloudNativePG with poolers beside it', () => {
    const fleet = withEgress('test/fixtures/fleets/zalando-full.yaml', ['objectStore']);
    for (const environment of fleet.environments) expect(egressProblems(fleet, environment), environment.name).toEqual([]);
  });

  it('Zalando with logical backups (the example staging)', () => {
    const doc = load(readFileSync(join(root, 'fleet.yaml'), 'utf8')) as { environments: Record<string, Record<string, unknown>> };
    doc.environments.staging.egress = { apiServer: EGRESS.apiServer, objectStore: EGRESS.objectStore };
    const fleet = fleetOf(dump(doc));
    expect(
      egressProblems(
        fleet,
        fleet.environments.find((e) => e.name === 'staging')!,
      ),
    ).toEqual([]);
  });

  it('aws-aurora: Jobs, the exporter and the drill reach the database CIDRs', () => {
    const fleet = withEgress('test/fixtures/fleets/aurora.yaml', ['database']);
    for (const environment of fleet.environments) expect(egressProblems(fleet, environment), environment.name).toEqual([]);
  });

  it('the check catches a missing allow and a broad one (self-check)', () => {
    const environment = example.environments.find((e) => e.name === 'production')!;
    const withoutDrill = egressProblems(example, environment, (objects) =>
      objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'restore-drill-egress')),
    );
    expect(withoutDrill).toEqual([
      'CronJob restore-drill: no egress allow for 10.0.0.0/28:443',
      'CronJob restore-drill: no egress allow for namespace monitoring:9091/TCP',
    ]);
    const wide = egressProblems(example, environment, (objects) => {
      const copy = structuredClone(objects) as Array<KubernetesObject & { spec: { egress: Rule[] } }>;
      copy
        .find((o) => o.metadata.name === 'access-clients-egress')!
        .spec.egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] });
      copy.find((o) => o.metadata.name === 'prune-backups-egress')!.spec.egress.push({ ports: [{ protocol: 'TCP', port: 443 }] });
      return copy;
    });
    expect(wide).toEqual([
      'access-clients-egress: ipBlock 0.0.0.0/0 is not in egress',
      'prune-backups-egress: a rule without "to" allows every destination',
    ]);
  });

  it('environments without egress get no egress policy', () => {
    const objects = renderObjects(buildApp(example)).filter((r) => /^(test|staging)\//.test(r.path));
    const egress = policiesOf(objects.map((r) => r.object)).filter((p) => p.types.includes('Egress'));
    expect(egress).toEqual([]);
  });

  it('the backups namespace denies all ingress, egress on or off', () => {
    const objects = renderObjects(buildApp(example)).map((r) => r.object);
    const backups = policiesOf(objects).filter((p) => p.namespace === 'backups' && p.types.includes('Ingress'));
    expect(backups).toEqual([
      { namespace: 'backups', name: 'backups-default-deny-ingress', podSelector: {}, types: ['Ingress'], egress: [] },
    ]);
  });
});

describe('egress config', () => {
  const base = readFileSync(join(root, 'fleet.yaml'), 'utf8');
  it('a destination the environment needs is required, and a Pushgateway must be in-cluster', () => {
    const text = base
      .replace('      objectStore: { cidrs: [52.219.168.0/21, 3.5.134.0/23, 52.216.0.0/15, 3.5.0.0/19], ports: [443] }\n', '')
      .replace(
        'restoreDrill: { schedule: "0 5 * * 6", source: objectStore, timeout: 2h, clustersPerRun: 1, pushgateway: http://prometheus-pushgateway.monitoring.svc:9091 }',
        'restoreDrill: { schedule: "0 5 * * 6", source: objectStore, timeout: 2h, clustersPerRun: 1, pushgateway: https://push.example.com }',
      );
    const errors = configErrors(text).join('\n');
    expect(errors).toMatch(/environments\.production\.egress: egress\.objectStore is required: backups\.objectStore archives to it/);
    expect(errors).toMatch(
      /environments\.production\.backups\.restoreDrill\.pushgateway: "https:\/\/push\.example\.com": with egress on, the Pushgateway must be an in-cluster Service URL/,
    );
  });

  /** The line of production's `egress.apiServer` (the first one in fleet.yaml): not a fixed number, comments above it move. */
  const apiServerLine = (text: string) => text.split('\n').findIndex((l) => /^\s*apiServer: \{/.test(l)) + 1;

  it('CIDRs are checked', () => {
    const text = base.replace('apiServer: { cidrs: [10.0.0.0/28], ports: [443] }', 'apiServer: { cidrs: [10.0.0.0], ports: [443] }');
    expect(configErrors(text)).toContain(
      `fleet.yaml:${apiServerLine(text)}: environments.production.egress.apiServer.cidrs[0]: "10.0.0.0" is not a CIDR like 10.0.0.0/16`,
    );
  });

  it('a CIDR of every address, a malformed IPv6 one and an empty DNS selector are refused, all at once (attack finding)', () => {
    const text = base
      .replace(
        'apiServer: { cidrs: [10.0.0.0/28], ports: [443] }',
        'apiServer: { cidrs: [0.0.0.0/0, "::/0", "1:2:3:4:5:6:7:8:9/64", ":/64", 10.0.0.0/33, "2001:db8::/129"], ports: [443] }',
      )
      .replace(
        'snapshotAPI: { cidrs: [10.0.16.0/28], ports: [443] }',
        'snapshotAPI: { cidrs: [10.0.16.0/28], ports: [443] }\n      dns: { podLabels: {} }',
      );
    const errors = configErrors(text);
    const at = `fleet.yaml:${apiServerLine(text)}: environments.production.egress.apiServer.cidrs`;
    expect(errors).toEqual(
      expect.arrayContaining([
        `${at}[0]: "0.0.0.0/0" is every address: list the destination's own ranges`,
        `${at}[1]: "::/0" is every address: list the destination's own ranges`,
        `${at}[2]: "1:2:3:4:5:6:7:8:9/64" is not a CIDR like 10.0.0.0/16`,
        `${at}[3]: ":/64" is not a CIDR like 10.0.0.0/16`,
        `${at}[4]: "10.0.0.0/33" is not a CIDR like 10.0.0.0/16`,
        `${at}[5]: "2001:db8::/129" is not a CIDR like 10.0.0.0/16`,
      ]),
    );
    expect(errors.join('\n')).toMatch(/environments\.production\.egress\.dns\.podLabels.*must name at least one label of the DNS pods/);
  });

  it("the example: each DR site allows the other site's bucket too (its clusters replay it after a switchover; attack finding)", () => {
    const example = fleetOf(base);
    const sites = example.environments.filter((e) => e.egress && e.dr);
    expect(sites.map((e) => e.name).sort()).toEqual(['production', 'production-dr']);
    const cidrsOf = (name: string) => new Set(example.environments.find((e) => e.name === name)!.egress!.objectStore!.cidrs);
    // Each site's Clusters list both archives as external clusters (dist/<site>/cluster-*.yaml): the
    // peer's archive is read the moment the site is demoted; its CIDRs are the ones the peer lists.
    for (const site of sites) {
      for (const other of sites)
        expect(
          [...cidrsOf(other.name)].filter((c) => !cidrsOf(site.name).has(c)),
          `${site.name} lacks ${other.name}'s`,
        ).toEqual([]);
    }
  });
});
