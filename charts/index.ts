// This repository's own charts, added to dbfleet's through FleetApp (main.ts passes this to
// renderFleet as `extend`). A fleet repository created with `dbfleet init` starts without any.
import type { FleetApp } from '../lib';
import { ConnectionCatalog } from './connection-catalog';

export function extendFleet(fleetApp: FleetApp): void {
  for (const [name, chart] of fleetApp.environments) {
    new ConnectionCatalog(chart, 'ConnectionCatalog', {
      fleet: fleetApp.fleet,
      environment: fleetApp.model(name),
      clusters: chart.clusters,
    });
  }
}
