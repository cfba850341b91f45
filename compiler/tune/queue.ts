// The tuning job queue's protocol, shared by the coordinator (compiler/tune/queue-measurer.ts)
// and the workers (compiler/tune/worker-queue.ts): BullMQ on Redis, one queue per target key
// (triple/cpu/features), so that a worker only ever sees jobs compiled for the machine it
// matches. A job is one candidate: its artifact and the default's (bytes, with their SHA-256),
// the feeds to run them on, and the log key it answers. Its id is derived from (workload,
// bucket, candidate, target, round), so adding a job twice is a no-op and a restarted
// coordinator finds results that workers finished while it was gone.
// Requires: bullmq (and its ioredis). Guarantees: names and ids contain no ':' (BullMQ's key
// separator) and never parse as integers.

import { createHash } from 'node:crypto';
import type { ConnectionOptions } from 'bullmq';
import { Codes, fail } from '../diagnostics.js';
import type { Knobs } from '../schedule/space.js';
import type { FeedSpec, MeasureResult } from './bench-kernel.js';
import { candidateKey } from './log.js';

/** The version of the job format; a worker refuses jobs of another. */
export const JOB_VERSION = 1;

export interface MeasureJob {
  readonly v: typeof JOB_VERSION;
  readonly workload: string;
  /** The task's ops and ONNX node, for the worker's log. */
  readonly label: string;
  readonly bucket: string;
  /** The target key the artifacts were compiled for; the worker checks it is its own. */
  readonly target: string;
  readonly knobs: Knobs;
  /** 0: the first measurement; 1: the tuner's re-measurement of a best candidate. */
  readonly round: number;
  /** Base64 artifact bytes and the hex SHA-256 of the bytes. */
  readonly base: string;
  readonly baseSha: string;
  readonly cand: string;
  readonly candSha: string;
  readonly feeds: FeedSpec;
  /** Timed samples per candidate, when the coordinator sets them (else the worker's default). */
  readonly samples?: number;
  /** The threads the candidates were compiled for (else the worker's: all its cores). */
  readonly threads?: number;
}

/** What a worker answers: the measurement, and which worker made it. */
export interface JobResult {
  readonly result: MeasureResult;
  readonly worker: string;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const short = (text: string): string => sha256(new TextEncoder().encode(text)).slice(0, 24);

/** The queue of a target key. */
export const queueName = (target: string): string => `kestrel-tune-${short(target)}`;

/** The job id of one measurement of one candidate. */
export function jobId(j: Pick<MeasureJob, 'workload' | 'bucket' | 'target' | 'knobs' | 'round'>): string {
  return `m${short(`${candidateKey(j)}\n${j.round}`)}`;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

/** `redis://[user:password@]host:port[/db]` as BullMQ connection options. */
export function redisConnection(url: string): ConnectionOptions {
  const bad: (why: string) => never = (why) =>
    fail(Codes.TUNE_INVALID, `--queue ${why}, got '${redactedUrl(url)}'`);
  let u: URL;
  try { u = new URL(url); } catch { bad('expects redis://HOST:PORT'); }
  if (u.protocol !== 'redis:' || !u.hostname) bad('expects redis://HOST:PORT');
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) bad('expects a database number after the port');
  return {
    host: u.hostname, port: u.port ? Number(u.port) : 6379, db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    // BullMQ's blocking commands must wait through a Redis restart, not fail after N retries.
    maxRetriesPerRequest: null,
  };
}
