// What the palette commands ask the user. Every function answers undefined
// when the user pressed Escape: the command then does nothing.
import * as vscode from 'vscode';

/** The file in the active editor, or an explanation of why there is none. */
export function activeFile(): vscode.Uri | string {
  const uri = vscode.window.activeTextEditor?.document.uri;
  if (uri === undefined) {
    return 'open the module you want summarised in an editor first';
  }
  if (uri.scheme !== 'file') {
    return `the active editor (${uri.toString(true)}) is not a file on disk`;
  }
  return uri;
}

export function activeFileUri(): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' ? uri.toString() : undefined;
}

export async function askChange(what: 'review' | 'docs'): Promise<{ base: string; description: string } | undefined> {
  const title = what === 'review' ? "cowork: Review This Branch's Changes" : 'cowork: Draft Docs for This Change';
  const base = await vscode.window.showInputBox({
    title,
    prompt: 'Base to compare with (a branch, tag or commit). Leave empty for the merge-base with the default branch.',
    placeHolder: 'empty = merge-base with the upstream / origin/HEAD / main / master',
    ignoreFocusOut: true,
    validateInput: (text) => (text.trim().startsWith('-') ? 'A base is a git ref, not an option' : undefined),
  });
  if (base === undefined) {
    return undefined;
  }
  const description = await vscode.window.showInputBox({
    title,
    prompt:
      what === 'review'
        ? 'What is the change supposed to do? (optional — helps the review judge it)'
        : 'What does the change do and why? (optional)',
    placeHolder: 'optional description',
    ignoreFocusOut: true,
  });
  if (description === undefined) {
    return undefined;
  }
  return { base, description };
}

export async function askFolders(): Promise<vscode.Uri[] | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'cowork: folders (services) for the architecture brief',
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: true,
    openLabel: 'Brief these folders',
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked === undefined || picked.length === 0 ? undefined : picked;
}

export async function askFocus(): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'cowork: Architecture Brief',
    prompt: 'Anything to focus on? (optional, e.g. "how the services authenticate")',
    placeHolder: 'optional focus',
    ignoreFocusOut: true,
  });
}

export async function askResearch(): Promise<{ question: string; options: string } | undefined> {
  const title = 'cowork: Research Trade-offs';
  const question = await vscode.window.showInputBox({
    title,
    prompt: 'The question to weigh for this codebase',
    placeHolder: 'e.g. Should the task store move from SQLite to Postgres?',
    ignoreFocusOut: true,
    validateInput: (text) => (text.trim() === '' ? 'A question is needed' : undefined),
  });
  if (question === undefined) {
    return undefined;
  }
  const options = await vscode.window.showInputBox({
    title,
    prompt: 'Candidate approaches, separated by commas (optional)',
    placeHolder: 'e.g. keep SQLite, Postgres, SQLite with Litestream',
    ignoreFocusOut: true,
  });
  if (options === undefined) {
    return undefined;
  }
  return { question, options };
}

const BRIEF_KINDS: Array<vscode.QuickPickItem & { briefKind: string }> = [
  { briefKind: 'summarize', label: 'Summarize a module', description: 'the active file' },
  { briefKind: 'review', label: "Review this branch's changes" },
  { briefKind: 'docs', label: 'Draft docs for a change' },
  { briefKind: 'architecture', label: 'Architecture brief', description: 'folders you pick' },
  { briefKind: 'research', label: 'Research trade-offs' },
];

export async function askBriefKind(): Promise<string | undefined> {
  const picked = await vscode.window.showQuickPick(BRIEF_KINDS, {
    title: 'cowork: New Brief',
    placeHolder: 'What should the brief hand off? It opens in .cowork/briefs/ for you to edit.',
  });
  return picked?.briefKind;
}

/** The workspace folder a folder-wide action is about: the only one, or the one the user picks. */
export async function pickWorkspaceFolder(purpose: string): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length <= 1) {
    return folders[0];
  }
  return vscode.window.showWorkspaceFolderPick({ placeHolder: purpose });
}
