// code-server in its own process group: the extension host, file watcher and
// the cowork server it spawns all go when the group is stopped.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function installExtension({ bin, vsix, dirs, env }) {
  await run(bin, ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', vsix], {
    env,
    timeout: 60_000,
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startCodeServer({ bin, dirs, env, port, logFile }) {
  const config = path.join(dirs.root, 'code-server.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const log = createWriteStream(logFile);
  const args = [
    '--config', config,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    dirs.workspace,
  ];
  // detached: the child calls setsid(), so it leads a process group of its own.
  const child = spawn(bin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid,
    exited,
    async waitUntilListening(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let outcome;
      void exited.then((e) => (outcome = e));
      while (Date.now() < deadline) {
        if (outcome !== undefined) {
          throw new Error(`code-server exited (${JSON.stringify(outcome)}) before listening; see ${logFile}`);
        }
        try {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
          if (response.ok) {
            return;
          }
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`timed out after ${timeoutMs} ms waiting for code-server to listen on port ${port}; see ${logFile}`);
    },
    /** SIGTERM to the whole group, SIGKILL to what is left after a grace period. */
    async stop(graceMs = 5000) {
      const signalGroup = (signal) => {
        try {
          process.kill(-child.pid, signal);
          return true;
        } catch {
          return false; // the group is gone
        }
      };
      if (!signalGroup('SIGTERM')) {
        return;
      }
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && signalGroup(0)) {
        await new Promise((r) => setTimeout(r, 100));
      }
      signalGroup('SIGKILL');
      log.end();
    },
  };
}
