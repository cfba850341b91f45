// The queue protocol's names and ids (compiler/tune/queue.ts): one queue per target key, job ids
// that are stable for the same (workload, bucket, candidate, target, round) and differ otherwise,
// never contain ':' and never look like integers; Redis URLs parse (with credentials and a
// database), bad ones fail with KC0705, and messages never show a password.

import { describe, expect, it } from 'vitest';
import { jobId, queueName, redactedUrl, redisConnection } from '../../compiler/tune/queue.js';

const key = { workload: 'w', bucket: 'static', target: 'x86_64/skylake/+avx2', knobs: { a: 1, b: 2 },
  round: 0 };

describe('the queue protocol', () => {
  it('derives queue names and job ids', () => {
    expect(queueName(key.target)).toMatch(/^kestrel-tune-[0-9a-f]{24}$/);
    expect(queueName(key.target)).not.toBe(queueName('aarch64/generic/+neon'));
    const id = jobId(key);
    expect(id).toMatch(/^m[0-9a-f]{24}$/);
    expect(jobId({ ...key, knobs: { b: 2, a: 1 } })).toBe(id); // knob order does not matter
    for (const other of [{ round: 1 }, { knobs: { a: 1, b: 3 } }, { target: 'x86_64/znver3/+avx2' },
      { bucket: '$0=1' }, { workload: 'v' }]) {
      expect(jobId({ ...key, ...other })).not.toBe(id);
    }
  });

  it('parses Redis URLs and hides passwords', () => {
    expect(redisConnection('redis://10.0.0.5:6380/2')).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2,
      maxRetriesPerRequest: null });
    expect(redisConnection('redis://u:s%40cret@h')).toMatchObject({ host: 'h', port: 6379, username: 'u',
      password: 's@cret' });
    for (const bad of ['localhost:6379', 'http://h:1', 'redis://h:1/x']) {
      expect(() => redisConnection(bad)).toThrow(expect.objectContaining({ code: 'KC0705' }));
    }
    expect(() => redisConnection('http://u:hunter2@h')).toThrow(/\*\*\*/);
    expect(redactedUrl('redis://:hunter2@h:1')).toBe('redis://:***@h:1');
  });
});
