import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parsePositiveDuration } from '../../lib/mongo-snapshot/duration';

describe('parseDuration', () => {
  it.each([
    ['90', 90_000],
    ['0', 0],
    ['1.5', 1500],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    [' 45S ', 45_000],
    ['0.5s', 500],
  ])('%s -> %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', 'abc', '10x', '-5', '5 m', 'm', '1h1h', '1.2.3', 's10', '10s5', 'NaN', 'Infinity', '1e3'])('rejects %j', (input) => {
    expect(() => parseDuration(input)).toThrow(/duration/);
  });

  it('positive durations reject zero', () => {
    expect(() => parsePositiveDuration('0')).toThrow(/greater than zero/);
    expect(() => parsePositiveDuration('0s')).toThrow(/greater than zero/);
    expect(parsePositiveDuration('1')).toBe(1000);
  });

  it('rejects absurd values', () => {
    expect(() => parseDuration('100000h')).toThrow(/too large/);
  });

  it('formats', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(1500)).toBe('1.50s');
    expect(formatDuration(1_800_000)).toBe('30.0m');
  });
});
