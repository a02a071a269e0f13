import { ObjectSerializer, Serializer } from '@hpc/serializer';
import { markPhase, timingsEnabled } from './startup-timings.ts';

/**
 * With HPC_RUNNER_TIMINGS=1, marks the crate-read, run and result phases from inside
 * JobContainer.execute() by wrapping the serializer entry points it calls (the crate's decoding,
 * then the encoding of run()'s value). Off, nothing is wrapped. A run() that throws has no 'run'
 * mark: its time is then part of 'resultWriteAndOutcome'.
 */
export function installPhaseHooks(): void {
  if (!timingsEnabled) return;
  const deserialize = Serializer.deserializeFromFile.bind(Serializer);
  Serializer.deserializeFromFile = (async (...args: Parameters<typeof deserialize>) => {
    const value = await deserialize(...args);
    markPhase('crateRead');
    return value;
  }) as typeof Serializer.deserializeFromFile;
  const load = ObjectSerializer.prototype.load;
  ObjectSerializer.prototype.load = async function (
    this: ObjectSerializer,
    ...args: Parameters<typeof load>
  ) {
    const value = await load.apply(this, args);
    markPhase('crateRead');
    return value;
  } as typeof load;
  const encode = Serializer.encode.bind(Serializer);
  Serializer.encode = (...args: Parameters<typeof encode>) => {
    markPhase('run');
    const pieces = encode(...args);
    markPhase('resultEncode');
    return pieces;
  };
}
