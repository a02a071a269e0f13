import { describe, expect, it } from 'vitest';
import { parseCpuTimeMs, parseSlurmSize, schedulerUsageOf } from '../src/sacct-figures.ts';

describe('sacct figures', () => {
  it('reads MaxRSS and ReqMem sizes in binary units', () => {
    expect(parseSlurmSize('1234K')).toEqual({ bytes: 1234 * 1024, perCpu: false });
    expect(parseSlurmSize('2.50M')?.bytes).toBe(2.5 * 1024 ** 2);
    expect(parseSlurmSize('4G')?.bytes).toBe(4 * 1024 ** 3);
    expect(parseSlurmSize('0')?.bytes).toBe(0);
    expect(parseSlurmSize('500Mc')).toEqual({ bytes: 500 * 1024 ** 2, perCpu: true });
    expect(parseSlurmSize('500Mn')).toEqual({ bytes: 500 * 1024 ** 2, perCpu: false });
    for (const bad of ['', 'K', '12X', '1.2.3M']) expect(parseSlurmSize(bad)).toBeUndefined();
  });

  it('reads TotalCPU in every form sacct prints', () => {
    expect(parseCpuTimeMs('00:01.234')).toBe(1234);
    expect(parseCpuTimeMs('00:00.1')).toBe(100);
    expect(parseCpuTimeMs('12:34')).toBe(754_000);
    expect(parseCpuTimeMs('02:03:04')).toBe(7_384_000);
    expect(parseCpuTimeMs('1-02:03:04')).toBe(93_784_000);
    expect(parseCpuTimeMs('1-02:03:04.500')).toBe(93_784_500);
    for (const bad of ['', '12', 'INVALID', '1:2:3:4']) expect(parseCpuTimeMs(bad)).toBeUndefined();
  });

  it('multiplies a per-CPU ReqMem by the CPUs, and leaves out what sacct did not give', () => {
    expect(
      schedulerUsageOf({
        totalCpu: '',
        reqMem: '1G',
        allocCpus: '4',
        elapsedRaw: '',
        timeLimit: 'UNLIMITED',
        nodes: 'None assigned',
      }),
    ).toEqual({ source: 'sacct', reqMemBytes: 1024 ** 3, allocCpus: 4 });
    expect(
      schedulerUsageOf({
        totalCpu: '1-00:00:00',
        reqMem: '1Gc',
        allocCpus: '4',
        elapsedRaw: '90',
        timeLimit: '1-00:00:00',
        nodes: 'n[1-2]',
      }),
    ).toEqual({
      source: 'sacct',
      totalCpuMs: 86_400_000,
      reqMemBytes: 4 * 1024 ** 3,
      allocCpus: 4,
      elapsedMs: 90_000,
      timeLimitMs: 86_400_000,
      nodes: 'n[1-2]',
    });
  });
});
