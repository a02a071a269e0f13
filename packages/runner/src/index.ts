export { type BundledModules, installModuleHooks } from './module-hooks.ts';
export {
  type BatchTaskArgs,
  formatRunnerArgs,
  parseRunnerArgs,
  RUNNER_USAGE,
  type RunnerArgs,
  RunnerUsageError,
} from './runner-args.ts';
export { nodeRunnerPath, type RunnerCommandOptions, runnerCommand } from './runner-command.ts';
