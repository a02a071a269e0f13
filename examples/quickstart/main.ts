/**
 * Quickstart: build a Process, submit it (local driver by default, or SLURM with HPC_DRIVER=slurm
 * when the slurm-driver is built), watch its state, print its result.
 *   bash scripts/quickstart.sh
 */
import { type Driver, describeJobState, type JobState } from '@hpc/core';
import { LocalDriver } from '@hpc/local-driver';
import { MyProcess } from './my-process.ts';

async function chooseDriver(): Promise<Driver> {
  if (process.env.HPC_DRIVER === 'slurm') {
    const { SLURMDriver } = await import('@hpc/slurm-driver');
    return new SLURMDriver();
  }
  return new LocalDriver();
}

const driver = await chooseDriver();
const values = Float64Array.from({ length: 2_000_000 }, (_, i) => Math.sin(i / 1000));
const id = await driver.submitJob(new MyProcess('Sample Data', values), { name: 'quickstart' });
console.log(`submitted job ${id} to the ${driver.kind} driver`);

const started = Date.now();
let state: JobState = await driver.checkJobStatus(id);
const line = () =>
  `\r[${id}] ${describeJobState(state).padEnd(24)} ${((Date.now() - started) / 1000).toFixed(1)} s`;
// On a terminal the line redraws in place; in a log file each state change is one line.
const tty = process.stdout.isTTY === true;
const ticker = tty ? setInterval(() => process.stdout.write(line()), 100) : undefined;
state = await driver.waitForJob(id, {
  onState: (next) => {
    state = next;
    process.stdout.write(tty ? line() : `${line().slice(1)}\n`);
  },
});
clearInterval(ticker);
if (tty) process.stdout.write(`${line()}\n`);

if (state.status === 'completed') {
  console.log('result:', await driver.getResult(id));
  console.log(`logs:\n${await driver.logs(id)}`);
} else {
  await driver.getResult(id).catch((error: unknown) => console.error(error));
  process.exitCode = 1;
}
