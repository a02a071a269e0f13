import { hpcHome } from '@hpc/core';
import { DEFAULT_LMOD_INIT } from '@hpc/slurm-driver';
import type { CliContext } from '../cli-context.ts';
import {
  type CheckResult,
  type CheckStatus,
  checkAccounting,
  checkBlosc,
  checkConfig,
  checkController,
  checkDriver,
  checkLmod,
  checkNode,
  checkNodeRunner,
  checkQueue,
  checkSlurmCommands,
} from '../doctor-checks.ts';
import { probeCluster } from '../doctor-probe.ts';
import { checkStateFolder, checkStatePrivacy, surveyState } from '../doctor-state.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { shown, toSafeJson } from '../output-safety.ts';
import { flagOption, type OptionValues } from '../parse-command-line.ts';
import type { Style } from '../terminal-style.ts';

/**
 * hpc doctor [--json]: every check with what to fix; exit 1 when one failed.
 * Details carry paths and the scheduler's own words, so they are shown escaped.
 */
export async function runDoctor(
  values: OptionValues,
  _positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const home = hpcHome(ctx.env);
  const stateFolder = await checkStateFolder(home, ctx.env);
  const survey = await surveyState(home);
  const checks: CheckResult[] = [
    checkNode(),
    checkDriver(ctx.env),
    stateFolder,
    await checkStatePrivacy(home, ctx.env, survey),
    survey.store,
    await checkNodeRunner(),
    checkConfig(ctx.env, ctx.cwd),
  ];
  const slurm = checkSlurmCommands(ctx.env.PATH ?? '');
  checks.push(slurm.result);
  if (slurm.installed) {
    const controller = await checkController();
    checks.push(controller);
    const unreachable = { status: 'skip', detail: 'the controller is not reachable' } as const;
    checks.push(
      controller.status === 'ok' ? await checkQueue() : { name: 'queue', ...unreachable },
      controller.status === 'ok' ? await checkAccounting() : { name: 'accounting', ...unreachable },
    );
  } else {
    checks.push(
      { name: 'controller', status: 'skip', detail: 'no SLURM here' },
      { name: 'queue', status: 'skip', detail: 'no SLURM here' },
      { name: 'accounting', status: 'skip', detail: 'no SLURM here' },
    );
  }
  checks.push(checkLmod(DEFAULT_LMOD_INIT, ctx.env), await checkBlosc());
  if (flagOption(values, 'probe')) checks.push(await runProbe(ctx, checks));

  const failed = checks.some((check) => check.status === 'fail');
  if (flagOption(values, 'json')) {
    ctx.stdout.write(`${toSafeJson({ ok: !failed, checks })}\n`);
  } else {
    const { style } = ctx.stdout;
    const width = Math.max(...checks.map((check) => check.name.length));
    for (const check of checks) {
      ctx.stdout.write(`${mark(check.status, style)} ${check.name.padEnd(width)}  ${shown(check.detail)}\n`);
      if (check.fix && check.status !== 'ok')
        ctx.stdout.write(`${' '.repeat(width + 7)}${style.dim(`→ ${shown(check.fix)}`)}\n`);
    }
    const warnings = checks.filter((check) => check.status === 'warn').length;
    ctx.stdout.write(
      failed
        ? style.red('some checks failed: fix them as shown above\n')
        : `all good${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}\n`,
    );
  }
  return failed ? EXIT_CODES.failed : EXIT_CODES.ok;
}

/** --probe: one tiny job through the driver hpc would use here (skipped when a check it needs failed). */
async function runProbe(ctx: CliContext, checks: readonly CheckResult[]): Promise<CheckResult> {
  const blocking = checks.find((check) => check.status === 'fail');
  if (blocking)
    return { name: 'probe job', status: 'skip', detail: `not submitted: '${blocking.name}' failed` };
  const { kind } = chooseDriver({ local: false, env: ctx.env });
  const driver = await createDriver(kind);
  try {
    return await probeCluster(driver);
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}

function mark(status: CheckStatus, style: Style): string {
  switch (status) {
    case 'ok':
      return style.green('ok  ');
    case 'warn':
      return style.yellow('warn');
    case 'fail':
      return style.red('FAIL');
    default:
      return style.dim('skip');
  }
}
