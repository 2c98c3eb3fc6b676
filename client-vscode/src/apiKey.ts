import * as vscode from 'vscode';

const SECRET = 'cowork.anthropicApiKey';

/**
 * The Anthropic API key, kept in VS Code's SecretStorage (the OS keychain
 * where there is one). It reaches the server only as ANTHROPIC_API_KEY in its
 * process environment; it is never written to settings or to the log.
 */
export class ApiKey implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = secrets.onDidChange((e) => {
      if (e.key === SECRET) {
        this.changed.fire();
      }
    });
  }

  /** The stored key; undefined when there is none or the secret store cannot be read (the server then starts without it). */
  async get(): Promise<string | undefined> {
    try {
      const value = await this.secrets.get(SECRET);
      return value === undefined || value === '' ? undefined : value;
    } catch {
      return undefined;
    }
  }

  /** Ask for the key; an empty answer removes the stored one. */
  async prompt(): Promise<void> {
    const had = (await this.get()) !== undefined;
    const value = await vscode.window.showInputBox({
      title: 'cowork: Anthropic API key',
      prompt: had
        ? 'A key is stored. Enter a new one to replace it, or leave empty to remove it.'
        : 'Stored in VS Code secret storage and given to the cowork server as ANTHROPIC_API_KEY.',
      placeHolder: 'sk-ant-…',
      password: true,
      ignoreFocusOut: true,
      validateInput: (text) => (/\s/.test(text.trim()) ? 'An API key has no spaces in it' : undefined),
    });
    if (value === undefined) {
      return;
    }
    const key = value.trim();
    if (key === '') {
      if (had) {
        await this.secrets.delete(SECRET);
        void vscode.window.showInformationMessage('cowork: the Anthropic API key was removed; the server restarts without it.');
      }
      return;
    }
    await this.secrets.store(SECRET, key);
    void vscode.window.showInformationMessage('cowork: the Anthropic API key is stored; the server restarts with it.');
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
