// Go-style durations as Kubernetes, Velero and ESO write them: 90s, 30m, 168h, 1h30m.
const DURATION = /^(\d+(\.\d+)?(h|m|s|ms))+$/;
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
const SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

export function isDuration(value: string): boolean {
  return DURATION.test(value);
}

export function durationToSeconds(value: string): number {
  if (!isDuration(value)) throw new Error(`"${value}" is not a valid duration`);
  let total = 0;
  for (const [, amount, unit] of value.matchAll(PART)) total += Number(amount) * SECONDS[unit];
  return total;
}
