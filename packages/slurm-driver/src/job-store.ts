import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { asJobId, isTerminalState, type JobId, type JobState, type TrackedJob } from '@hpc/core';

/** One tracked SLURM job as the store keeps it. */
export interface StoredJob extends TrackedJob {
  /** The last state observed (undefined until the first poll). */
  state: JobState | undefined;
  /** True once the state can never change again: it is answered from the store. */
  terminal: boolean;
  /** When (ms since epoch) SLURM was first seen not knowing the job, or not having finished writing it. */
  missingSince: number | undefined;
}

export interface StateUpdate {
  id: JobId;
  state: JobState;
  /** Cache as final (never ask the scheduler again). */
  final: boolean;
  missingSince: number | undefined;
}

const SCHEMA_VERSION = 1;

/**
 * The SLURM driver's record of submitted jobs, in SQLite on disk (node:sqlite), so a new driver in
 * a new process sees the jobs earlier ones submitted. WAL mode: several processes may share it.
 */
export class JobStore {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly statements: {
    insert: StatementSync;
    get: StatementSync;
    all: StatementSync;
    active: StatementSync;
    update: StatementSync;
    remove: StatementSync;
  };

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec('PRAGMA busy_timeout = 10000');
    if (path !== ':memory:') this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.migrate();
    this.statements = {
      insert: this.db.prepare(
        `INSERT OR REPLACE INTO slurm_jobs (id, name, job_dir, submitted_at, state, terminal, missing_since)
         VALUES (?, ?, ?, ?, NULL, 0, NULL)`,
      ),
      get: this.db.prepare('SELECT * FROM slurm_jobs WHERE id = ?'),
      all: this.db.prepare('SELECT * FROM slurm_jobs ORDER BY submitted_at, rowid'),
      active: this.db.prepare('SELECT * FROM slurm_jobs WHERE terminal = 0 ORDER BY rowid'),
      update: this.db.prepare(
        'UPDATE slurm_jobs SET state = ?, terminal = ?, missing_since = ? WHERE id = ?',
      ),
      remove: this.db.prepare('DELETE FROM slurm_jobs WHERE id = ?'),
    };
  }

  private migrate(): void {
    const version = (this.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${this.path} was written by a newer @hpc/slurm-driver (schema ${version}); upgrade this one`,
      );
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS slurm_jobs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        job_dir TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        state TEXT,
        terminal INTEGER NOT NULL DEFAULT 0,
        missing_since INTEGER
      );
      CREATE INDEX IF NOT EXISTS slurm_jobs_active ON slurm_jobs (terminal) WHERE terminal = 0;
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  }

  /** Records a new job. A reused id (the cluster's state was wiped) replaces the old record. */
  add(job: { id: JobId; name: string; jobDir: string; submittedAt: string }): void {
    this.statements.insert.run(job.id, job.name, job.jobDir, job.submittedAt);
  }

  get(id: string): StoredJob | undefined {
    const row = this.statements.get.get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(): StoredJob[] {
    return (this.statements.all.all() as unknown as Row[]).map(fromRow);
  }

  /** Jobs whose state may still change. */
  active(): StoredJob[] {
    return (this.statements.active.all() as unknown as Row[]).map(fromRow);
  }

  /** Saves many observed states in one transaction. */
  update(updates: readonly StateUpdate[]): void {
    if (updates.length === 0) return;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const { id, state, final, missingSince } of updates) {
        this.statements.update.run(
          JSON.stringify(state),
          final && isTerminalState(state) ? 1 : 0,
          missingSince ?? null,
          id,
        );
      }
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Forgets a job (its folder stays). */
  remove(id: string): boolean {
    return Number(this.statements.remove.run(id).changes) > 0;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

interface Row {
  id: string;
  name: string;
  job_dir: string;
  submitted_at: string;
  state: string | null;
  terminal: number;
  missing_since: number | null;
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
  };
}
