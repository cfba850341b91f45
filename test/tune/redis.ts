// A private redis-server for queue tests: started on a free TCP port of 127.0.0.1 (never the
// default 6379, which other people's servers may hold), with persistence off, and stopped after
// the test. `restart` stops it and starts a fresh one on the same port (as after a crash: with
// no persistence, the queue's contents are gone). Fails loudly when redis-server is missing.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on `port`; resolves once it accepts connections. */
function launch(port: number): Promise<ChildProcess> {
  const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    c.once('error', (e) => reject(new Error(`cannot start redis-server: ${e.message}`)));
    c.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
    c.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('Ready to accept connections')) { c.removeAllListeners('exit'); resolve(c); }
    });
  });
}

const stopped = (c: ChildProcess): Promise<void> => new Promise((resolve) => {
  if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
  c.once('exit', () => resolve());
  c.kill('SIGKILL');
});

export async function startRedis(): Promise<RedisServer> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed (apt-get install redis-server)');
  }
  const port = await freePort();
  let proc = await launch(port);
  return {
    url: `redis://127.0.0.1:${port}`, port,
    restart: async () => { await stopped(proc); proc = await launch(port); },
    stop: () => stopped(proc),
  };
}
