// Values computed once per plan for the DANGER rules. Its own module: rules in other files
// (dr-switchover.ts, operator-switch.ts) use it, and dangers.ts imports those rules.
import type { DangerContext } from './dangers';

const perPlanValues = new WeakMap<DangerContext, Map<string, unknown>>();

/**
 * A value computed once per plan (e.g. an index of the transitions): a rule that looks at the
 * neighbours of each transition stays linear instead of scanning every transition each time.
 */
export function perPlan<T>(context: DangerContext, key: string, compute: () => T): T {
  let values = perPlanValues.get(context);
  if (!values) perPlanValues.set(context, (values = new Map()));
  if (!values.has(key)) values.set(key, compute());
  return values.get(key) as T;
}
