import { enableRunnerCompileCache } from './compile-cache.ts';

/** dist/node-runner-compile-cache.mjs: `node --import` it before the runner (see runnerCommand). */
enableRunnerCompileCache();
