#!/usr/bin/env bash
# Layering guards (ARCHITECTURE.md): the use cases carry no web framework, and the HTTP layer
# reaches data only through the use cases.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
# The blob adapter's object-store client (reqwest, which uses tower) is not a web framework of
# the use cases: it is pruned from the check.
if cargo tree -p xinfang-app -e normal --prefix none --prune xinfang-blobs | grep -E '^(axum|askama|tower)[a-z_-]* ' ; then
  echo "guard: xinfang-app depends on a web framework (above)" >&2
  fail=1
fi
if grep -rnE '\.store\b|xinfang_store::[a-z_]+::[A-Za-z_]+\(' crates/server/src/http; then
  echo "guard: the HTTP layer calls the store directly (above); go through a use case" >&2
  fail=1
fi
if [ "$fail" = 0 ]; then echo "guards: ok"; fi
exit "$fail"
