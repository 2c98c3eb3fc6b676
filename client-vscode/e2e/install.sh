#!/usr/bin/env bash
# What the end-to-end test needs, installed once and idempotently:
# Debian's chromium and ripgrep (plus the headers code-server's native modules
# build against), and code-server in client-vscode/.e2e-cache/.
# The traps this works around are in shared/notes/editors.md.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3   # VS Code 1.100.3: the newest code-server that installs on Node 20
RIPGREP_CACHE_NAME=vscode-ripgrep-cache-1.15.11
RIPGREP_ARCHIVE=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$(dirname "$here")/.e2e-cache"
prefix="$cache/code-server-$CODE_SERVER_VERSION"

need_apt=()
for pair in chromium:/usr/bin/chromium ripgrep:/usr/bin/rg pkg-config:/usr/bin/pkg-config libkrb5-dev:/usr/include/gssapi/gssapi.h; do
  [ -e "${pair#*:}" ] || need_apt+=("${pair%%:*}")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "e2e install: apt packages ${need_apt[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "e2e install: run as root, or install ${need_apt[*]} with apt-get first" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

bin="$prefix/node_modules/.bin/code-server"
# Even --version writes a config file into the user's config folder: give it a throwaway one.
version() {
  local d rc=0
  d="$(mktemp -d)"
  XDG_CONFIG_HOME="$d" XDG_DATA_HOME="$d" "$bin" --version 2>/dev/null || rc=$?
  rm -rf "$d"
  return $rc
}
if [ -x "$bin" ] && version 2>/dev/null | grep -q "^$CODE_SERVER_VERSION "; then
  echo "e2e install: code-server $CODE_SERVER_VERSION already in $prefix"
  exit 0
fi

echo "e2e install: code-server $CODE_SERVER_VERSION into $prefix (about a minute)"
mkdir -p "$prefix"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# @vscode/ripgrep's postinstall downloads rg from GitHub, which is unreachable;
# it first looks in this cache, so Debian's rg goes there.
mkdir -p "$tmp/$RIPGREP_CACHE_NAME" "$tmp/rg/bin"
cp /usr/bin/rg "$tmp/rg/bin/rg"
tar -czf "$tmp/$RIPGREP_CACHE_NAME/$RIPGREP_ARCHIVE" -C "$tmp/rg/bin" rg

cd "$prefix"
[ -f package.json ] || echo '{"name":"cowork-e2e-code-server","private":true}' > package.json
# --unsafe-perm: its postinstall refuses root otherwise; yes=true: a postinstall runs `npx node-gyp`.
TMPDIR="$tmp" npm_config_yes=true npm_config_unsafe_perm=true \
  npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION"
version
