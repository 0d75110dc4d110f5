import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatPercent, formatTimestamp } from './format';

describe('format', () => {
  it('formats counts and bytes', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50.0 MiB');
  });

  it('formats shares, marking tiny ones', () => {
    expect(formatPercent(1, 4)).toBe('25.0%');
    expect(formatPercent(1, 100000)).toBe('<0.1%');
    expect(formatPercent(0, 10)).toBe('0.0%');
    expect(formatPercent(1, 0)).toBe('—');
  });

  it('keeps every fractional digit of a timestamp', () => {
    expect(formatTimestamp('2024-05-01T12:00:00.123456789Z')).toBe('2024-05-01 12:00:00.123456789 UTC');
    expect(formatTimestamp('2024-05-01T12:00:00Z')).toBe('2024-05-01 12:00:00 UTC');
    expect(formatTimestamp('not a date')).toBe('not a date');
  });

  it('measures spans with nanosecond precision', () => {
    expect(formatDuration('2024-05-01T12:00:00.000000001Z', '2024-05-01T12:00:00.000000003Z')).toBe('0.000000002 s');
    expect(formatDuration('2024-05-01T12:00:00.5Z', '2024-05-01T12:01:02.75Z')).toBe('1 min 02.25 s');
    expect(formatDuration('2024-05-01T10:00:00Z', '2024-05-01T12:03:04Z')).toBe('2 h 03 min 04 s');
    expect(formatDuration('2024-05-01T12:00:00.100000Z', '2024-05-01T12:00:00.100000Z')).toBe('0.000000 s');
    expect(formatDuration('x', '2024-05-01T12:00:00Z')).toBeNull();
  });
});
