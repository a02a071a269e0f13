import {
  COMMAND_NAMES,
  COMMAND_SPECS,
  type CommandSpec,
  GLOBAL_OPTIONS,
  type OptionSpec,
} from './command-specs.ts';

/** `hpc --help`: every command with one line, and the exit codes. */
export function renderMainHelp(version: string): string {
  const width = Math.max(...COMMAND_NAMES.map((name) => name.length));
  const lines = [
    `hpc ${version} — run Process jobs on SLURM or on this machine with the same commands`,
    '',
    'usage: hpc <command> [options]',
    '',
    'commands:',
    ...COMMAND_NAMES.map((name) => `  ${name.padEnd(width)}  ${COMMAND_SPECS[name].summary}`),
    '',
    'options for every command:',
    ...renderOptions(GLOBAL_OPTIONS),
    '  --version           print the version',
    '',
    'driver: SLURM when sbatch is on PATH, the local driver otherwise; --local or HPC_DRIVER=local|slurm to choose.',
    'state:  $HPC_HOME (default ~/.hpc).   colours: only on a terminal; NO_COLOR=1 turns them off.',
    'exit codes: 0 ok · 1 a job or the operation failed · 2 usage error',
    '',
    'example:',
    '  id=$(hpc submit my-process.ts --args \'["hello"]\')',
    '  hpc status "$id" --watch && hpc result "$id"',
    '',
    "run 'hpc <command> --help' for a command's options and examples.",
  ];
  return `${lines.join('\n')}\n`;
}

/** `hpc <command> --help`: usage, options, details and examples. */
export function renderCommandHelp(spec: CommandSpec): string {
  const lines = [
    `hpc ${spec.name} — ${spec.summary}`,
    '',
    'usage:',
    ...spec.usage.map((line) => `  ${line}`),
    '',
    'options:',
    ...renderOptions({ ...spec.options, ...GLOBAL_OPTIONS }),
  ];
  if (spec.details?.length) lines.push('', ...spec.details);
  lines.push(
    '',
    spec.examples.length > 1 ? 'examples:' : 'example:',
    ...spec.examples.map((line) => `  ${line}`),
  );
  return `${lines.join('\n')}\n`;
}

function renderOptions(options: Readonly<Record<string, OptionSpec>>): string[] {
  const labels = Object.entries(options).map(([name, option]) => {
    const short = option.short ? `-${option.short}, ` : '';
    const value = option.type === 'string' ? ` <${option.value ?? 'value'}>` : '';
    const repeat = option.multiple ? '...' : '';
    return [`${short}--${name}${value}${repeat}`, option.description] as const;
  });
  const width = Math.max(18, ...labels.map(([label]) => label.length));
  return labels.map(([label, description]) => `  ${label.padEnd(width)}  ${description}`);
}
