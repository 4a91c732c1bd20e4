// `dbfleet iam-policy <environment>`: the IAM policy each developer needs to log in to an Aurora
// environment with an IAM token (no password): `rds-db:connect` on their own database user.
// Resource format: arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<db-user> (AWS IAM
// "Creating and using an IAM policy for IAM database access"). The cluster resource IDs exist only
// once RDS has created the clusters, so the policy names every cluster of the region (`*`) unless
// given them; the user name alone keeps each developer to their own role.
import type { Environment, Fleet } from '../../config/model';
import { developerRoleName } from '../../config/names';

export interface IamPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: ReadonlyArray<{
    readonly Sid: string;
    readonly Effect: 'Allow';
    readonly Action: 'rds-db:connect';
    readonly Resource: readonly string[];
  }>;
}

export interface IamPolicyOptions {
  /** AWS account ID. @default `*` */
  readonly account?: string;
  /** DbiResourceIds (`cluster-…`) of the environment's clusters. @default `*` */
  readonly clusterResourceIds?: readonly string[];
}

/** One policy document per developer of an Aurora environment (none when developerAccess is none). */
export function developerIamPolicies(
  fleet: Fleet,
  environment: Environment,
  options: IamPolicyOptions = {},
): Record<string, IamPolicyDocument> {
  const aws = environment.aws;
  if (!aws)
    throw new Error(
      `environment "${environment.name}" does not run on Aurora (operator: ${environment.operator}): its developers log in with passwords`,
    );
  if (!aws.iamAuthentication)
    throw new Error(`environment "${environment.name}" has aws.iamAuthentication: false: IAM database authentication is off`);
  if (environment.developerAccess === 'none') return {};
  const account = options.account ?? '*';
  if (account !== '*' && !/^\d{12}$/.test(account)) throw new Error(`--account must be a 12-digit AWS account ID, not "${account}"`);
  const resources = options.clusterResourceIds?.length ? options.clusterResourceIds : ['*'];
  return Object.fromEntries(
    fleet.developers.map((developer) => [
      developer,
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: `DbfleetConnect${environment.name.replace(/[^A-Za-z0-9]/g, '')}`,
            Effect: 'Allow',
            Action: 'rds-db:connect',
            Resource: resources.map((id) => `arn:aws:rds-db:${aws.region}:${account}:dbuser:${id}/${developerRoleName(developer)}`),
          },
        ],
      } satisfies IamPolicyDocument,
    ]),
  );
}
