// Cron expressions: Kubernetes CronJobs and Velero take 5 fields (minute first); CloudNativePG's
// ScheduledBackup takes 6 (seconds first, robfig/cron with seconds). Mixing them up is a classic
// mistake: a 5-field string in CNPG runs at the wrong time, so both are checked strictly here.
const RANGES: Array<[string, number, number]> = [
  ['second', 0, 59],
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 7],
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
 * The longest gap between two runs, in seconds (seconds fields ignored), over the runs of a
 * year and a bit. Alerts use it: "no successful backup within 1.5 × the schedule's interval".
 */
export function maxIntervalSeconds(expression: string, flavour: CronFlavour): number {
  return intervals(expression, flavour).max;
}

/** The shortest gap between two runs, in seconds. */
export function minIntervalSeconds(expression: string, flavour: CronFlavour): number {
  return intervals(expression, flavour).min;
}

function intervals(expression: string, flavour: CronFlavour): { min: number; max: number } {
  const macro = MACRO_EXPRESSIONS[expression.trim()];
  const fields = (macro ?? expression).trim().split(/\s+/);
  const [minute, hour, dom, month, dow] = flavour === 'cnpg' && !macro ? fields.slice(1) : fields;
  const minutes = [...expand(minute, 0, 59)].sort((a, b) => a - b);
  const hours = [...expand(hour, 0, 23)].sort((a, b) => a - b);
  const days = expand(dom, 1, 31);
  const months = expand(month, 1, 12);
  const weekdays = expand(dow, 0, 7);
  if (weekdays.has(7)) weekdays.add(0);
  const domStar = dom === '*' || dom === '?';
  const dowStar = dow === '*' || dow === '?';
  const start = Date.UTC(2026, 0, 1);
  let previous: number | undefined;
  let longest = 0;
  let shortest = Infinity;
  for (let day = start; day < start + 800 * 86_400_000; day += 86_400_000) {
    const d = new Date(day);
    if (!months.has(d.getUTCMonth() + 1)) continue;
    const domMatch = days.has(d.getUTCDate());
    const dowMatch = weekdays.has(d.getUTCDay());
    // Vixie cron: when both day fields are restricted, either one matching is enough.
    if (!(domStar || dowStar ? domMatch && dowMatch : domMatch || dowMatch)) continue;
    for (const h of hours) {
      for (const m of minutes) {
        const t = day + h * 3_600_000 + m * 60_000;
        if (previous !== undefined) {
          longest = Math.max(longest, (t - previous) / 1000);
          shortest = Math.min(shortest, (t - previous) / 1000);
        }
        previous = t;
      }
    }
  }
  return { min: shortest, max: longest };
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
