/**
 * Runs a suite once per database dialect. Each `freshDatabase()` is a new, empty database:
 * a temp SQLite file, or CREATE DATABASE in the run's PostgreSQL test cluster (started by
 * test/run.ts, or lazily here when a file runs on its own with `node --test`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseConfig } from '../../src/config/config.ts';
import type { Dialect } from '../../src/db/database.ts';
import { attachPgCluster, findPgBinDir, PG_ENV, startPgCluster, type PgCluster } from './pg-cluster.ts';
import { describeWithTool, requireTool, type ToolStatus } from './require-tool.ts';

export interface DialectCtx {
  readonly dialect: Dialect;
  /** A new empty database each call. */
  freshDatabase(): Promise<DatabaseConfig>;
}

export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres'];

let sqliteDir: string | null = null;
let sqliteCount = 0;

function sqliteConfig(): DatabaseConfig {
  if (sqliteDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'strongbox-test-'));
    sqliteDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  sqliteCount++;
  return { kind: 'sqlite', path: join(sqliteDir, `db-${sqliteCount}.db`) };
}

let cluster: Promise<PgCluster> | null = null;

function pgCluster(): Promise<PgCluster> {
  cluster ??= (async () => {
    const url = process.env[PG_ENV.url];
    const password = process.env[PG_ENV.password];
    const ca = process.env[PG_ENV.ca];
    if (url && password && ca) return attachPgCluster(url, password, ca);
    // run on its own: this process owns a cluster until it exits
    const started = await startPgCluster();
    process.once('exit', () => started.stopSync());
    return started;
  })();
  return cluster;
}

let pgStatus: ToolStatus | null = null;

/** Whether PostgreSQL tests can run here (memoized; warns once when they will skip). */
export function postgresStatus(): ToolStatus {
  pgStatus ??= requireTool('PostgreSQL', () => {
    const unavailable = process.env[PG_ENV.unavailable];
    if (unavailable) return unavailable;
    if (process.env[PG_ENV.url]) return null;
    const found = findPgBinDir();
    return found.dir === null ? found.reason : null;
  });
  return pgStatus;
}

async function postgresConfig(): Promise<DatabaseConfig> {
  const c = await pgCluster();
  return { kind: 'postgres', url: await c.createDatabase(), password: c.password };
}

/** Registers `describe(`${title} [sqlite]`)` and `describe(`${title} [postgres]`)`, calling fn in each. */
export function eachDialect(title: string, fn: (t: DialectCtx) => void): void {
  describeWithTool({ name: 'SQLite', available: true }, `${title} [sqlite]`, () => {
    fn({ dialect: 'sqlite', freshDatabase: async () => sqliteConfig() });
  });
  describeWithTool(postgresStatus(), `${title} [postgres]`, () => {
    fn({ dialect: 'postgres', freshDatabase: postgresConfig });
  });
}

/** One dialect of eachDialect, for a suite too long to run both in one file (each file has 120 s). */
export function oneDialect(dialect: Dialect, title: string, fn: (t: DialectCtx) => void): void {
  if (dialect === 'sqlite') {
    describeWithTool({ name: 'SQLite', available: true }, `${title} [sqlite]`, () => fn({ dialect: 'sqlite', freshDatabase: async () => sqliteConfig() }));
  } else {
    describeWithTool(postgresStatus(), `${title} [postgres]`, () => fn({ dialect: 'postgres', freshDatabase: postgresConfig }));
  }
}

/** For a test that needs the cluster itself (TLS checks, admin queries). Only call inside a [postgres] suite. */
export function testCluster(): Promise<PgCluster> {
  return pgCluster();
}

