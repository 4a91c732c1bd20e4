// External Secrets' ExternalSecret admission rules (create and update run the same checks):
// external-secrets@v2.9.0 apis/externalsecrets/v1/externalsecret_validator.go validateExternalSecret.
import { child, refuser, specOf, type AdmissionViolation, type Loose } from './rule';

const ESO = 'external-secrets@v2.9.0';
const FILE = 'apis/externalsecrets/v1/externalsecret_validator.go';
const TEMPLATE_TARGETS = ['data', 'annotations', 'labels'];

export function externalSecretViolations(es: Loose): AdmissionViolation[] {
  const out: AdmissionViolation[] = [];
  const who = "External Secrets' admission webhook";
  const rule = (func: string) => refuser(`eso.externalsecret.${func}`, { repo: ESO, file: FILE, func }, out, who);
  const s = specOf(es);
  const target = (s.target ?? {}) as Loose;
  const creation = (target.creationPolicy as string | undefined) ?? 'Owner';
  const deletion = (target.deletionPolicy as string | undefined) ?? 'Retain';
  const policies = rule('validatePolicies');
  if (deletion === 'Delete' && ['Merge', 'None', 'CreateOrMerge'].includes(creation))
    policies(
      'spec.target.deletionPolicy',
      "deletionPolicy=Delete must not be used when the controller doesn't own the secret. Please set creationPolicy=Owner",
    );
  if (deletion === 'Merge' && creation === 'None')
    policies(
      'spec.target.deletionPolicy',
      'deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with',
    );
  const data = (Array.isArray(s.data) ? s.data : []) as Loose[];
  const dataFrom = (Array.isArray(s.dataFrom) ? s.dataFrom : []) as Loose[];
  if (data.length === 0 && dataFrom.length === 0) rule('validateExternalSecret')('spec', 'either data or dataFrom should be specified');
  const template = target.template as Loose | undefined;
  if (template) {
    const privileged = rule('validatePrivilegedTemplate');
    if (template.type === 'kubernetes.io/service-account-token') {
      if (template.metadata?.annotations?.['kubernetes.io/service-account.name'] !== undefined)
        privileged(
          'spec.target.template.type',
          'template.type="kubernetes.io/service-account-token" with annotation "kubernetes.io/service-account.name" is not allowed',
        );
      else if (((template.templateFrom ?? []) as Loose[]).some((t) => String(t.target ?? '').toLowerCase() === 'annotations'))
        privileged(
          'spec.target.template.type',
          'template.type="kubernetes.io/service-account-token" with templateFrom target="Annotations" is not allowed',
        );
    }
    if (template.type === 'bootstrap.kubernetes.io/token')
      privileged('spec.target.template.type', 'template.type="bootstrap.kubernetes.io/token" is not allowed');
    const manifest = target.manifest as Loose | undefined;
    if (!manifest || (manifest.apiVersion === 'v1' && manifest.kind === 'Secret')) {
      ((template.templateFrom ?? []) as Loose[]).forEach((t, i) => {
        const value = String(t.target ?? '');
        if (value !== '' && !TEMPLATE_TARGETS.includes(value.toLowerCase()))
          rule('validateTemplateFromTarget')(
            `${child('spec.target.template.templateFrom', i)}.target`,
            `templateFrom target="${value}" is not allowed when targeting a Secret, must be one of "Data", "Annotations" or "Labels"`,
          );
      });
    }
  }
  dataFrom.forEach((ref, i) => {
    const at = child('spec.dataFrom', i);
    const generator = !!ref.sourceRef?.generatorRef;
    const set = [ref.find != null, ref.extract != null, generator].filter(Boolean).length;
    if (set > 1) rule('validateExtractFindGenerator')(at, 'extract, find, or generatorRef cannot be set at the same time');
    if (ref.find == null && ref.extract == null && ref.sourceRef == null)
      rule('validateFindExtractSourceRef')(at, 'either extract, find, or sourceRef must be set to dataFrom');
    if (ref.sourceRef != null && ref.sourceRef.generatorRef == null && ref.sourceRef.storeRef == null)
      rule('validateSourceRef')(`${at}.sourceRef`, 'generatorRef or storeRef must be set when using sourceRef in dataFrom');
  });
  if (deletion === 'Retain') {
    const seen = new Set<unknown>();
    data.forEach((d, i) => {
      if (seen.has(d?.secretKey))
        rule('validateDuplicateKeys')(`${child('spec.data', i)}.secretKey`, `duplicate secretKey found: ${d?.secretKey}`);
      seen.add(d?.secretKey);
    });
  }
  return out;
}
