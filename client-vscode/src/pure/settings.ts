// What the server receives for `workspace/configuration` section `cowork`.

/** The settings this extension contributes that the server reads (server/cowork/config.py). */
export const SERVER_SETTING_KEYS = [
  'provider',
  'model',
  'maxConcurrentTasks',
  'contextBudgetTokens',
  'batch',
  'openArtifactOnCompletion',
  'minFindingSeverity',
  'exclude',
] as const;

/** Keys under `cowork.` that only the extension reads. */
export const CLIENT_ONLY_KEYS = ['server', 'openArtifactAs', 'notifications'] as const;

/**
 * The `cowork` section as the server should see it.
 *
 * Only values a user actually set are sent: VS Code fills in every contributed
 * default, and a default sent through workspace/configuration would outrank
 * the server's own defaults and its environment (`COWORK_PROVIDER`,
 * `COWORK_MODEL`), which the settings layering of design.md puts below it.
 * Keys the extension does not contribute (e.g. `offlineDelayMs`) are passed on
 * as written; the server validates them and reports bad values itself.
 */
export function serverSettings(
  section: unknown,
  isUserSet: (key: string) => boolean,
): Record<string, unknown> {
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    return {};
  }
  const contributed = new Set<string>(SERVER_SETTING_KEYS);
  const clientOnly = new Set<string>(CLIENT_ONLY_KEYS);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    if (clientOnly.has(key) || value === undefined || value === null) {
      continue;
    }
    if (contributed.has(key) && !isUserSet(key)) {
      continue;
    }
    // An empty model means "the server's default", which the server spells by absence.
    if (key === 'model' && typeof value === 'string' && value.trim() === '') {
      continue;
    }
    out[key] = value;
  }
  return out;
}
