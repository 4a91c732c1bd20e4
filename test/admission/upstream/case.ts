// One translated upstream webhook test case: object in, how many refusals out (0 = accepted).
export interface UpstreamCase {
  /** `<upstream test file>:<line> <title>` (cloudnative-pg@v1.30.0 internal/webhook/v1/). */
  readonly source: string;
  /** The upstream function the test calls (catalog id suffix); `*` when it calls the whole validate. */
  readonly rule: string;
  /** The field path the upstream test expects the (single) error at. */
  readonly path?: string;
  readonly object: Record<string, unknown>;
  /** For update rules: the object before. */
  readonly old?: Record<string, unknown>;
  /** Errors the upstream test expects from that function; `some` where it asserts only "not empty". */
  readonly refused: number | 'some';
  /** Text the upstream test expects in the error. */
  readonly detail?: string;
}
