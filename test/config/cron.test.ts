// Reading cron schedules as robfig/cron reads them (Kubernetes and Velero: v3.0.1; CloudNativePG's
// ScheduledBackup: v1.2.0): the gaps every backup-freshness alert and the DR heartbeat are built on.
import { describe, expect, it } from 'vitest';
import { checkCron, maxIntervalSeconds, minIntervalSeconds } from '../../lib/config/cron';
import { configErrors, lineOf } from '../support/fleet';
import { drFleet } from '../support/dr-fleet';

const DAY = 86_400;

describe('cron gaps', () => {
  it('a schedule with one run in years has its real gap, not 0 (29 February: 4 years, 8 across 2100)', () => {
    expect(maxIntervalSeconds('0 0 0 29 2 *', 'cnpg')).toBe(2921 * DAY);
    expect(minIntervalSeconds('0 0 0 29 2 *', 'cnpg')).toBe(1461 * DAY);
    expect(maxIntervalSeconds('0 0 29 2 *', 'kubernetes')).toBe(2921 * DAY);
    expect(maxIntervalSeconds('@yearly', 'kubernetes')).toBe(366 * DAY);
    expect(maxIntervalSeconds('@monthly', 'kubernetes')).toBe(31 * DAY);
    expect(minIntervalSeconds('@monthly', 'kubernetes')).toBe(28 * DAY);
  });

  it('ordinary schedules keep their gaps', () => {
    expect(maxIntervalSeconds('0 0 2 * * *', 'cnpg')).toBe(DAY);
    expect(maxIntervalSeconds('0 30 1 * * 0', 'cnpg')).toBe(7 * DAY);
    expect([maxIntervalSeconds('0 */6 * * *', 'kubernetes'), minIntervalSeconds('0 */6 * * *', 'kubernetes')]).toEqual([21_600, 21_600]);
    expect([maxIntervalSeconds('0 3,5 * * *', 'kubernetes'), minIntervalSeconds('0 3,5 * * *', 'kubernetes')]).toEqual([
      22 * 3600,
      2 * 3600,
    ]);
  });

  it('"*/1" in a day field is unrestricted, as robfig/cron reads it: both day fields must match, not either', () => {
    // Mondays only (day of month unrestricted), like "0 3 * * 1".
    expect(maxIntervalSeconds('0 3 */1 * 1', 'kubernetes')).toBe(7 * DAY);
    expect(minIntervalSeconds('0 3 */1 * 1', 'kubernetes')).toBe(7 * DAY);
    expect(minIntervalSeconds('0 0 3 */1 * 1', 'cnpg')).toBe(7 * DAY);
    expect(minIntervalSeconds('0 3 1 * */1', 'kubernetes')).toBe(28 * DAY);
    // Both restricted: the 1st or a Monday.
    expect(minIntervalSeconds('0 3 1 * 1', 'kubernetes')).toBe(DAY);
    // "*/2" is restricted in v3 (Kubernetes: odd days or Mondays), unrestricted in v1.2.0 (CNPG: odd Mondays).
    expect(maxIntervalSeconds('0 3 */2 * 1', 'kubernetes')).toBe(2 * DAY);
    expect(minIntervalSeconds('0 0 3 */2 * 1', 'cnpg')).toBe(7 * DAY);
  });

  it('a schedule naming no date, and a day of week 7, are refused as robfig/cron refuses or never runs them', () => {
    expect(checkCron('0 0 0 30 2 *', 'cnpg')).toBe('never runs: no date matches its day of month, month and day of week');
    expect(checkCron('0 0 31 4,6 *', 'kubernetes')).toBe('never runs: no date matches its day of month, month and day of week');
    expect(checkCron('0 0 31 4,5 *', 'kubernetes')).toBeUndefined();
    expect(checkCron('0 3 * * 7', 'kubernetes')).toBe('field 5 (day of week) "7" is out of range 0-6');
    expect(() => maxIntervalSeconds('0 0 30 2 *', 'kubernetes')).toThrow(/never runs/);
  });

  it('a backup schedule that never runs is a config error at its line', () => {
    const text = drFleet('shared').replace('schedule: "0 0 3 * * *"', 'schedule: "0 0 3 30 2 *"');
    expect(configErrors(text)).toEqual([
      `fleet.yaml:${lineOf(text, '0 0 3 30 2 *')}: environments.main-dr.backups.objectStore.schedule: "0 0 3 30 2 *" never runs: no date matches its day of month, month and day of week`,
    ]);
  });
});
