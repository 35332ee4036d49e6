#!/usr/bin/env bash
# Runs every test: domain unit and property tests, document rendering, the HTTP integration
# tests on SQLite and PostgreSQL, and the end-to-end tests in headless Chromium.
# On a fresh machine it installs what the tests need (Chromium, ChromeDriver) and starts the
# local PostgreSQL if it is down.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
# CJK fonts for the browser (screenshots) and as fallback for rare characters in documents.
[ -d /usr/share/fonts/opentype/noto ] || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "warning: ${need_apt[*]} missing and not root: end-to-end tests will be skipped" >&2
  fi
fi

# An S3-compatible server for the blob-store tests (moto, from PyPI).
if ! command -v moto_server >/dev/null 2>&1; then
  echo "installing: moto[server] (pip)"
  python3 -m pip install --quiet 'moto[server]' || echo "warning: moto not installed: S3 tests will be skipped" >&2
  hash -r
fi

# PostgreSQL for the second backend (trust auth on 127.0.0.1:5432).
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    sleep 2
  fi
fi

# A persistent target directory keeps repeated runs incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xinfang/target}"

# axe-core (npm) for the accessibility checks of the public pages in the browser journeys.
axe_dir="$CARGO_TARGET_DIR/axe"
if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ] && command -v npm >/dev/null 2>&1; then
  echo "installing: axe-core (npm)"
  mkdir -p "$axe_dir"
  npm install --prefix "$axe_dir" --no-audit --no-fund --silent axe-core@4 || echo "warning: axe-core not installed: accessibility checks will be skipped" >&2
fi
export AXE_CORE_JS="${AXE_CORE_JS:-$axe_dir/node_modules/axe-core/axe.min.js}"
# The output is kept to count the skipped tests: each prints a line starting with SKIP (CI fails
# instead of skipping a backend or the browser).
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --all-targets "$@" 2>&1 | tee "$log"
skipped=$(grep -c '^SKIP' "$log" || true)
if [ "$skipped" -gt 0 ]; then
  echo "summary: $skipped test run(s) skipped (see the SKIP lines above)"
else
  echo "summary: nothing skipped"
fi
