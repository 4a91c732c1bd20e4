// One JSON object per line on stdout (stderr for errors): what a log pipeline indexes, and what
// the tests read. No secret ever reaches a log line: the commands never log Secret data.

export type Level = 'info' | 'warn' | 'error';

export interface OpsLogger {
  log(level: Level, event: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(
  command: string,
  out: (line: string) => void = (l) => process.stdout.write(l),
  err: (line: string) => void = (l) => process.stderr.write(l),
): OpsLogger {
  return {
    log(level, event, fields = {}) {
      const line = `${JSON.stringify({ time: new Date().toISOString(), level, command, event, ...fields })}\n`;
      (level === 'error' ? err : out)(line);
    },
  };
}

/** "90s", "30m", "2h", "1h30m" → seconds; undefined when malformed. */
export function parseDurationSeconds(value: string): number | undefined {
  if (!/^(\d+(\.\d+)?(h|m|s))+$/.test(value)) return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g))
    total += Number(amount) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'];
  return total;
}
