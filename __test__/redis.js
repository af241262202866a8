'use strict';
// A real redis-server for a test: started on a free loopback port in its own folder,
// stopped (or killed, and started again on the same port) by the test.

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

/** The redis-server binary, or null when the machine has none. */
function redisBinary() {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once PING is answered with PONG on 127.0.0.1:port. */
async function waitForPong(port, deadline) {
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      let data = '';
      sock.setTimeout(500, () => sock.destroy());
      sock.on('connect', () => sock.write('PING\r\n'));
      sock.on('data', (d) => {
        data += d;
        if (data.includes('\r\n')) {
          sock.end();
          resolve(data.startsWith('+PONG'));
        }
      });
      sock.on('error', () => resolve(false));
      sock.on('close', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING`);
}

/**
 * Starts redis-server: `{ port, dir, stop(), kill(), restart() }`. `persistent` turns on the
 * append-only file (fsync on every write), so a kill loses nothing.
 */
async function startRedis(dir, { persistent = false } = {}) {
  const bin = redisBinary();
  const port = await freePort();
  fs.mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--loglevel', 'warning', '--logfile', path.join(dir, 'redis.log')];
  args.push(...(persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  let child;
  const start = async () => {
    child = spawn(bin, args, { stdio: 'ignore' });
    // Never outlives the test process, however that ends.
    const current = child;
    process.once('exit', () => current.kill('SIGKILL'));
    await waitForPong(port, Date.now() + 10_000);
  };
  const exited = () => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve)));
  await start();
  return {
    port,
    dir,
    connection: { host: '127.0.0.1', port },
    /** SIGKILL, as a crash would. */
    async kill() {
      child.kill('SIGKILL');
      await exited();
    },
    async restart() {
      await start();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited();
      }
    },
  };
}

module.exports = { redisBinary, startRedis };
