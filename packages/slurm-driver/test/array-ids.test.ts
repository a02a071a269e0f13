import { isHpcError } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { expandSlurmId, formatTaskSpec, parseTaskSpec, readSlurmId } from '../src/array-ids.ts';
import { clusterLimits, parsePartitions, slurmMinutes } from '../src/cluster-config.ts';

describe('SLURM array ids', () => {
  it('reads plain jobs, tasks and collapsed pending records as squeue 22.05 prints them', () => {
    expect(readSlurmId('123')).toEqual({ kind: 'job', jobId: '123' });
    expect(readSlurmId(' 137_9 ')).toEqual({ kind: 'task', arrayId: '137', task: 9 });
    // Printed by the dev cluster for --array=0-20,30,40-50:5%3 (held).
    expect(readSlurmId('137_[0-20,30,40,45,50%3]')).toEqual({
      kind: 'pending-tasks',
      arrayId: '137',
      tasks: [...Array.from({ length: 21 }, (_, i) => i), 30, 40, 45, 50],
    });
    expect(parseTaskSpec('0-99:3')).toHaveLength(34);
    expect(expandSlurmId('154_[0-9:3]')).toEqual(['154_0', '154_3', '154_6', '154_9']);
  });

  it('refuses a truncated expression instead of reading fewer tasks', () => {
    // What squeue prints without SLURM_BITSTR_LEN=0 for a long irregular set.
    const cut = '155_[1,4,9-10,16,25,27,30-31,34';
    expect(() => readSlurmId(cut)).toThrow(/SLURM_BITSTR_LEN=0/);
    try {
      readSlurmId(cut);
    } catch (error) {
      expect(isHpcError(error, 'ArrayTaskSpecError')).toBe(true);
    }
    expect(() => parseTaskSpec('5-1')).toThrow(/empty range/);
    expect(() => parseTaskSpec('1,x')).toThrow(/'x' is not a task id/);
    expect(() => parseTaskSpec('0-9999999999')).toThrow(/more than/);
  });

  it('formats the shortest --array value and round-trips', () => {
    expect(formatTaskSpec([0, 1, 2, 3])).toBe('0-3');
    expect(formatTaskSpec([9, 0, 1, 4, 3, 7, 8], 50)).toBe('0-1,3-4,7-9%50');
    expect(formatTaskSpec([5])).toBe('5');
    const tasks = [0, 2, 3, 4, 10, 11, 999];
    expect(parseTaskSpec(formatTaskSpec(tasks, 7))).toEqual(tasks);
  });
});

describe('cluster limits', () => {
  it('reads MaxArraySize and MaxJobCount, falling back to SLURM defaults', () => {
    const text =
      'Configuration data as of 2026-12-02T13:49:59\nMaxArraySize            = 1001\nMaxJobCount             = 10000\nMaxStepCount = 40000\n';
    expect(clusterLimits(text)).toEqual({ maxArraySize: 1001, maxJobCount: 10_000 });
    expect(clusterLimits('MaxArraySize = 4001\n')).toEqual({ maxArraySize: 4001, maxJobCount: 10_000 });
    expect(clusterLimits('')).toEqual({ maxArraySize: 1001, maxJobCount: 10_000 });
  });

  it('reads partition limits from scontrol show partition -o', () => {
    const line =
      'PartitionName=debug AllowGroups=ALL Default=YES MaxNodes=UNLIMITED MaxTime=2-00:00:00 Nodes=n[1-3] PreemptMode=OFF State=UP TotalCPUs=24 TotalNodes=3 DefMemPerNode=UNLIMITED MaxMemPerNode=6000 TRES=cpu=24,mem=18000M,node=3,billing=24';
    expect(
      parsePartitions(`${line}\nPartitionName=long Default=NO MaxTime=UNLIMITED TRES=cpu=8,mem=1.5G\n`),
    ).toEqual([
      {
        name: 'debug',
        isDefault: true,
        maxTimeMinutes: 2880,
        maxMemPerNodeMiB: 6000,
        totalMemMiB: 18000,
        totalNodes: 3,
        totalCpus: 24,
        preemptMode: 'OFF',
      },
      { name: 'long', isDefault: false, totalMemMiB: 1536 },
    ]);
  });

  it('reads every SLURM time form in minutes', () => {
    expect(slurmMinutes('30')).toBe(30);
    expect(slurmMinutes('30:30')).toBe(31);
    expect(slurmMinutes('1:00:00')).toBe(60);
    expect(slurmMinutes('1-12')).toBe(2160);
    expect(slurmMinutes('1-00:30')).toBe(1470);
    expect(slurmMinutes('UNLIMITED')).toBeUndefined();
    expect(slurmMinutes(undefined)).toBeUndefined();
  });
});

describe('parseSqueue with arrays', () => {
  it('gives each pending task of a collapsed record its own report, and skips a cut-off list', async () => {
    const { parseSqueue } = await import('../src/squeue-parse.ts');
    const text = [
      '137_[3-5,9%2]|PENDING|JobArrayTaskLimit||2026-12-02T13:49:59|N/A|sweep',
      '137_1|RUNNING|None|n1|2026-12-02T13:49:59|2026-12-02T13:50:01|sweep',
      '155_[1,4,9-10,16,25,27,30-31,34|PENDING|JobHeldUser||2026-12-02T13:49:59|N/A|cut',
      '200|COMPLETED|None|n2|2026-12-02T13:49:59|2026-12-02T13:50:01|plain',
    ].join('\n');
    const reports = parseSqueue(text);
    expect([...reports.keys()]).toEqual(['137_3', '137_4', '137_5', '137_9', '137_1', '200']);
    expect(reports.get('137_9')).toMatchObject({
      state: 'PENDING',
      reason: 'JobArrayTaskLimit',
      name: 'sweep',
    });
    expect(reports.get('137_1')).toMatchObject({ state: 'RUNNING', nodes: 'n1' });
  });
});
