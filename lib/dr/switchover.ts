// `dbfleet switchover`: writes a switchover or failover step into the fleet file, as a change to
// review (`dbfleet plan` marks it DANGER). Edits the text in place (lib/config/yaml-edit.ts): only
// the lines of the keys it writes change; comments, spacing and flow style survive. The steps (docs/disaster-recovery.md; cloudnative-pg@v1.30.0 docs/src/replica_cluster.md):
//   1. --to <site>                       switchoverTo: <site> (the primary site demotes itself)
//   2. --to <site> --token <cluster>=<t>  primarySite: <site>, promotionTokens (promotes, no rebuild)
//   failover: --to <site> --failover      primarySite: <site>, no tokens (the old primary is rebuilt)
import { isMap, parseDocument } from 'yaml';
import { deleteInText, setInText } from '../config/yaml-edit';

export interface SwitchoverRequest {
  /** Either site of the pair (the standby environment or its source). */
  readonly environment: string;
  /** The site that becomes primary. */
  readonly to: string;
  /** Step 2: the demotion token of each cluster of the former primary. */
  readonly tokens?: Readonly<Record<string, string>>;
  /** Promote without tokens: the primary site is lost. */
  readonly failover?: boolean;
}

/** The fleet text with the step written, and what was done; throws with a clear message otherwise. */
export function switchover(text: string, request: SwitchoverRequest): { text: string; step: string } {
  const doc = parseDocument(text);
  const envs = doc.get('environments');
  if (!isMap(envs)) throw new Error('the fleet file has no environments: map');
  const standbyOf = (name: string) => doc.getIn(['environments', name, 'standbyOf']) as string | undefined;
  const names = envs.items.map((p) => String((p.key as { value?: unknown }).value ?? p.key));
  const standby =
    standbyOf(request.environment) !== undefined ? request.environment : names.find((n) => standbyOf(n) === request.environment);
  if (!standby) throw new Error(`"${request.environment}" is neither a standby environment (standbyOf) nor the source of one`);
  const source = standbyOf(standby)!;
  if (request.to !== source && request.to !== standby) throw new Error(`--to must be "${source}" or "${standby}", not "${request.to}"`);
  const at = (key: string) => ['environments', standby, key];
  const primary = (doc.getIn(at('primarySite')) as string | undefined) ?? source;
  const tokens = request.tokens ?? {};
  if (request.failover && Object.keys(tokens).length > 0) throw new Error('--failover promotes without tokens: drop --token');
  if (request.failover || Object.keys(tokens).length > 0) {
    if (primary === request.to && !doc.getIn(at('switchoverTo'))) throw new Error(`"${request.to}" is already the primary site`);
    let edited = deleteInText(setInText(text, at('primarySite'), request.to), at('switchoverTo'));
    if (request.failover) {
      edited = deleteInText(edited, at('promotionTokens'));
      return {
        text: edited,
        step: `failover: primarySite ${request.to}, promoted without tokens; the clusters of ${primary} must be rebuilt when that site returns`,
      };
    }
    edited = setInText(edited, at('promotionTokens'), { ...tokens }, 'block');
    return {
      text: edited,
      step: `step 2 of 2: primarySite ${request.to} with the demotion tokens of ${Object.keys(tokens).sort().join(', ')}`,
    };
  }
  if (primary === request.to) throw new Error(`"${request.to}" is already the primary site`);
  return {
    text: setInText(text, at('switchoverTo'), request.to),
    step: `step 1 of 2: switchoverTo ${request.to} demotes ${primary}; then read each cluster's status.demotionToken there and run step 2 with --token <cluster>=<token>`,
  };
}
