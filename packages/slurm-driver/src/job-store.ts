import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { asJobId, isTerminalState, type JobState } from '@hpc/core';
import { JobStoreError } from './errors.ts';
import type {
  FolderKind,
  NewJob,
  StateUpdate,
  StoredIntent,
  StoredJob,
  StoreOptions,
} from './job-store-types.ts';
import { createPrivateFile } from './store-location.ts';

export {
  type FolderKind,
  type NewJob,
  type StateUpdate,
  type StoredIntent,
  type StoredJob,
  type StoreOptions,
  trackedJobOf,
} from './job-store-types.ts';

const SCHEMA_VERSION = 4;

/**
 * The SLURM driver's index of tracked jobs, in SQLite (node:sqlite): one file per host, shared by
 * that host's processes. The job folders are the record (job-record.ts); this is the fast way to
 * answer "which jobs, in which state" and is rebuilt from them (job-registry.ts) when it is lost.
 */
export class JobStore {
  readonly path: string;
  private readonly jobsRoot: string;
  private readonly db: DatabaseSync;
  private readonly statements: Record<
    | 'insert'
    | 'get'
    | 'range'
    | 'all'
    | 'active'
    | 'update'
    | 'remove'
    | 'attempt'
    | 'addIntent'
    | 'intents'
    | 'removeIntent'
    | 'markFolder'
    | 'folders'
    | 'unsettledFolders',
    StatementSync
  >;

  constructor(path: string, options: StoreOptions = {}) {
    this.path = path;
    this.jobsRoot = options.jobsRoot ?? '(unknown)';
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      if (!existsSync(path)) createPrivateFile(path, options.fileMode ?? 0o600);
    }
    try {
      this.db = new DatabaseSync(path);
      this.db.exec('PRAGMA busy_timeout = 10000');
      if (path !== ':memory:') this.db.exec(`PRAGMA journal_mode = ${options.journalMode ?? 'WAL'}`);
      this.db.exec('PRAGMA synchronous = NORMAL');
      this.migrate();
    } catch (error) {
      throw this.translate(error);
    }
    const prepare = (sql: string) => this.db.prepare(sql);
    this.statements = {
      insert: prepare(
        `INSERT OR REPLACE INTO slurm_jobs (id, name, job_dir, submitted_at, state, terminal, missing_since, batch_index, scheduler_id)
         VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
      ),
      get: prepare('SELECT * FROM slurm_jobs WHERE id = ?'),
      range: prepare('SELECT * FROM slurm_jobs WHERE id >= ? AND id < ? ORDER BY batch_index, rowid'),
      all: prepare('SELECT * FROM slurm_jobs ORDER BY submitted_at, rowid'),
      active: prepare('SELECT * FROM slurm_jobs WHERE terminal = 0 ORDER BY rowid'),
      update: prepare('UPDATE slurm_jobs SET state = ?, terminal = ?, missing_since = ? WHERE id = ?'),
      remove: prepare('DELETE FROM slurm_jobs WHERE id = ?'),
      attempt: prepare(
        'UPDATE slurm_jobs SET scheduler_id = ?, state = ?, terminal = 0, missing_since = NULL WHERE id = ?',
      ),
      addIntent: prepare(
        `INSERT OR REPLACE INTO slurm_intents (token, folder, job_dir, name, created_at, host, pid)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      intents: prepare('SELECT * FROM slurm_intents ORDER BY created_at'),
      removeIntent: prepare('DELETE FROM slurm_intents WHERE token = ?'),
      markFolder: prepare('INSERT OR REPLACE INTO slurm_folders (name, kind) VALUES (?, ?)'),
      folders: prepare('SELECT name, kind FROM slurm_folders'),
      unsettledFolders: prepare("SELECT name FROM slurm_folders WHERE kind IN ('pending', 'unreadable')"),
    };
  }

  private migrate(): void {
    const version = (this.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) {
      throw new JobStoreError(
        this.path,
        'newer-schema',
        `it was written by a newer @hpc/slurm-driver (schema ${version}); upgrade this one`,
        this.jobsRoot,
      );
    }
    // Schema 2 lacked batch_index (submitJobs): the column is added, the rows stay.
    if (version === 2) this.db.exec('ALTER TABLE slurm_jobs ADD COLUMN batch_index INTEGER');
    // Schema 3 lacked scheduler_id (retries): added, empty.
    if (version === 2 || version === 3) this.db.exec('ALTER TABLE slurm_jobs ADD COLUMN scheduler_id TEXT');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS slurm_jobs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        job_dir TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        state TEXT,
        terminal INTEGER NOT NULL DEFAULT 0,
        missing_since INTEGER,
        batch_index INTEGER,
        scheduler_id TEXT
      );
      CREATE INDEX IF NOT EXISTS slurm_jobs_active ON slurm_jobs (terminal) WHERE terminal = 0;
      CREATE TABLE IF NOT EXISTS slurm_intents (
        token TEXT PRIMARY KEY,
        folder TEXT NOT NULL,
        job_dir TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS slurm_folders (name TEXT PRIMARY KEY, kind TEXT NOT NULL);
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  }

  /**
   * Records a job. A reused id (the cluster's state was wiped) replaces the old record. `folder`
   * marks the jobs-root entry as known; `state` given with `terminal` is cached as final.
   */
  add(job: NewJob): void {
    const terminal = job.state !== undefined && isTerminalState(job.state);
    this.guard(() => {
      this.statements.insert.run(
        job.id,
        job.name,
        job.jobDir,
        job.submittedAt,
        job.state ? JSON.stringify(job.state) : null,
        terminal ? 1 : 0,
        job.batchIndex ?? null,
        job.schedulerId ?? null,
      );
      if (job.folder) this.statements.markFolder.run(job.folder, 'job');
    });
  }

  get(id: string): StoredJob | undefined {
    const row = this.guard(() => this.statements.get.get(id)) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The processes of a task (`4711_3`: itself and `4711_3+<place>`) or of an array (`4711`: `4711_*`). */
  processesOf(schedulerId: string): StoredJob[] {
    const [low, high] = schedulerId.includes('_')
      ? [`${schedulerId}+`, `${schedulerId},`]
      : [`${schedulerId}_`, `${schedulerId}\``];
    const exact = schedulerId.includes('_') ? this.get(schedulerId) : undefined;
    const rows = (this.guard(() => this.statements.range.all(low, high)) as unknown as Row[]).map(fromRow);
    return exact ? [exact, ...rows] : rows;
  }

  list(): StoredJob[] {
    return (this.guard(() => this.statements.all.all()) as unknown as Row[]).map(fromRow);
  }

  /** Jobs whose state may still change. */
  active(): StoredJob[] {
    return (this.guard(() => this.statements.active.all()) as unknown as Row[]).map(fromRow);
  }

  /** Saves many observed states in one transaction. */
  update(updates: readonly StateUpdate[]): void {
    if (updates.length === 0) return;
    this.transaction(() => {
      for (const { id, state, final, missingSince } of updates) {
        this.statements.update.run(
          JSON.stringify(state),
          final && isTerminalState(state) ? 1 : 0,
          missingSince ?? null,
          id,
        );
      }
    });
  }

  /** A new attempt of a job is queued under `schedulerId`: the job is open again, in `state`. */
  setAttempt(id: string, schedulerId: string, state: JobState): void {
    this.guard(() => this.statements.attempt.run(schedulerId, JSON.stringify(state), id));
  }

  /** Forgets a job (its folder stays). */
  remove(id: string): boolean {
    return this.guard(() => Number(this.statements.remove.run(id).changes) > 0);
  }

  addIntent(intent: StoredIntent): void {
    this.transaction(() => {
      this.statements.addIntent.run(
        intent.token,
        intent.folder,
        intent.jobDir,
        intent.name,
        intent.createdAt,
        intent.host,
        intent.pid,
      );
      this.statements.markFolder.run(intent.folder, 'intent');
    });
  }

  intents(): StoredIntent[] {
    return (this.guard(() => this.statements.intents.all()) as unknown as IntentRow[]).map((row) => ({
      token: row.token,
      folder: row.folder,
      jobDir: row.job_dir,
      name: row.name,
      createdAt: row.created_at,
      host: row.host,
      pid: row.pid,
    }));
  }

  /** Ends an intent: the folder becomes `kind` ('job' once its id is recorded), or is forgotten entirely. */
  removeIntent(token: string, folder: string, kind: FolderKind | undefined): void {
    this.transaction(() => {
      this.statements.removeIntent.run(token);
      if (kind) this.statements.markFolder.run(folder, kind);
      else this.db.prepare('DELETE FROM slurm_folders WHERE name = ?').run(folder);
    });
  }

  markFolder(name: string, kind: FolderKind): void {
    this.guard(() => this.statements.markFolder.run(name, kind));
  }

  /** Every jobs-root entry the index has read, and what it found there. */
  folders(): Map<string, FolderKind> {
    const rows = this.guard(() => this.statements.folders.all()) as unknown as {
      name: string;
      kind: FolderKind;
    }[];
    return new Map(rows.map((row) => [row.name, row.kind]));
  }

  /** Entries that had no readable job.json when last read: read again at every refresh. */
  unsettledFolders(): string[] {
    return (this.guard(() => this.statements.unsettledFolders.all()) as unknown as { name: string }[]).map(
      (row) => row.name,
    );
  }

  /** Runs `work` in one write transaction (BEGIN IMMEDIATE: writers queue on busy_timeout); nested calls join it. */
  transaction<T>(work: () => T): T {
    if (this.db.isTransaction) return work();
    return this.guard(() => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = work();
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  close(): void {
    if (this.db?.isOpen) this.db.close();
  }

  /** SQLite's "not a database" and "malformed" become a JobStoreError naming the file. */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    const code = ((error as { errcode?: number }).errcode ?? 0) & 0xff;
    if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB) {
      return new JobStoreError(this.path, 'corrupt', (error as Error).message, this.jobsRoot, {
        cause: error,
      });
    }
    return error;
  }
}

const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

interface Row {
  id: string;
  name: string;
  job_dir: string;
  submitted_at: string;
  state: string | null;
  terminal: number;
  missing_since: number | null;
  batch_index: number | null;
  scheduler_id: string | null;
}

interface IntentRow {
  token: string;
  folder: string;
  job_dir: string;
  name: string;
  created_at: string;
  host: string;
  pid: number;
}

function fromRow(row: Row): StoredJob {
  return {
    id: asJobId(row.id),
    driver: 'slurm',
    name: row.name,
    jobDir: row.job_dir,
    submittedAt: row.submitted_at,
    state: row.state ? (JSON.parse(row.state) as JobState) : undefined,
    terminal: row.terminal === 1,
    missingSince: row.missing_since ?? undefined,
    ...(row.batch_index === null || row.batch_index === undefined ? {} : { batchIndex: row.batch_index }),
    ...(row.scheduler_id ? { schedulerId: row.scheduler_id } : {}),
  };
}
