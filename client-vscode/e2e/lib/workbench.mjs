// Driving the VS Code workbench the way a person does: the command palette,
// quick open, the Tasks view, context menus. Every wait is bounded and fails
// with the name of what it waited for.

export const SHORT = 15_000;
export const TASK = 45_000;

const text = (s) => (s ?? '').replace(/\u00a0/g, ' ');

/** Waits for `predicate()` (evaluated in Node, usually reading the page) to hold. */
export async function waitUntil(what, predicate, timeoutMs = SHORT) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await predicate()) {
        return;
      }
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

export async function visible(locator, what, timeoutMs = SHORT) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
  return locator.first();
}

async function readTaskRow(row) {
  const label = text(await row.locator('.label-name').innerText());
  const description = text(await row.locator('.label-description').innerText().catch(() => ''));
  const name = text(await row.getAttribute('aria-label'));
  const state = name.startsWith(`${label}, `) ? name.slice(label.length + 2).split(',')[0].trim() : '';
  const icon = (await row.locator('.custom-view-tree-node-item-icon, .codicon').first().getAttribute('class').catch(() => '')) ?? '';
  return { row, label, description, state, icon };
}

export class Workbench {
  constructor(page) {
    this.page = page;
  }

  async ready() {
    await visible(this.page.locator('.monaco-workbench .part.editor'), 'the VS Code workbench to render', 60_000);
  }

  /** The status bar entry of the extension, once it shows `expected` (a RegExp). */
  async statusBar(expected, what, timeoutMs = SHORT) {
    const item = this.page.locator('.statusbar-item', { hasText: /cowork/ });
    await waitUntil(
      `the status bar to show ${what}`,
      async () => (await item.count()) > 0 && expected.test(text(await item.first().innerText()).trim()),
      timeoutMs,
    );
    return text(await item.first().innerText()).trim();
  }

  async runCommand(label) {
    // A view that re-renders (the tasks view while a task runs) can take the focus and
    // close the palette between opening it and typing: open it again, as a person would.
    for (let attempt = 1; ; attempt += 1) {
      await this.page.keyboard.press('F1');
      const input = await visible(this.page.locator('.quick-input-widget input'), 'the command palette');
      try {
        await input.fill(`>${label}`, { timeout: 5_000 });
        break;
      } catch (error) {
        if (attempt === 3) {
          throw error;
        }
        await this.page.keyboard.press('Escape');
      }
    }
    // Enter picks the focused row: wait until that is the command, not a stale one.
    const row = this.page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: label });
    await visible(row, `"${label}" as the first match in the command palette`);
    await this.page.keyboard.press('Enter');
  }

  /** Answers the input box a command opened. */
  async answerInput(value, prompt) {
    const box = this.page.locator('.quick-input-widget', { hasText: prompt });
    await visible(box, `the input box asking "${prompt}"`);
    const input = box.locator('input');
    await input.fill(value);
    await this.page.keyboard.press('Enter');
    await waitUntil(`the input box "${prompt}" to close`, async () => !(await box.isVisible()));
  }

  async openFile(name) {
    await this.page.keyboard.press('Control+P');
    const input = await visible(this.page.locator('.quick-input-widget input'), 'quick open');
    await input.fill(name);
    await visible(this.page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: name }), `${name} as the first match in quick open`);
    await this.page.keyboard.press('Enter');
    await this.activeTab(new RegExp(`^${name.replace('.', '\\.')}$`), name);
  }

  /** The active editor tab, once its label matches. */
  async activeTab(label, what, timeoutMs = SHORT) {
    const tab = this.page.locator('.tabs-container .tab.active .label-name');
    await waitUntil(`${what} to be the active editor tab`, async () => label.test(text(await tab.first().innerText())), timeoutMs);
    return text(await tab.first().innerText());
  }

  /** A tab whose label matches, active or not. */
  async tab(label, what, timeoutMs = TASK) {
    const tabs = this.page.locator('.tabs-container .tab .label-name');
    let found;
    await waitUntil(
      `a tab for ${what}`,
      async () => {
        for (const name of await tabs.allInnerTexts()) {
          if (label.test(text(name))) {
            found = text(name);
            return true;
          }
        }
        return false;
      },
      timeoutMs,
    );
    return found;
  }

  async clickTab(name) {
    await this.page.locator('.tabs-container .tab', { has: this.page.locator('.label-name', { hasText: name }) }).first().click();
    await this.activeTab(new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), name);
  }

  /** Scrolls the active editor to `needle` with the find widget, then checks the lines on screen show it. */
  async editorShows(needle, timeoutMs = SHORT) {
    const editor = this.page.locator('.part.editor .editor-instance .monaco-editor').first();
    await editor.locator('.view-lines').click();
    await this.page.keyboard.press('Control+F');
    const find = await visible(this.page.locator('.part.editor .find-widget.visible textarea, .part.editor .find-widget.visible input'), 'the find widget');
    await find.fill(needle);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.part.editor .find-widget.visible .codicon-widget-close').first().click();
    await waitUntil('the find widget to close', async () => (await this.page.locator('.part.editor .find-widget.visible').count()) === 0);
    await waitUntil(
      `the editor to show "${needle}"`,
      async () => text(await editor.locator('.view-lines').innerText()).includes(needle),
      timeoutMs,
    );
  }

  tasksView() {
    return this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: /Tasks/i }) });
  }

  /**
   * Every row of the Tasks view, as shown: the label, the short description,
   * and the state, which the row shows as an icon and says in its accessible
   * name ("title, state, description").
   */
  async taskRows() {
    const rows = this.tasksView().locator('.monaco-list-row');
    const out = [];
    for (let i = 0; i < (await rows.count()); i++) {
      out.push(await readTaskRow(rows.nth(i)));
    }
    return out;
  }

  /** Picks the item labelled `label` in the open quick pick. */
  async pick(label, what) {
    await visible(this.page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: label }), what);
    await this.page.keyboard.press('Enter');
  }

  /** The Tasks view row of `title` in `state`, once there is one. */
  async taskRow(title, state, timeoutMs = TASK) {
    const rows = this.tasksView().locator('.monaco-list-row');
    let match;
    await waitUntil(
      `the Tasks view to show "${title}" as ${state}`,
      async () => {
        const count = await rows.count();
        for (let i = 0; i < count; i++) {
          const row = await readTaskRow(rows.nth(i));
          if (row.label === title && row.state === state) {
            match = row;
            return true;
          }
        }
        return false;
      },
      timeoutMs,
    );
    return match;
  }

  async notification(pattern, what) {
    const toast = this.page.locator('.notification-toast', { hasText: pattern });
    return visible(toast, `the notification ${what}`);
  }

  async contextMenuItem(row, label) {
    await row.click({ button: 'right' });
    const item = this.page.locator('.context-view .monaco-menu .action-item', { hasText: label });
    await visible(item, `"${label}" in the task's context menu`);
    // Clicks on menu items land on an overlay in code-server; a person's hover + Enter works.
    await item.first().hover();
    await visible(
      this.page.locator('.context-view .monaco-menu .action-item.focused', { hasText: label }),
      `"${label}" to be highlighted in the context menu`,
    );
    await this.page.keyboard.press('Enter');
  }

  /** Drags the sash between the side bar and the editor so the side bar is `width` pixels wide. */
  async sideBarWidth(width) {
    const box = await this.page.locator('.part.sidebar').boundingBox();
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 5 });
    await this.page.mouse.up();
    await this.page.mouse.move(box.x + width + 200, y);
  }

  /** Scrolls the active editor line by line (Ctrl+Down, as a person would) until the line holding `needle` is at the top. */
  async scrollEditorTo(needle) {
    const editor = this.page.locator('.part.editor .editor-instance .monaco-editor').first();
    const line = editor.locator('.view-line', { hasText: needle }).first();
    await visible(line, `the line "${needle}"`);
    // .view-lines moves as it scrolls; the editor's own box does not.
    const top = (await editor.boundingBox()).y;
    const limit = 200;
    for (let i = 0; i < limit; i++) {
      const box = await line.boundingBox({ timeout: 2000 });
      if (box !== null && box.y - top < 30) {
        return;
      }
      await this.page.keyboard.press('Control+ArrowDown');
    }
    throw new Error(`"${needle}" did not reach the top of the editor after ${limit} lines of scrolling`);
  }

  /** Waits until the status bar shows no work-done progress matching `title`. */
  async noWindowProgress(title) {
    const progress = this.page.locator('.statusbar-item', { hasText: title });
    await waitUntil(`the progress of ${title} to leave the status bar`, async () => (await progress.count()) === 0);
  }

  /** The channel the Output panel shows. */
  async outputChannel() {
    const select = this.page.locator('.part.panel .monaco-select-box, .part.panel select').first();
    return text(await select.evaluate((el) => (el.tagName === 'SELECT' ? el.options[el.selectedIndex]?.text : el.textContent))).trim();
  }

  /** Waits for a webview (e.g. the Markdown preview, a frame inside a frame) to show `needle`. */
  async webviewShows(needle, what) {
    await waitUntil(what, async () => {
      for (const frame of this.page.frames()) {
        const body = await frame.evaluate(() => globalThis.document?.body?.innerText ?? '').catch(() => '');
        if (text(body).includes(needle)) {
          return true;
        }
      }
      return false;
    });
  }

  /**
   * The artifact preview (a webview: a frame inside a frame) once it shows
   * `needle`: its text, and what is within the first screen of it.
   */
  async artifactPreview(needle, timeoutMs = TASK) {
    let found;
    await waitUntil(`the artifact preview to show "${needle}"`, async () => {
      for (const frame of this.page.frames()) {
        const seen = await frame
          .evaluate(() => {
            const content = globalThis.document?.getElementById('cowork-content');
            if (!content) return undefined;
            const height = globalThis.innerHeight;
            // The text of the block elements whose top is on the first screen.
            const firstScreen = [...content.querySelectorAll('h1, h2, h3, p, li, pre, table, summary')]
              .filter((el) => { const r = el.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.top < height; })
              .map((el) => el.innerText)
              .join('\n');
            return { text: content.innerText, firstScreen, height };
          })
          .catch(() => undefined);
        if (seen !== undefined && text(seen.text).includes(needle)) {
          found = { frame, text: text(seen.text), firstScreen: text(seen.firstScreen), height: seen.height };
          return true;
        }
      }
      return false;
    }, timeoutMs);
    return found;
  }

  /** Ctrl+. in the editor: the entries of the code action menu, once it shows some. */
  async codeActionMenu() {
    const rows = this.page.locator('.action-widget .monaco-list-row.action');
    // Right after a file opens, the server may not have answered yet ("No code
    // actions available"): a person would press Ctrl+. again, and so does this.
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('Control+.');
      try {
        await visible(rows, 'the code action menu (Ctrl+.)', 5_000);
        break;
      } catch (error) {
        if (attempt === 3) throw error;
        await this.page.keyboard.press('Escape');
      }
    }
    return (await rows.allInnerTexts()).map((t) => text(t).trim());
  }

  /** The rows of the Problems panel. */
  async problems() {
    const rows = this.page.locator('.markers-panel .monaco-list-row');
    return (await rows.allInnerTexts()).map((t) => text(t).replace(/\s+/g, ' ').trim());
  }

  /** The text on screen of the Output panel, normalised. */
  async outputText() {
    return text(await this.page.locator('.part.panel .view-lines').first().innerText());
  }
}
