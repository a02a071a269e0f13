import type { CommandSpec, OptionSpec } from '../command-specs.ts';

/** `hpc dashboard` and `hpc report`: kept here so command-specs.ts stays small; no heavy imports. */
const LOCAL: OptionSpec = {
  type: 'boolean',
  description: 'use the local driver even where SLURM is installed (or set HPC_DRIVER=local|slurm)',
};

export const DASHBOARD_SPEC: CommandSpec = {
  name: 'dashboard',
  summary:
    'a live web page of your jobs on 127.0.0.1 (table, per-job view, batch timeline, stats); prints its URL',
  usage: ['hpc dashboard [--port <n>] [--interval <seconds>] [--host <address>] [--local]'],
  positionals: [0, 0],
  positionalName: '',
  options: {
    port: { type: 'string', value: 'n', description: 'the port to listen on (default: a free one)' },
    interval: {
      type: 'string',
      value: 'seconds',
      description: 'seconds between scheduler polls (default 2)',
    },
    host: {
      type: 'string',
      value: 'address',
      description:
        'listen on another address than 127.0.0.1 (warned: anyone who gets the URL sees your jobs)',
    },
    local: LOCAL,
  },
  details: [
    'It serves until Ctrl-C and opens no browser: open the printed URL. The URL holds a random token;',
    'a request without it (or the cookie the first visit sets) or naming another Host gets 403.',
    'One scheduler poll per interval serves every open page (one squeue and at most one sacct for all',
    'jobs): ten tabs cost what one does. Everything it shows is bundled: it works with no network.',
  ],
  examples: ['hpc dashboard', 'hpc dashboard --port 8765 --interval 5'],
};

export const REPORT_SPEC: CommandSpec = {
  name: 'report',
  summary: 'write the dashboard as one static HTML file (table, per-job summaries, batch timelines, stats)',
  usage: ['hpc report --html <out.html> [--local]'],
  positionals: [0, 0],
  positionalName: '',
  options: {
    html: {
      type: 'string',
      value: 'out.html',
      description: 'the file to write (replaced atomically, mode 0600)',
    },
    local: LOCAL,
  },
  details: ['One status poll, then files only. The file has no script: any browser or mail client shows it.'],
  examples: ['hpc report --html jobs.html'],
};
