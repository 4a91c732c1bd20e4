/**
 * Durations for flags: plain seconds ("90", "1.5") or a number with a unit ("250ms", "90s", "30m", "1h"),
 * and sums of those ("1h30m", "2m30s"). Returns milliseconds. Throws on anything else.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(input: string): number {
  const text = String(input).trim().toLowerCase();
  if (text === '') throw new Error('empty duration');
  if (/^\d+(\.\d+)?$/.test(text)) return toMs(Number(text) * 1000, input);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  const seen = new Set<string>();
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) throw new Error(`invalid duration "${input}" (use seconds or a unit: 90, 90s, 30m, 1h)`);
    const unit = m[2]!;
    if (seen.has(unit)) throw new Error(`invalid duration "${input}" (unit ${unit} given twice)`);
    seen.add(unit);
    total += Number(m[1]) * UNIT_MS[unit]!;
    pos = part.lastIndex;
  }
  return toMs(total, input);
}

function toMs(ms: number, input: string): number {
  if (!Number.isFinite(ms) || ms > 365 * 24 * 3_600_000) throw new Error(`invalid duration "${input}" (too large)`);
  return Math.round(ms);
}

/** A duration that must be greater than zero. */
export function parsePositiveDuration(input: string): number {
  const ms = parseDuration(input);
  if (ms <= 0) throw new Error(`duration "${input}" must be greater than zero`);
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}
