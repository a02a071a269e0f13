import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Long-lived bash processes that run SLURM commands for the driver. Starting a process from Node
 * costs several milliseconds (more than sbatch itself); a relay pays it once and then only forks
 * the command. (node:child_process here, not execa: the relay must be unref()-able so an idle one
 * never keeps the user's program alive.) Requests are argument arrays sent NUL-separated over stdin and executed as
 * "${argv[@]}" — never parsed by a shell — and only SLURM's own commands are accepted.
 *
 * Protocol (one request at a time per relay):
 *   in:  <field count>\0 <cwd>\0 <command>\0 <arg>\0 ...
 *   out: <exit code>\0 <stdout>\0 <stderr>\0
 */
const RELAY_SCRIPT = String.raw`
out=$(mktemp) && err=$(mktemp) || exit 1
trap 'rm -f -- "$out" "$err"' EXIT
while IFS= read -r -d '' count; do
  fields=()
  for ((i = 0; i < count; i++)); do IFS= read -r -d '' field || exit 0; fields+=("$field"); done
  argv=("${'$'}{fields[@]:1}")
  case "${'$'}{argv[0]##*/}" in
    sbatch|squeue|sacct|scancel|scontrol|sinfo)
      if cd -- "${'$'}{fields[0]}" 2>"$err"; then "${'$'}{argv[@]}" <"/dev/null" >"$out" 2>"$err"; rc=$?; else rc=126; : >"$out"; fi ;;
    *) printf 'relay: refusing to run %s\n' "${'$'}{argv[0]}" >"$err"; : >"$out"; rc=126 ;;
  esac
  IFS= read -r -d '' stdout <"$out"
  IFS= read -r -d '' stderr <"$err"
  printf '%s\0%s\0%s\0' "$rc" "$stdout" "$stderr"
done
`;

export interface RelayResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

interface Pending {
  resolve: (result: RelayResult) => void;
  timer: NodeJS.Timeout;
}

/** One bash relay: requests are answered in order; a timeout kills it (a new one replaces it). */
class Relay {
  private readonly child: ChildProcess;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  dead = false;

  constructor(env: Record<string, string> | undefined) {
    this.child = spawn('bash', ['--noprofile', '--norc', '-c', RELAY_SCRIPT], {
      stdio: ['pipe', 'pipe', 'ignore'],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.on('exit', () => this.fail('the relay shell exited'));
    this.child.on('error', (error) => this.fail(`the relay shell failed to start (${error.message})`));
    this.child.stdin?.on('error', () => this.fail('the relay shell closed its input'));
    // An idle relay must not keep the user's program alive; a request's timer does while it runs.
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref(): void }).unref();
  }

  get busy(): number {
    return this.pending.length;
  }

  request(argv: readonly string[], cwd: string, timeoutMs: number): Promise<RelayResult> {
    if (argv.some((field) => field.includes('\0')) || cwd.includes('\0')) {
      return Promise.resolve({
        exitCode: 126,
        stdout: '',
        stderr: 'relay: arguments may not contain NUL',
        timedOut: false,
      });
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.fail('timeout', true), timeoutMs);
      this.pending.push({ resolve, timer });
      this.child.stdin?.write(`${argv.length + 1}\0${cwd}\0${argv.join('\0')}\0`);
    });
  }

  close(): void {
    this.dead = true;
    this.child.kill('SIGKILL');
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const ends: number[] = [];
      let from = 0;
      while (ends.length < 3) {
        const end = this.buffered.indexOf(0, from);
        if (end < 0) return;
        ends.push(end);
        from = end + 1;
      }
      const [a, b, c] = ends as [number, number, number];
      const result: RelayResult = {
        exitCode: Number(this.buffered.toString('utf8', 0, a)),
        // Like execa (the direct path), drop the final newline.
        stdout: this.buffered.toString('utf8', a + 1, b).replace(/\n$/, ''),
        stderr: this.buffered.toString('utf8', b + 1, c).replace(/\n$/, ''),
        timedOut: false,
      };
      this.buffered = this.buffered.subarray(c + 1);
      const next = this.pending.shift();
      if (next) {
        clearTimeout(next.timer);
        next.resolve(result);
      }
    }
  }

  /** Ends every pending request (as timed out, or as a failure of the relay) and stops the shell. */
  private fail(reason: string, timedOut = false): void {
    if (!this.dead) this.close();
    for (const next of this.pending.splice(0)) {
      clearTimeout(next.timer);
      next.resolve({ exitCode: -1, stdout: '', stderr: `relay: ${reason}`, timedOut });
    }
  }
}

/** A few relays; each request goes to the least busy one. Relays start on first use. */
export class CommandRelayPool {
  private readonly relays: Relay[] = [];

  constructor(
    private readonly size: number,
    private readonly env?: Record<string, string>,
  ) {}

  run(argv: readonly string[], cwd: string, timeoutMs: number): Promise<RelayResult> {
    for (let i = this.relays.length - 1; i >= 0; i--) if (this.relays[i]?.dead) this.relays.splice(i, 1);
    let relay = this.relays.find((candidate) => candidate.busy === 0);
    if (!relay && this.relays.length < this.size) {
      relay = new Relay(this.env);
      this.relays.push(relay);
    }
    relay ??= this.relays.reduce((least, candidate) => (candidate.busy < least.busy ? candidate : least));
    return relay.request(argv, cwd, timeoutMs);
  }

  close(): void {
    for (const relay of this.relays.splice(0)) relay.close();
  }
}
