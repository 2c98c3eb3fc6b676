import * as vscode from 'vscode';
import type { ConfigurationMiddleware } from 'vscode-languageclient/node';
import { serverSettings } from './pure/settings';

function isUserSet(config: vscode.WorkspaceConfiguration, key: string): boolean {
  const seen = config.inspect(key);
  return (
    seen !== undefined &&
    [seen.globalValue, seen.workspaceValue, seen.workspaceFolderValue, seen.globalLanguageValue, seen.workspaceLanguageValue,
      seen.workspaceFolderLanguageValue].some((v) => v !== undefined)
  );
}

function coworkSection(scopeUri: string | undefined): Record<string, unknown> {
  const scope = scopeUri === undefined ? undefined : vscode.Uri.parse(scopeUri);
  const config = vscode.workspace.getConfiguration('cowork', scope);
  const section: unknown = vscode.workspace.getConfiguration(undefined, scope).get('cowork');
  return serverSettings(section, (key) => isUserSet(config, key));
}

/** Answers `workspace/configuration` for section `cowork` with what the user set (see serverSettings). */
export const configurationMiddleware: ConfigurationMiddleware = {
  configuration: async (params, token, next) => {
    const answer = await next(params, token);
    if (!Array.isArray(answer)) {
      return answer;
    }
    return params.items.map((item, i) =>
      item.section === 'cowork' ? coworkSection(item.scopeUri ?? undefined) : (answer[i] as unknown),
    );
  },
};
