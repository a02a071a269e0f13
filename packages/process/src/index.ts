export {
  type AnyClass,
  ClassRegistrationError,
  type RegisteredClass,
  type RegisterOptions,
  registerClass,
  registeredClassById,
  registeredClassIds,
  registeredClassOf,
  unregisterClass,
} from './class-registry.ts';
export { isProcess, Process, registerProcess } from './process.ts';
export type { AbortReason, Logger, RunContext } from './run-context.ts';
