import { ApiObject, JsonPatch } from 'cdk8s';
import type { IConstruct } from 'constructs';

/**
 * cdk8s-plus always labels pod templates with `cdk8s.io/metadata.addr`, a hash of the construct
 * path, even with `select: false`. dbfleet's jobs select nothing, so the label only adds noise
 * (and churn on a construct rename) to dist/: remove it.
 * @param podTemplatePath JSON pointer of the pod template, e.g. `/spec/jobTemplate/spec/template`
 */
export function withoutAddressLabel<T extends IConstruct>(workload: T, podTemplatePath: string): T {
  ApiObject.of(workload).addJsonPatch(JsonPatch.remove(`${podTemplatePath}/metadata/labels/cdk8s.io~1metadata.addr`));
  return workload;
}
