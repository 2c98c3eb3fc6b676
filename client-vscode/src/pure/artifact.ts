// An artifact as a person reads it: the answer without its front matter, under
// a tab title that says what it is ("Review · feature vs main") rather than
// its timestamped file name.

export interface ArtifactParts {
  /** Top-level scalar fields of the front matter, plus `git.*` ones as "git.branch" etc. */
  fields: Record<string, string>;
  /** The Markdown after the front matter. */
  body: string;
  /** 0-based line of `body`'s first line in the file (for scrolling to a line of the file). */
  bodyLine: number;
}

const KIND_LABELS: Readonly<Record<string, string>> = {
  summarize: 'Summary',
  review: 'Review',
  docs: 'Docs',
  architecture: 'Architecture',
  research: 'Research',
  change: 'Change',
};

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"')))) {
    return v.startsWith("'") ? v.slice(1, -1).replace(/''/g, "'") : v.slice(1, -1).replace(/\\"/g, '"');
  }
  return v;
}

/** One-line scalars at the top level and one level down (`git:` → `git.branch`) of a YAML mapping. */
function scalars(lines: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  let parent: string | undefined;
  for (const line of lines) {
    const top = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (top !== null) {
      parent = top[2] === '' ? top[1] : undefined;
      if (top[2] !== '' && !/^[[{|>]/.test(top[2])) {
        fields[top[1]] = unquote(top[2]);
      }
      continue;
    }
    const nested = /^ {2}([A-Za-z_][\w-]*):\s*(.+)$/.exec(line);
    if (nested !== null && parent !== undefined && !/^[[{|>]/.test(nested[2])) {
      fields[`${parent}.${nested[1]}`] = unquote(nested[2]);
    }
  }
  return fields;
}

/** The provenance record an artifact keeps at its end: a YAML block inside its `<details>` (layout 2). */
function recordLines(lines: readonly string[]): string[] {
  let details = lines.length - 1;
  while (details >= 0 && !lines[details].startsWith('<details>')) {
    details--;
  }
  if (details < 0) {
    return [];
  }
  const open = lines.findIndex((l, i) => i > details && /^`{3,}ya?ml\s*$/.test(l));
  if (open < 0) {
    return [];
  }
  const fence = /^`+/.exec(lines[open])![0];
  const close = lines.findIndex((l, i) => i > open && l.trim() === fence);
  return lines.slice(open + 1, close < 0 ? undefined : close);
}

/**
 * Splits a `---` front matter from the body. Only what a title needs is read:
 * one-line scalars of the front matter and, under those, of the record at the
 * end (where the branch and base are).
 */
export function splitArtifact(text: string): ArtifactParts {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const end = lines[0] === '---' ? lines.indexOf('---', 1) : -1;
  const record = scalars(recordLines(lines));
  if (end < 0) {
    return { fields: record, body: lines.join('\n'), bodyLine: 0 };
  }
  return { fields: { ...record, ...scalars(lines.slice(1, end)) }, body: lines.slice(end + 1).join('\n'), bodyLine: end + 1 };
}

/** `YYYYMMDD-HHMMSS-KIND-SLUG.md` → kind, per design.md's naming. */
export function kindFromFileName(fileName: string): string | undefined {
  return /^\d{8}-\d{6}-([a-z]+)-/.exec(fileName)?.[1];
}

function isCommitId(ref: string): boolean {
  return /^[0-9a-f]{7,64}$/i.test(ref);
}

export interface TitleInput {
  fileName: string;
  fields?: Record<string, string>;
  /** From the task record, when the client knows the task. */
  kind?: string;
  title?: string;
  params?: Record<string, unknown> | null;
  /** The body's first `# ` heading. */
  heading?: string;
}

/**
 * A short tab title: "<Kind> · <subject>", e.g. "Summary · engine.py",
 * "Review · feature vs main". Falls back to the first heading, then the file name.
 */
export function artifactTitle(input: TitleInput): string {
  const fields = input.fields ?? {};
  const kind = input.kind ?? fields.kind ?? kindFromFileName(input.fileName);
  const label = kind === undefined ? undefined : (KIND_LABELS[kind] ?? kind.charAt(0).toUpperCase() + kind.slice(1));
  const title = input.title ?? fields.title;
  let subject: string | undefined;
  if (kind === 'review' || kind === 'docs') {
    const branch = fields['git.branch'];
    const paramBase = typeof input.params?.base === 'string' ? input.params.base : undefined;
    const recorded = fields['git.base'];
    const base = paramBase ?? (recorded !== undefined && !isCommitId(recorded) ? recorded : undefined);
    if (branch !== undefined && branch !== '' && branch !== 'null') {
      subject = base !== undefined ? `${branch} vs ${base}` : branch;
    }
  }
  if (subject === undefined && title !== undefined) {
    // "Summary of calc.py" → "calc.py": the kind is already in the label.
    subject = title.replace(/^(summary|review|docs|architecture brief|research|change)( of| for|:)?\s+/i, '').replace(/^`(.*)`$/, '$1');
  }
  if (label !== undefined && subject !== undefined && subject !== '') {
    return `${label} · ${subject}`;
  }
  if (input.heading !== undefined && input.heading.trim() !== '') {
    return input.heading.replace(/`/g, '').trim();
  }
  return input.fileName;
}

/** The first level-one heading of a Markdown body. */
export function firstHeading(body: string): string | undefined {
  return /^# +(.+)$/m.exec(body)?.[1]?.trim();
}

/** True for a file under a workspace's `.cowork/artifacts/`. */
export function isArtifactPath(path: string): boolean {
  return /[\\/]\.cowork[\\/]artifacts[\\/][^\\/]+\.md$/.test(path);
}

/**
 * Where a link in an artifact points: a path relative to the artifact (the
 * server writes `../../src/x.py#L12` style links), with an optional line range.
 */
export function parseLocalLink(href: string): { path: string; startLine?: number; endLine?: number } | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#') || href === '') {
    return undefined;
  }
  const [rawPath, fragment = ''] = href.split('#', 2);
  const path = decodeURIComponent(rawPath);
  const range = /^L(\d+)(?:(?:-L?|:)(\d+))?$/.exec(fragment);
  if (range === null) {
    return { path };
  }
  const startLine = Number(range[1]);
  return { path, startLine, endLine: range[2] === undefined ? startLine : Number(range[2]) };
}
