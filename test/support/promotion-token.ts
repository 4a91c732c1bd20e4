// A demotion token as CloudNativePG writes it (cloudnative-pg@v1.30.0 pkg/utils/parser.go
// CreatePromotionToken: base64.StdEncoding of the JSON of PgControldataTokenContent), one per
// system identifier, so tests use tokens the operator's webhook (and the fleet schema) accept.
export function demotionToken(systemIdentifier: string): string {
  return Buffer.from(
    JSON.stringify({
      latestCheckpointTimelineID: '1',
      redoWalFile: '000000010000000000000003',
      databaseSystemIdentifier: systemIdentifier,
      latestCheckpointREDOLocation: '0/3000028',
      timeOfLatestCheckpoint: 'Mon 07 Dec 2026 11:00:00 AM UTC',
      operatorVersion: '1.30.0',
    }),
  ).toString('base64');
}
