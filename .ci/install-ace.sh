#!/usr/bin/env bash
# Install DAISY Ace (EPUB accessibility checker) into $ROOT/.ace/, running on
# Debian's chromium instead of puppeteer's own browser download (which cannot
# be fetched on a closed network). Idempotent: a no-op when already installed.
#
#   bash .ci/install-ace.sh        # then: .ace/ace --outdir DIR --force --silent BOOK.epub
#
# Creates:
#   .ace/node_modules/...   @daisy/ace-cli (npm, project-local)
#   .ace/chromium           chromium wrapper: headless, no sandbox (root), no network chatter
#   .ace/ace                ace launcher that points puppeteer at that wrapper
#   .ace/.gitignore         '*', so the folder ignores itself
set -euo pipefail

ACE_VERSION=1.4.6
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACE_DIR="$ROOT/.ace"
STAMP="$ACE_DIR/.installed-$ACE_VERSION"

# 1. Chromium from Debian (also brings the shared libraries puppeteer needs).
if ! [ -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium
  fi
fi

# 2. Node: Ace 1.4 needs node >= 20 (Debian 12's own nodejs is 18, too old).
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null; then
  echo "install-ace.sh: Ace needs node >= 20 and npm (found node major '$node_major')" >&2
  exit 1
fi

# 3. Ace itself, without puppeteer's browser download.
if ! [ -f "$STAMP" ] || ! [ -f "$ACE_DIR/node_modules/@daisy/ace-cli/bin/ace.js" ]; then
  mkdir -p "$ACE_DIR"
  printf '*\n' >"$ACE_DIR/.gitignore"
  PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 \
    PUPPETEER_SKIP_CHROME_DOWNLOAD=1 PUPPETEER_SKIP_CHROME_HEADLESS_SHELL_DOWNLOAD=1 \
    npm install --prefix "$ACE_DIR" --save-exact --no-audit --no-fund --omit=dev --loglevel=error \
    "@daisy/ace-cli@$ACE_VERSION" >/dev/null
  rm -f "$ACE_DIR"/.installed-*
  touch "$STAMP"
fi

# 4. Wrappers (rewritten every time: cheap, and they follow the checkout's location).
#    Ace already passes --no-sandbox; the rest keeps chromium off the network
#    (refused connections on a closed network otherwise) and off the GPU.
cat >"$ACE_DIR/chromium" <<'EOF'
#!/bin/sh
exec /usr/bin/chromium --no-sandbox --disable-setuid-sandbox --headless=new \
  --disable-gpu --disable-dev-shm-usage --disable-background-networking \
  --disable-component-update --disable-sync --disable-default-apps \
  --disable-breakpad --disable-crash-reporter --no-first-run --no-default-browser-check \
  --no-pings --metrics-recording-only "$@"
EOF
cat >"$ACE_DIR/ace" <<'EOF'
#!/bin/sh
here="$(cd "$(dirname "$0")" && pwd)"
export PUPPETEER_EXECUTABLE_PATH="${PUPPETEER_EXECUTABLE_PATH:-$here/chromium}"
export PUPPETEER_SKIP_DOWNLOAD=1
# Ace allows 5 s for the browser to start; a busy 2-core machine can need more.
export ACE_TIMEOUT_INITIAL="${ACE_TIMEOUT_INITIAL:-60000}"
exec node "$here/node_modules/@daisy/ace-cli/bin/ace.js" "$@"
EOF
chmod +x "$ACE_DIR/chromium" "$ACE_DIR/ace"
