/** The hidden command line of the process that supervises one local job (see local-host.ts). */
export const LOCAL_HOST_COMMAND = '__local-host';

export function isLocalHostInvocation(argv: readonly string[]): boolean {
  return argv[0] === LOCAL_HOST_COMMAND;
}
