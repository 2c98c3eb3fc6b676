// The argument objects of design.md's LSP commands, built from what the user typed.

export type CommandArg = Record<string, unknown>;

/** Candidate approaches typed as "a, b, c" or one per line. */
export function parseOptions(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function optional(arg: CommandArg, key: string, value: string | undefined): void {
  const trimmed = value?.trim();
  if (trimmed) {
    arg[key] = trimmed;
  }
}

export function summarizeArgs(uri: string): CommandArg {
  return { uri };
}

/**
 * `uri` is not in design.md's table for review and docs, but the server
 * accepts it (server/cowork/lsp/commands.py) to pick the workspace folder in a
 * multi-root workspace; it is sent only when there is a file to go by.
 */
export function changeArgs(input: { base?: string; description?: string; uri?: string }): CommandArg {
  const arg: CommandArg = {};
  optional(arg, 'base', input.base);
  optional(arg, 'description', input.description);
  if (input.uri !== undefined) {
    arg.uri = input.uri;
  }
  return arg;
}

export function architectureArgs(uris: readonly string[], focus?: string): CommandArg {
  const arg: CommandArg = { uris: [...new Set(uris)] };
  optional(arg, 'focus', focus);
  return arg;
}

export function researchArgs(question: string, optionsText?: string, uris?: readonly string[]): CommandArg {
  const arg: CommandArg = { question: question.trim() };
  const options = parseOptions(optionsText ?? '');
  if (options.length > 0) {
    arg.options = options;
  }
  if (uris !== undefined && uris.length > 0) {
    arg.uris = [...uris];
  }
  return arg;
}

export function newBriefArgs(kind: string, uris: readonly string[]): CommandArg {
  return uris.length > 0 ? { kind, uris: [...uris] } : { kind };
}
