/**
 * The dashboard server with 10,000 tracked jobs: its CPU time (process.cpuUsage, the server's
 * process alone: the SSE clients run in a child process) and its scheduler polls per minute,
 * with 0 and with 10 event-stream clients, one phase each.
 * The driver is synthetic (in memory: 9,000 finished, 800 running, 200 pending jobs) so the
 * figure is the dashboard's own cost; each of its checkAllJobStatuses() calls is what costs one
 * squeue and at most one sacct on SLURM (cli-dashboard.int.test.ts counts those on the cluster).
 * Run: source scripts/env.sh && hpc_use_toolchain && \
 *      node --experimental-transform-types --no-warnings --conditions=@hpc/source benchmarks/dashboard.bench.ts [seconds = 60] [jobs = 10000]
 */
import { spawn } from 'node:child_process';
import { startDashboard } from '../apps/cli/src/dashboard/server.ts';
import type { Driver, JobDescription, JobState } from '../packages/core/src/index.ts';

const SECONDS = Number(process.argv[2] ?? 60);
const JOBS = Number(process.argv[3] ?? 10_000);

let polls = 0;
const started = new Date(Date.now() - 3_600_000).toISOString();
const states = new Map<string, JobState>();
for (let i = 0; i < JOBS; i++) {
  const id = i < JOBS * 0.5 ? `${1000 + Math.floor(i / 100)}_${i % 100}` : String(100_000 + i);
  const status = i % 50 < 45 ? 'completed' : i % 50 < 49 ? 'running' : 'pending';
  const state = { status, name: `Class${i % 7}`, submittedAt: started, node: 'n1' } as JobState;
  if (status !== 'pending') state.startedAt = started;
  if (status === 'completed') state.endedAt = new Date().toISOString();
  states.set(id, state);
}
const tracked = [...states.keys()].map((id) => ({
  id,
  driver: 'slurm',
  name: 'bench',
  jobDir: `/nonexistent/${id}`,
  submittedAt: started,
}));

const driver = {
  kind: 'slurm',
  async checkAllJobStatuses() {
    polls++;
    return new Map(states);
  },
  async listJobs() {
    return tracked;
  },
  async describeJob(id: string): Promise<JobDescription> {
    const state = states.get(id) as JobState;
    return {
      id: id as JobDescription['id'],
      driver: 'slurm',
      name: state.name ?? '',
      state,
      history: [],
      requested: { memBytes: 2 ** 30 },
      efficiency: { memory: { peakBytes: 2 ** 28, requestedBytes: 2 ** 30, ratio: 0.25, from: 'runner' } },
      logs: { stdout: { file: 'job.out', tail: '' }, stderr: { file: 'job.err', tail: '' } },
      jobDir: `/nonexistent/${id}`,
    };
  },
  async stats() {
    return { jobs: JOBS, classes: [] };
  },
} as unknown as Driver;

// Ten event streams (the table's topic: every row at every poll), counting the bytes they get.
const CLIENTS = `
const http = require('node:http');
const [base, cookie, n] = process.argv.slice(1);
let bytes = 0, events = 0;
for (let i = 0; i < Number(n); i++)
  http.get(base + '/events?topic=jobs', { headers: { cookie } }, (res) => res.on('data', (c) => {
    bytes += c.length; events += String(c).split('event: update').length - 1;
  }));
process.on('SIGTERM', () => { process.stdout.write(JSON.stringify({ bytes, events })); process.exit(0); });
`;

const dashboard = await startDashboard({ driver, intervalMs: 2000 });
const cookie = `hpc_dashboard_${dashboard.port}=${new URL(dashboard.url).searchParams.get('token')}`;
const base = dashboard.url.slice(0, dashboard.url.indexOf('/?'));
// Warm-up: the first polls describe finished jobs for the efficiency column (100 per poll).
await new Promise((resolve) => setTimeout(resolve, 5000));

async function phase(clients: number) {
  const child = clients ? spawn(process.execPath, ['-e', CLIENTS, base, cookie, String(clients)]) : undefined;
  let out = '';
  child?.stdout.on('data', (chunk) => {
    out += chunk;
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const cpu = process.cpuUsage();
  const polls0 = polls;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const used = process.cpuUsage(cpu);
  const minutes = (performance.now() - t0) / 60_000;
  const pollsPerMinute = (polls - polls0) / minutes;
  child?.kill('SIGTERM');
  if (child) await new Promise((resolve) => child.on('exit', resolve));
  const received = out ? (JSON.parse(out) as { bytes: number; events: number }) : { bytes: 0, events: 0 };
  return {
    clients,
    cpuMsPerMinute: (used.user + used.system) / 1000 / minutes,
    pollsPerMinute,
    eventsPerClientPerMinute: clients ? received.events / clients / minutes : 0,
    mbPerClientPerMinute: clients ? received.bytes / clients / minutes / 1e6 : 0,
  };
}

const rows = [await phase(0), await phase(10)];
await dashboard.close();
console.log(`dashboard server, ${JOBS} tracked jobs, poll every 2 s, ${SECONDS} s per phase`);
console.log(
  'SSE clients | server CPU ms/min | CPU % of one core | scheduler polls/min | events/client/min | MB/client/min',
);
for (const r of rows)
  console.log(
    `${String(r.clients).padStart(11)} | ${r.cpuMsPerMinute.toFixed(0).padStart(16)} | ${((r.cpuMsPerMinute / 60_000) * 100).toFixed(1).padStart(17)} | ${r.pollsPerMinute.toFixed(1).padStart(19)} | ${r.eventsPerClientPerMinute.toFixed(1).padStart(17)} | ${r.mbPerClientPerMinute.toFixed(2).padStart(13)}`,
  );
