// The cowork server processes code-server's extension host started, read
// from /proc (Linux): what the user's machine actually runs, with what environment.
import { readdirSync, readFileSync } from 'node:fs';

function read(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined; // the process ended meanwhile
  }
}

/** Processes of process group `pgid` running `python -m cowork serve`, with their environment. */
export function coworkServers(pgid) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`)?.toString();
    if (stat === undefined) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
    const argv = read(`/proc/${entry}/cmdline`)?.toString().split('\0').filter(Boolean) ?? [];
    if (!(argv.includes('cowork') && argv.includes('serve'))) continue;
    const env = Object.fromEntries(
      (read(`/proc/${entry}/environ`)?.toString().split('\0').filter(Boolean) ?? []).map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
    found.push({ pid: Number(entry), argv, env });
  }
  return found;
}
