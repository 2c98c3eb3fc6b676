import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { artifactTitle, firstHeading, isArtifactPath, parseLocalLink, splitArtifact } from './pure/artifact';
import type { Tasks } from './tasks';

export const ARTIFACT_VIEW = 'cowork.artifact';

const WEBVIEW_OPTIONS: vscode.WebviewPanelOptions & vscode.WebviewOptions = {
  enableScripts: true,
  enableFindWidget: true,
  localResourceRoots: [],
};

type OpenAs = 'preview' | 'source';

export interface OpenOptions {
  /** Leave the focus where it is (a task finishing while the person types). */
  preserveFocus?: boolean;
  /** A line range of the file to bring into view. */
  selection?: vscode.Range;
  /** Overrides `cowork.openArtifactAs`. */
  as?: OpenAs;
}

/**
 * Artifacts open read first: rendered, without the front matter, under a
 * title saying what they are. VS Code's own Markdown preview titles its tab
 * "Preview <file name>", which for an artifact is a timestamped slug, so this
 * is a webview of its own that renders with the Markdown preview's engine
 * (`markdown.api.render`, same look and plugins) and follows the file as it
 * changes. `cowork.openArtifactAs: source` opens the Markdown text instead.
 */
export class ArtifactViewer implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; uri: vscode.Uri }>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly tasks: Tasks,
    private readonly output: vscode.LogOutputChannel,
    private readonly extensionUri: vscode.Uri,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.cowork/artifacts/*.md');
    this.subscriptions.push(
      watcher,
      watcher.onDidChange((uri) => void this.refresh(uri)),
      watcher.onDidCreate((uri) => void this.refresh(uri)),
      vscode.workspace.onDidSaveTextDocument((doc) => void this.refresh(doc.uri)),
      // Previews open before a reload come back (the page remembers its artifact, see page()).
      vscode.window.registerWebviewPanelSerializer(ARTIFACT_VIEW, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const saved = (state as { uri?: unknown } | undefined)?.uri;
          if (typeof saved !== 'string') {
            panel.dispose();
            return;
          }
          panel.webview.options = WEBVIEW_OPTIONS;
          await this.adopt(panel, vscode.Uri.parse(saved));
        },
      }),
    );
  }

  static openAs(): OpenAs {
    return vscode.workspace.getConfiguration('cowork').get<string>('openArtifactAs') === 'source' ? 'source' : 'preview';
  }

  /** Whether `uri` is an artifact this viewer opens. */
  static isArtifact(uri: vscode.Uri): boolean {
    return uri.scheme === 'file' && isArtifactPath(uri.fsPath);
  }

  async open(uri: vscode.Uri, options: OpenOptions = {}): Promise<void> {
    const as = options.as ?? ArtifactViewer.openAs();
    if (as === 'source') {
      await vscode.window.showTextDocument(uri, {
        preview: false,
        preserveFocus: options.preserveFocus,
        selection: options.selection,
      });
      return;
    }
    const key = uri.toString();
    const existing = this.panels.get(key);
    if (existing !== undefined) {
      existing.panel.reveal(undefined, options.preserveFocus);
      await this.render(existing.panel, uri, options.selection?.start.line);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      ARTIFACT_VIEW,
      path.basename(uri.fsPath),
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: options.preserveFocus },
      WEBVIEW_OPTIONS,
    );
    await this.adopt(panel, uri, options.selection?.start.line);
  }

  /** Makes `panel` the preview of `uri`: a new one, or one VS Code restored after a reload. */
  private async adopt(panel: vscode.WebviewPanel, uri: vscode.Uri, line?: number): Promise<void> {
    const key = uri.toString();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'cowork.svg');
    this.panels.set(key, { panel, uri });
    panel.onDidDispose(() => {
      if (this.panels.get(key)?.panel === panel) {
        this.panels.delete(key);
      }
    });
    panel.webview.onDidReceiveMessage((message: unknown) => void this.onMessage(uri, message));
    await this.render(panel, uri, line);
  }

  /** The artifact of the active preview, if one is active. */
  activeArtifact(): vscode.Uri | undefined {
    for (const { panel, uri } of this.panels.values()) {
      if (panel.active) {
        return uri;
      }
    }
    return undefined;
  }

  private async refresh(uri: vscode.Uri): Promise<void> {
    const open = this.panels.get(uri.toString());
    if (open !== undefined) {
      await this.render(open.panel, uri);
    }
  }

  private async render(panel: vscode.WebviewPanel, uri: vscode.Uri, line?: number): Promise<void> {
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch (error) {
      panel.webview.html = page(panel.webview, uri, `<p>cowork could not read ${escapeHtml(uri.fsPath)}: ${escapeHtml(String(error))}</p>`);
      return;
    }
    const parts = splitArtifact(text);
    const task = this.tasks.store.list().find((t) => t.artifactUri === uri.toString());
    panel.title = artifactTitle({
      fileName: path.basename(uri.fsPath),
      fields: parts.fields,
      kind: task?.kind,
      title: task?.title,
      params: task?.params,
      heading: firstHeading(parts.body),
    });
    let html: string;
    try {
      html = String(await vscode.commands.executeCommand<string>('markdown.api.render', parts.body));
    } catch (error) {
      // No Markdown engine (the built-in Markdown extension disabled): the text, readable still.
      this.output.warn(`markdown.api.render is not available (${String(error)}): showing the artifact as text`);
      html = `<pre>${escapeHtml(parts.body)}</pre>`;
    }
    const status = parts.fields.status;
    const banner =
      status === undefined || status === 'reviewed'
        ? ''
        : `<div class="cowork-status">${escapeHtml(status)}${task?.stale ? ' · stale: files it was built from have changed' : ''}</div>`;
    // The webview keeps its scroll position when only the content is swapped.
    const content = banner + html;
    const target = line === undefined ? undefined : Math.max(0, line - parts.bodyLine);
    if (panel.webview.html === '' || !(await panel.webview.postMessage({ type: 'update', html: content, line: target }))) {
      panel.webview.html = page(panel.webview, uri, content, target);
    }
  }

  private async onMessage(artifact: vscode.Uri, message: unknown): Promise<void> {
    const m = message as { type?: string; href?: string };
    if (m.type === 'source') {
      await this.open(artifact, { as: 'source' });
      return;
    }
    if (m.type !== 'link' || typeof m.href !== 'string') {
      return;
    }
    const local = parseLocalLink(m.href);
    if (local === undefined) {
      const target = vscode.Uri.parse(m.href);
      if (target.scheme === 'file') {
        await vscode.window.showTextDocument(target, { preview: false });
      } else if (['http', 'https', 'mailto'].includes(target.scheme)) {
        await vscode.env.openExternal(target);
      }
      return;
    }
    const file = vscode.Uri.file(path.resolve(path.dirname(artifact.fsPath), local.path));
    const selection =
      local.startLine === undefined
        ? undefined
        : new vscode.Range(local.startLine - 1, 0, (local.endLine ?? local.startLine) - 1, 0);
    if (ArtifactViewer.isArtifact(file)) {
      await this.open(file, { selection });
      return;
    }
    await vscode.window.showTextDocument(file, { preview: false, selection, viewColumn: vscode.ViewColumn.Beside });
  }

  dispose(): void {
    this.panels.forEach(({ panel }) => panel.dispose());
    this.subscriptions.forEach((d) => d.dispose());
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The preview page. Scripts run only with the nonce (the artifact's own HTML
 * cannot run any), and nothing loads from outside: a model's answer is text.
 */
function page(webview: vscode.Webview, uri: vscode.Uri, body: string, line?: number): string {
  const nonce = randomBytes(16).toString('base64');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">${STYLE}</style>
</head><body>
<nav class="cowork-toolbar"><a href="#" id="cowork-source" title="Open the Markdown source">Open source</a></nav>
<main id="cowork-content">${body}</main>
<script nonce="${nonce}">${script(uri, line)}</script>
</body></html>`;
}

function script(uri: vscode.Uri, line?: number): string {
  return `
const vscode = acquireVsCodeApi();
vscode.setState({ uri: ${JSON.stringify(uri.toString()).replace(/</g, '\\u003c')} });
const content = document.getElementById('cowork-content');
function reveal(line) {
  if (line === undefined || line === null) return;
  let best;
  for (const el of document.querySelectorAll('[data-line]')) {
    if (Number(el.getAttribute('data-line')) <= line) best = el; else break;
  }
  if (best) best.scrollIntoView({ block: 'start' });
}
window.addEventListener('message', (event) => {
  const m = event.data;
  if (m && m.type === 'update') { content.innerHTML = m.html; reveal(m.line); }
});
document.getElementById('cowork-source').addEventListener('click', (e) => { e.preventDefault(); vscode.postMessage({ type: 'source' }); });
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('#cowork-content a[href]');
  if (!a) return;
  const href = a.getAttribute('href');
  if (href.startsWith('#')) return;
  e.preventDefault();
  vscode.postMessage({ type: 'link', href });
});
reveal(${line === undefined ? 'undefined' : String(line)});
`;
}

const STYLE = `
body { font-family: var(--vscode-markdown-font-family, var(--vscode-font-family)); font-size: var(--vscode-markdown-font-size, 14px);
  line-height: var(--vscode-markdown-line-height, 1.6); color: var(--vscode-editor-foreground); padding: 0 26px 40px; max-width: 900px; word-wrap: break-word; }
a { color: var(--vscode-textLink-foreground); text-decoration: none; } a:hover { text-decoration: underline; }
code { font-family: var(--vscode-editor-font-family); font-size: 0.95em; background: var(--vscode-textCodeBlock-background); padding: 1px 4px; border-radius: 3px; }
pre { background: var(--vscode-textCodeBlock-background); padding: 12px 16px; border-radius: 3px; overflow-x: auto; }
pre code { padding: 0; background: none; }
blockquote { margin: 0 7px; padding: 0 16px; border-left: 5px solid var(--vscode-textBlockQuote-border); background: var(--vscode-textBlockQuote-background); }
table { border-collapse: collapse; } th, td { border: 1px solid var(--vscode-editorGroup-border); padding: 4px 10px; }
h1, h2 { border-bottom: 1px solid var(--vscode-editorGroup-border); padding-bottom: 0.2em; }
hr { border: 0; border-top: 1px solid var(--vscode-editorGroup-border); }
details { margin-top: 1em; color: var(--vscode-descriptionForeground); } summary { cursor: pointer; }
.cowork-toolbar { position: sticky; top: 0; text-align: right; padding: 6px 0; font-size: 12px; background: var(--vscode-editor-background); }
.cowork-status { display: inline-block; margin-top: 10px; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
`;
