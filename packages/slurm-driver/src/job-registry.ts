import { readdirSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { asFileWriteError, type FileModes, isTerminalState, type JobId, makeDirectory } from '@hpc/core';
import { type JobRecordError, JobStoreError } from './errors.ts';
import { FinalStateWriter } from './final-state-writer.ts';
import {
  intentFromRecord,
  JOB_RECORD_VERSION,
  type JobRecord,
  jobsFromRecord,
  readJobRecord,
  readSafely,
  recordPath,
  writeJobRecord,
} from './job-record.ts';
import { JobStore, type StateUpdate, type StoredIntent, type StoredJob } from './job-store.ts';
import { removeFolderRows } from './slurm-forget.ts';
import { defaultStorePath, ensurePrivateFolder, journalModeFor } from './store-location.ts';
import { planSubmission } from './submission-plan.ts';

export interface RegistryOptions {
  /** Every job folder is in this folder, or has a pointer (symbolic link) here: <home>/slurm/jobs. */
  root: string;
  /** The index file (default: defaultStorePath(home), on this host's temporary file system). */
  storePath?: string;
  home: string;
  modes: FileModes;
}

/** One submission in progress: its folder and intent record exist, its job id is not known yet. */
export interface Submission {
  token: string;
  jobDir: string;
  record: JobRecord;
}

/** Tokens of this process's submissions that are between intent and answer: never settled by lookup. */
const inFlight = new Set<string>();

export function isInFlight(token: string): boolean {
  return inFlight.has(token);
}

/**
 * The tracked jobs: job folders (each with its job.json) are the record, shared by every host
 * that sees the home; a per-host SQLite index (JobStore) answers quickly and is rebuilt from the
 * folders when it is missing or corrupt. Each refresh catches up with folders other hosts created
 * (one readdir, skipped while the jobs root is unchanged) and with intents they have since settled.
 */
export class JobRegistry {
  readonly storePath: string;
  readonly root: string;
  /** job.json files the last refresh could not read (file -> error); those folders are not tracked. */
  readonly unreadable = new Map<string, JobRecordError>();
  /** Set when this registry found the index corrupt and rebuilt it from the folders: what it met. */
  rebuiltAfter: JobStoreError | undefined;
  private opened: JobStore | undefined;
  private readonly finalStates: FinalStateWriter;
  private rootStamp: bigint | undefined;

  constructor(private readonly options: RegistryOptions) {
    this.root = resolve(options.root);
    this.storePath = options.storePath ?? defaultStorePath(options.home);
    this.finalStates = new FinalStateWriter(options.modes.file);
  }

  /** The index, opened on first use; a corrupt one is replaced by a rebuild from the folders. */
  store(): JobStore {
    if (this.opened) return this.opened;
    const explicit = this.options.storePath !== undefined;
    const folder = dirname(this.storePath);
    if (!explicit) ensurePrivateFolder(folder, 0o700, this.storePath, this.root);
    const open = () =>
      new JobStore(this.storePath, {
        journalMode: this.storePath === ':memory:' ? 'WAL' : journalModeFor(folder),
        fileMode: this.options.modes.file,
        jobsRoot: this.root,
      });
    try {
      this.opened = open();
    } catch (error) {
      if (!isHpcCorrupt(error)) throw error;
      this.rebuiltAfter = error;
      this.removeIndexFiles();
      this.opened = open();
    }
    this.rootStamp = undefined;
    return this.opened;
  }

  /** Runs `work` on the index; when the index turns out corrupt it is rebuilt and `work` runs once more. */
  withStore<T>(work: (store: JobStore) => T): T {
    try {
      return work(this.store());
    } catch (error) {
      if (!isHpcCorrupt(error)) throw error;
      this.rebuiltAfter = error;
      this.opened?.close();
      this.opened = undefined;
      this.removeIndexFiles();
      this.catchUp(this.store());
      return work(this.store());
    }
  }

  /**
   * Starts a submission: the intent goes into the index, then the job folder (0700) and its
   * job.json (durably) are created, all before sbatch is called. A folder outside the root gets a
   * pointer in it, so every host (and a rebuild) finds it.
   */
  async begin(
    name: string,
    jobsRoot: string,
    planned: Pick<Submission, 'token' | 'jobDir'> = planSubmission(name, jobsRoot),
    /** More of the record, known before sbatch runs (the retry policy): kept by a lookup's adoption too. */
    extra: Partial<JobRecord> = {},
  ): Promise<Submission> {
    const { token, jobDir } = planned;
    const folder = basename(jobDir);
    const record: JobRecord = {
      ...extra,
      version: JOB_RECORD_VERSION,
      driver: 'slurm',
      token,
      name,
      jobDir,
      createdAt: new Date().toISOString(),
      host: hostname(),
      pid: process.pid,
    };
    inFlight.add(token);
    const store = this.store();
    await makeDirectory(this.root, this.options.modes.dir);
    store.addIntent({
      token,
      folder,
      jobDir,
      name,
      createdAt: record.createdAt,
      host: record.host,
      pid: record.pid,
    });
    try {
      await makeDirectory(jobDir, this.options.modes.dir);
      if (dirname(jobDir) !== this.root) symlinkSync(jobDir, join(this.root, folder));
      await writeJobRecord(record, this.options.modes.file, true);
    } catch (error) {
      // Nothing was submitted: undo what was made (a full disk, a read-only jobs root).
      this.abandon({ token, jobDir });
      throw asFileWriteError(error, jobDir, 'create the job folder');
    }
    return { token, jobDir, record };
  }

  /** sbatch (or a lookup by token) gave the job's id: the record and the index say so. */
  async confirm(
    submission: Submission,
    id: JobId,
    idFrom: 'sbatch' | 'lookup',
    details: Partial<JobRecord> = {},
  ): Promise<JobRecord> {
    const record: JobRecord = {
      ...submission.record,
      ...details,
      id,
      idFrom,
      submittedAt: details.submittedAt ?? new Date().toISOString(),
    };
    await writeJobRecord(record, this.options.modes.file, false);
    this.withStore((store) =>
      store.transaction(() => {
        store.removeIntent(submission.token, basename(record.jobDir), 'job');
        store.add({
          id,
          name: record.name,
          jobDir: record.jobDir,
          submittedAt: record.submittedAt as string,
        });
      }),
    );
    inFlight.delete(submission.token);
    return record;
  }

  /**
   * A batch's arrays are all queued: its record says which (batch-record.ts) and the index gets one
   * row per process, in one transaction (10,000 rows: a few tens of ms).
   */
  async confirmBatch(submission: Submission, details: Partial<JobRecord> & Pick<JobRecord, 'batch' | 'id'>) {
    const record: JobRecord = {
      ...submission.record,
      ...details,
      idFrom: 'sbatch',
      submittedAt: details.submittedAt ?? new Date().toISOString(),
    };
    await writeJobRecord(record, this.options.modes.file, false);
    const jobs = jobsFromRecord(record, basename(record.jobDir));
    this.withStore((store) =>
      store.transaction(() => {
        store.removeIntent(submission.token, basename(record.jobDir), 'job');
        for (const job of jobs) store.add(job);
      }),
    );
    inFlight.delete(submission.token);
    return record;
  }

  /** SLURM provably never got the job: its folder, pointer and intent go. */
  abandon(submission: Pick<Submission, 'token' | 'jobDir'>): void {
    const folder = basename(submission.jobDir);
    rmSync(submission.jobDir, { recursive: true, force: true });
    if (dirname(submission.jobDir) !== this.root) rmSync(join(this.root, folder), { force: true });
    try {
      this.store().removeIntent(submission.token, folder, undefined);
    } finally {
      inFlight.delete(submission.token);
    }
  }

  /** The answer never came (timeout, interrupt): the intent stays for a later lookup. */
  release(submission: Pick<Submission, 'token'>): void {
    inFlight.delete(submission.token);
  }

  /** Every tracked job, after catching up with the folders. */
  jobs(): StoredJob[] {
    this.refresh();
    return this.withStore((store) => store.list());
  }

  /** A tracked job; a miss catches up with folders other hosts created before giving up. */
  get(id: string): StoredJob | undefined {
    const found = this.withStore((store) => store.get(id));
    if (found) return found;
    this.refresh();
    return this.withStore((store) => store.get(id));
  }

  intents(): StoredIntent[] {
    return this.withStore((store) => store.intents());
  }

  /** Saves observed states in the index; final ones also go into the jobs' records (FinalStateWriter). */
  update(updates: readonly StateUpdate[]): void {
    this.withStore((store) => {
      store.update(updates);
      for (const update of updates) {
        // Known without a lookup per row: 10,000 batch processes cost 10,000 SELECTs otherwise.
        if (!update.final || update.batchProcess || !isTerminalState(update.state)) continue;
        const job = store.get(update.id);
        // A batch process's outcome.json is its final record (its batch's job.json holds no states).
        if (job && job.batchIndex === undefined) this.finalStates.add(job.id, job.jobDir, update.state);
      }
    });
  }

  /** Resolves once every final state given to update() so far is in its job's record. */
  finalStatesWritten(): Promise<void> {
    return this.finalStates.written();
  }

  /**
   * Stops tracking a job: at once on this host, on others when they rebuild their index or next
   * write the job's state (job.json says so); its folder stays.
   */
  async forget(id: string): Promise<boolean> {
    const job = this.withStore((store) => store.get(id));
    if (!job) return false;
    const record = readJobRecord(job.jobDir);
    if (record) {
      await writeJobRecord(
        { ...record, forgottenAt: new Date().toISOString() },
        this.options.modes.file,
        false,
      );
    }
    return this.withStore((store) =>
      store.transaction(() => {
        store.markFolder(basename(job.jobDir), 'forgotten');
        return store.remove(id);
      }),
    );
  }

  /**
   * Catches up with the folders: entries of the root the index has not read yet (a fresh index
   * reads them all: that is the rebuild), entries that had no readable job.json last time, and
   * intents other processes have settled since. One readdir, skipped while the root is unchanged.
   */
  refresh(): void {
    this.withStore((store) => this.catchUp(store));
  }

  private catchUp(store: JobStore): void {
    // Forgotten by another host (found while writing their final states).
    for (const id of this.finalStates.forgotten) store.remove(id);
    this.finalStates.forgotten.clear();
    const stamp = this.stamp();
    let names: string[];
    if (stamp !== undefined && stamp === this.rootStamp) names = store.unsettledFolders();
    else {
      const known = store.folders();
      const entries = this.entries();
      const present = new Set(entries);
      // A folder forgotten by another host, or a tombstone of an interrupted forget: its rows go too.
      const gone = [...known].filter(([name, kind]) => kind === 'job' && !present.has(name));
      removeFolderRows(store, new Set(gone.map(([name]) => name)));
      names = entries.filter((name) => {
        const kind = known.get(name);
        return kind === undefined || kind === 'pending' || kind === 'unreadable';
      });
    }
    const found = names.map((name) => ({ name, ...readSafely(join(this.root, name)) }));
    // Intents settled by another process: their record now has an id (or says forgotten).
    const settled = store
      .intents()
      .filter((intent) => !inFlight.has(intent.token))
      .map((intent) => ({ intent, ...readSafely(intent.jobDir) }))
      .filter(({ record }) => record?.id !== undefined || record?.forgottenAt !== undefined);
    if (found.length === 0 && settled.length === 0) {
      this.rootStamp = stamp;
      return;
    }
    store.transaction(() => {
      for (const { name, record, error } of found) {
        const file = recordPath(join(this.root, name));
        if (error) this.unreadable.set(file, error);
        else this.unreadable.delete(file);
        if (!record) store.markFolder(name, error ? 'unreadable' : 'pending');
        else if (record.forgottenAt) store.markFolder(name, 'forgotten');
        else if (record.id !== undefined) for (const job of jobsFromRecord(record, name)) store.add(job);
        else store.addIntent(intentFromRecord(record, name));
      }
      for (const { intent, record } of settled) {
        if (record?.forgottenAt) store.removeIntent(intent.token, intent.folder, 'forgotten');
        else if (record) {
          store.removeIntent(intent.token, intent.folder, 'job');
          for (const job of jobsFromRecord(record, intent.folder)) store.add(job);
        }
      }
    });
    this.rootStamp = stamp;
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
  }

  private entries(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((entry) => !entry.name.startsWith('.') && (entry.isDirectory() || entry.isSymbolicLink()))
        .map((entry) => entry.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** The root's modification time: it changes whenever a folder is added or removed. */
  private stamp(): bigint | undefined {
    try {
      return statSync(this.root, { bigint: true }).mtimeNs;
    } catch {
      return undefined;
    }
  }

  private removeIndexFiles(): void {
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      try {
        unlinkSync(`${this.storePath}${suffix}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new JobStoreError(
            this.storePath,
            'corrupt',
            `it is damaged and cannot be removed (${(error as Error).message})`,
            this.root,
            { cause: error },
          );
        }
      }
    }
  }
}

function isHpcCorrupt(error: unknown): error is JobStoreError {
  return error instanceof JobStoreError && error.problem === 'corrupt';
}
