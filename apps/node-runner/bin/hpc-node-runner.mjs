#!/usr/bin/env node
// The hpc-node-runner command: @hpc/runner's self-contained runner bundle (dist/node-runner.mjs,
// with the HDF5 files it loads from beside itself) does the work; this entry only starts it.
import { pathToFileURL } from 'node:url';
import { nodeRunnerPath } from '@hpc/runner';

await import(pathToFileURL(nodeRunnerPath).href);
