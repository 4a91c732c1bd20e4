// CloudNativePG's ScheduledBackup admission rules (create and update run the same checks):
// cloudnative-pg@v1.30.0 internal/webhook/v1/scheduledbackup_webhook.go `validate`.
import { CNPG, CNPG_SCHEDULED_BACKUP_WEBHOOK, refuser, specOf, type AdmissionViolation, type Loose } from './rule';

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** second, minute, hour, day of month, month, day of week: robfig/cron v1.2.0 spec.go bounds. */
const BOUNDS: ReadonlyArray<{ name: string; min: number; max: number; names?: readonly string[] }> = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: DAYS },
];

function value(text: string, bound: (typeof BOUNDS)[number]): number | undefined {
  const named = bound.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + bound.min;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Why robfig/cron v1.2.0 `Parse` (what the webhook calls) rejects it, or undefined. */
export function robfigCronProblem(expression: string): string | undefined {
  const spec = expression.trim();
  if (spec.startsWith('@')) {
    if (DESCRIPTORS.has(spec)) return undefined;
    if (spec.startsWith('@every '))
      return /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(spec.slice(7).trim()) ? undefined : `failed to parse duration ${spec}`;
    return `unrecognized descriptor: ${spec}`;
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  // Seconds first; the day of week may be left out (DowOptional).
  if (fields.length !== 5 && fields.length !== 6) return `expected 5 to 6 fields, found ${fields.length}: ${spec}`;
  for (const [i, field] of fields.entries()) {
    const bound = BOUNDS[i];
    for (const part of field.split(',')) {
      const [range, step, extra] = part.split('/');
      if (extra !== undefined || (step !== undefined && !/^\d+$/.test(step))) return `invalid step in ${bound.name}: ${part}`;
      if (range === '*' || range === '?') continue;
      const [lowText, highText, more] = range.split('-');
      const low = value(lowText, bound);
      const high = highText === undefined ? low : value(highText, bound);
      if (more !== undefined || low === undefined || high === undefined) return `failed to parse ${bound.name}: ${part}`;
      if (low < bound.min || high > bound.max || low > high) return `${bound.name} ${part} is out of range (${bound.min}-${bound.max})`;
    }
  }
  return undefined;
}

export function scheduledBackupViolations(backup: Loose): AdmissionViolation[] {
  const out: AdmissionViolation[] = [];
  const s = specOf(backup);
  const refuse = refuser('cnpg.scheduledbackup.validate', { repo: CNPG, file: CNPG_SCHEDULED_BACKUP_WEBHOOK, func: 'validate' }, out);
  const problem = robfigCronProblem(String(s.schedule ?? ''));
  if (problem) refuse('spec.schedule', `"${s.schedule ?? ''}": ${problem}`);
  if (s.method === 'barmanObjectStore' && s.online != null)
    refuse('spec.online', 'Online parameter can be specified only if the method is volumeSnapshot');
  if (s.method === 'barmanObjectStore' && s.onlineConfiguration != null)
    refuse('spec.onlineConfiguration', 'OnlineConfiguration parameter can be specified only if the method is volumeSnapshot');
  // The Backup each run creates (api/v1/scheduledbackup_funcs.go CreateBackup copies method,
  // online, onlineConfiguration and pluginConfiguration, and the volumeSnapshotDeadline
  // annotation) meets the Backup webhook: a refusal there fails every scheduled run, silently.
  const backupRule = refuser(
    'cnpg.backup.validate',
    { repo: CNPG, file: 'internal/webhook/v1/backup_webhook.go', func: 'validate (on the Backup this ScheduledBackup creates)' },
    out,
  );
  if (s.method === 'plugin' && !s.pluginConfiguration?.name)
    backupRule('spec.pluginConfiguration', 'cannot be empty when the backup method is plugin (every scheduled Backup would be refused)');
  const deadline = backup.metadata?.annotations?.['cnpg.io/volumeSnapshotDeadline'] as string | undefined;
  if (deadline !== undefined && deadline !== '' && !/^[+-]?\d+$/.test(deadline))
    backupRule('metadata.annotations["cnpg.io/volumeSnapshotDeadline"]', `"${deadline}": must be an integer`);
  return out;
}
