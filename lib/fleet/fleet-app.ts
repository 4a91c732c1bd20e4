import { App } from 'cdk8s';
import type { Environment, Fleet } from '../config/model';
import { applySyncPolicy } from '../gitops/sync-policy';
import { fromFleetPath } from '../output/render';
import { ArgoCdChart } from './argocd-chart';
import { EnvironmentChart } from './environment-chart';

export interface FleetAppProps {
  /**
   * Adds a team's own constructs before the app is rendered: put objects Argo CD should apply in
   * an environment's chart (`fleetApp.environment('production')`), which renders into
   * `dist/<environment>/`. It runs before the Argo CD chart is built, so the AppProject allows
   * the kinds and namespaces it adds, and Argo CD sync waves and prune protection apply to them.
   * @default nothing added
   */
  readonly extend?: (fleetApp: FleetApp) => void;
}

/**
 * The cdk8s app of a fleet: one EnvironmentChart per environment (`dist/<environment>/`) and,
 * with `gitops:`, the ArgoCdChart (`dist/argocd/`).
 */
export class FleetApp {
  readonly app: App;
  readonly fleet: Fleet;
  /** The environment charts, by environment name. */
  readonly environments: ReadonlyMap<string, EnvironmentChart>;
  /** The Argo CD chart; undefined without `gitops:`. */
  readonly argocd?: ArgoCdChart;

  constructor(fleet: Fleet, props: FleetAppProps = {}) {
    this.fleet = fleet;
    this.app = new App();
    this.environments = new Map(
      fleet.environments.map((environment) => [
        environment.name,
        fromFleetPath(fleet, ['environments', environment.name], () => new EnvironmentChart(this.app, { fleet, environment })),
      ]),
    );
    if (props.extend) {
      props.extend(this);
      // The extension's objects get the same sync waves and prune protection as dbfleet's.
      for (const chart of this.environments.values()) applySyncPolicy(chart);
    }
    const gitops = fleet.gitops;
    if (gitops)
      this.argocd = fromFleetPath(
        fleet,
        ['gitops'],
        () => new ArgoCdChart(this.app, { fleet, gitops, environments: [...this.environments.values()] }),
      );
  }

  /** The chart of one environment; throws when the fleet has no such environment. */
  environment(name: string): EnvironmentChart {
    const chart = this.environments.get(name);
    if (!chart) throw new Error(`the fleet has no environment "${name}" (environments: ${[...this.environments.keys()].join(', ')})`);
    return chart;
  }

  /** The resolved model of one environment (its clusters, services, settings). */
  model(name: string): Environment {
    const environment = this.fleet.environments.find((e) => e.name === name);
    if (!environment) throw new Error(`the fleet has no environment "${name}"`);
    return environment;
  }
}
