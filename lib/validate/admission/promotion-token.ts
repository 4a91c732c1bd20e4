// CloudNativePG's promotion (demotion) token, as its webhook reads it: cloudnative-pg@v1.30.0
// pkg/utils/parser.go ParsePgControldataToken (base64.StdEncoding, then encoding/json into
// PgControldataTokenContent) and PgControldataTokenContent.IsValid (six non-empty fields), called
// by internal/webhook/v1/cluster_webhook.go validatePromotionToken. Used by the Cluster admission
// rule and by the fleet file's `promotionTokens` (lib/config/schema.ts), so a token pasted wrong
// is a config error before merge, not a refused sync at the moment of a switchover.

/** The JSON keys of PgControldataTokenContent, in the order IsValid checks them, with its error reason. */
const TOKEN_FIELDS: ReadonlyArray<readonly [key: string, reason: string]> = [
  ['latestCheckpointTimelineID', 'LatestCheckpointTimelineID is empty'],
  ['redoWalFile', 'REDOWALFile is empty'],
  ['databaseSystemIdentifier', 'DatabaseSystemIdentifier is empty'],
  ['latestCheckpointREDOLocation', 'LatestCheckpointREDOLocation is empty'],
  ['timeOfLatestCheckpoint', 'TimeOfLatestCheckpoint is empty'],
  ['operatorVersion', 'OperatorVersion is empty'],
];

/** The keys of a valid token (for tests and messages). */
export const PROMOTION_TOKEN_FIELDS: readonly string[] = TOKEN_FIELDS.map(([key]) => key);

// base64.StdEncoding: the standard alphabet with `=` padding, required; it skips \r and \n.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Why the webhook refuses this token, in its words ("Invalid promotionToken format: invalid
 * promotion token (Base64 decoding failed)…"), or undefined when it accepts it.
 */
export function promotionTokenProblem(token: string): string | undefined {
  const b64 = token.replace(/[\r\n]/g, '');
  if (!STD_BASE64.test(b64)) return 'Invalid promotionToken format: invalid promotion token (Base64 decoding failed)';
  let content: unknown;
  try {
    content = JSON.parse(new TextDecoder().decode(Buffer.from(b64, 'base64')));
  } catch {
    return 'Invalid promotionToken format: invalid promotion token (JSON decoding failed)';
  }
  // json.Unmarshal into a struct: `null` leaves it empty; any other non-object is an error, and so
  // is a non-string (other than null) in one of its fields. Keys match case-insensitively.
  if (content !== null && (typeof content !== 'object' || Array.isArray(content)))
    return 'Invalid promotionToken format: invalid promotion token (JSON decoding failed): not a JSON object';
  const values = new Map<string, unknown>();
  for (const [key, value] of Object.entries(content ?? {})) {
    const field = PROMOTION_TOKEN_FIELDS.find((f) => f.toLowerCase() === key.toLowerCase());
    if (!field) continue;
    if (value !== null && typeof value !== 'string')
      return `Invalid promotionToken format: invalid promotion token (JSON decoding failed): ${key} is not a string`;
    // Each key is decoded in turn into the field it folds to: the last one wins; null sets nothing.
    if (value !== null) values.set(field, value);
  }
  for (const [key, reason] of TOKEN_FIELDS) {
    const value = values.get(key);
    if (typeof value !== 'string' || value.length === 0) return `Invalid promotionToken content: invalid promotion token (${reason})`;
  }
  return undefined;
}
