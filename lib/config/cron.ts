// Cron expressions: Kubernetes CronJobs and Velero take 5 fields (minute first); CloudNativePG's
// ScheduledBackup takes 6 (seconds first, robfig/cron with seconds). Mixing them up is a classic
// mistake: a 5-field string in CNPG runs at the wrong time, so both are checked strictly here.
const RANGES: Array<[string, number, number]> = [
  ['second', 0, 59],
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  // 0-6 only: robfig/cron, which parses every schedule dbfleet renders, refuses 7 ("end of range
  // (7) above maximum (6)", v1.2.0 and v3.0.1 spec.go `dow = bounds{0, 6, …}`), unlike Vixie cron.
  ['day of week', 0, 6],
];
const NAMES: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};
const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

export type CronFlavour = 'kubernetes' | 'cnpg';

/** Returns an error message, or undefined when the expression is valid for that flavour. */
export function checkCron(expression: string, flavour: CronFlavour): string | undefined {
  const trimmed = expression.trim();
  if (MACROS.includes(trimmed)) return undefined;
  const fields = trimmed.split(/\s+/);
  const expected = flavour === 'cnpg' ? 6 : 5;
  if (fields.length !== expected) {
    return flavour === 'cnpg'
      ? `has ${fields.length} fields; CloudNativePG schedules take 6 (seconds first, e.g. "0 0 2 * * *")`
      : `has ${fields.length} fields; Kubernetes and Velero schedules take 5 (minute first, e.g. "0 3 * * *")`;
  }
  const ranges = flavour === 'cnpg' ? RANGES : RANGES.slice(1);
  for (let i = 0; i < fields.length; i++) {
    const error = checkField(fields[i], ranges[i]);
    if (error) return `field ${i + 1} (${ranges[i][0]}) "${fields[i]}" ${error}`;
  }
  // Valid fields can still name no date (30 February, 31 April): robfig/cron's Next gives up and
  // the backup or Job never runs.
  if (!gaps(trimmed, flavour)) return 'never runs: no date matches its day of month, month and day of week';
  return undefined;
}

function checkField(field: string, [, min, max]: [string, number, number]): string | undefined {
  for (const part of field.split(',')) {
    const [range, step] = part.split('/');
    if (step !== undefined && !/^\d+$/.test(step)) return `has an invalid step "${step}"`;
    // A step of 0 never advances: Kubernetes, Velero and CloudNativePG parse schedules with
    // robfig/cron v3, whose parser.go getRange refuses it ("step of range should be a positive
    // number"); it also refuses a range that ends before it starts.
    if (step !== undefined && Number(step) === 0) return 'has a step of 0: a step must be a positive number (e.g. "*/5")';
    if (part.split('/').length > 2) return `has more than one "/" in "${part}"`;
    if (range === '*' || range === '?') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return 'is not a valid range';
    const values: number[] = [];
    for (const bound of bounds) {
      const value = /^\d+$/.test(bound) ? Number(bound) : NAMES[bound.toLowerCase()];
      if (value === undefined) return `is not a number or a name`;
      if (value < min || value > max) return `is out of range ${min}-${max}`;
      values.push(value);
    }
    if (values.length === 2 && values[0] > values[1]) return `has a range "${range}" that ends before it starts`;
  }
  return undefined;
}

const MACRO_EXPRESSIONS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * The longest gap between two runs, in seconds (seconds fields ignored), over every run there is:
 * the Gregorian calendar repeats every 400 years, weekdays included, so the gaps of one 400-year
 * cycle, the one from its last run to the next cycle's first included, are all the gaps there are.
 * Alerts use it: "no successful backup within 1.5 × the schedule's interval". Throws for a
 * schedule that never runs (checkCron reports it).
 */
export function maxIntervalSeconds(expression: string, flavour: CronFlavour): number {
  return intervals(expression, flavour).max;
}

/** The shortest gap between two runs, in seconds. */
export function minIntervalSeconds(expression: string, flavour: CronFlavour): number {
  return intervals(expression, flavour).min;
}

/** Days of one Gregorian cycle: 400 years, a whole number of weeks (20871). */
const CYCLE_DAYS = 146_097;

const cache = new Map<string, { min: number; max: number } | undefined>();

function intervals(expression: string, flavour: CronFlavour): { min: number; max: number } {
  const found = gaps(expression, flavour);
  if (!found) throw new Error(`cron schedule "${expression}" never runs: no date matches its day of month, month and day of week`);
  return found;
}

/** The shortest and longest gap between runs, or undefined when the schedule never runs. */
function gaps(expression: string, flavour: CronFlavour): { min: number; max: number } | undefined {
  const key = `${flavour} ${expression.trim()}`;
  if (cache.has(key)) return cache.get(key);
  const macro = MACRO_EXPRESSIONS[expression.trim()];
  const fields = (macro ?? expression).trim().split(/\s+/);
  const [minute, hour, dom, month, dow] = flavour === 'cnpg' && !macro ? fields.slice(1) : fields;
  // The times of day a matching day runs at, the same on every such day.
  const times: number[] = [];
  for (const h of [...expand(hour, 0, 23)].sort((a, b) => a - b))
    for (const m of [...expand(minute, 0, 59)].sort((a, b) => a - b)) times.push(h * 3600 + m * 60);
  const days = expand(dom, 1, 31);
  const months = expand(month, 1, 12);
  const weekdays = expand(dow, 0, 6);
  // Both day fields restricted: either one matching is enough; one of them unrestricted: both must
  // match (robfig/cron's dayMatches, v1.2.0 and v3.0.1 spec.go). "Unrestricted" is robfig's starBit,
  // which getRange sets for a "*" or "?" range. Kubernetes and Velero parse with robfig/cron v3
  // (v3.0.1 parser.go getRange clears it for a step above 1: "*/1" is unrestricted, "*/2" is
  // not); CloudNativePG's ScheduledBackup with v1.2.0 (cloudnative-pg@v1.30.0 go.mod,
  // internal/controller/scheduledbackup_controller.go cron.Parse), whose getRange keeps it for any
  // step, so "*/2" is unrestricted there.
  const domStar = unrestricted(dom, flavour);
  const dowStar = unrestricted(dow, flavour);
  const matched: number[] = [];
  // 2000-01-01 (a Saturday) starts a cycle.
  let day = 0;
  let weekday = 6;
  for (let year = 2000; year < 2400; year++) {
    for (let m = 1; m <= 12; m++) {
      const length = new Date(Date.UTC(year, m, 0)).getUTCDate();
      for (let d = 1; d <= length; d++, day++, weekday = (weekday + 1) % 7) {
        if (!months.has(m)) continue;
        const domMatch = days.has(d);
        const dowMatch = weekdays.has(weekday);
        if (domStar || dowStar ? domMatch && dowMatch : domMatch || dowMatch) matched.push(day);
      }
    }
  }
  let result: { min: number; max: number } | undefined;
  if (matched.length > 0) {
    let min = Infinity;
    let max = 0;
    for (let i = 1; i < times.length; i++) {
      min = Math.min(min, times[i] - times[i - 1]);
      max = Math.max(max, times[i] - times[i - 1]);
    }
    // From the last run of a matching day to the first of the next one (the next cycle's first
    // after the last of this cycle).
    const between = (from: number, to: number) => (to - from) * 86_400 - times[times.length - 1] + times[0];
    for (let i = 0; i < matched.length; i++) {
      const gap = between(matched[i], i + 1 < matched.length ? matched[i + 1] : matched[0] + CYCLE_DAYS);
      min = Math.min(min, gap);
      max = Math.max(max, gap);
    }
    result = { min, max };
  }
  cache.set(key, result);
  return result;
}

/** Whether a day field is robfig/cron's "unrestricted" (starBit) for that flavour's parser. */
function unrestricted(field: string, flavour: CronFlavour): boolean {
  return field.split(',').some((part) => {
    const [range, step] = part.split('/');
    return (range === '*' || range === '?') && (flavour === 'cnpg' || step === undefined || Number(step) <= 1);
  });
}

function expand(field: string, min: number, max: number): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    // checkCron refuses these; an unchecked expression must fail here, never loop forever.
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron field "${field}" has step "${stepText}": not a positive number`);
    let [low, high] = [min, max];
    if (range !== '*' && range !== '?') {
      const bounds = range.split('-').map((b) => (/^\d+$/.test(b) ? Number(b) : NAMES[b.toLowerCase()]));
      low = bounds[0];
      high = bounds.length === 2 ? bounds[1] : stepText ? max : bounds[0];
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}
