#!/usr/bin/env bash
# Builds the Debian package, checks its systemd unit, installs it with dpkg, runs the unit's
# ExecStart line directly as the service user (these machines do not run systemd as PID 1) and
# waits for /readyz, then removes the package. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/xinfang/target}"
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: package test needs root (dpkg -i)"
  exit 0
fi
t0=$(date +%s)
command -v cargo-deb >/dev/null 2>&1 || cargo install cargo-deb --locked --quiet
cargo deb -p xinfang --quiet >/dev/null
deb=$(ls -t "$CARGO_TARGET_DIR"/debian/xinfang_*.deb | head -n1)
echo "package: $deb ($(du -h "$deb" | cut -f1)), built in $(( $(date +%s) - t0 )) s"

dpkg -i "$deb" >/dev/null
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
  dpkg --purge xinfang >/dev/null 2>&1 || true
  rm -rf /var/lib/xinfang-package-test
}
trap cleanup EXIT

getent passwd xinfang >/dev/null || { echo "FAIL: no xinfang user"; exit 1; }
[ "$(stat -c %U /var/lib/xinfang)" = xinfang ] || { echo "FAIL: /var/lib/xinfang not owned by xinfang"; exit 1; }
systemd-analyze verify /lib/systemd/system/xinfang.service
/usr/bin/xinfang --config /etc/xinfang/xinfang.toml check-config >/dev/null

# The unit's ExecStart, as the unit's user, on a free port and a scratch data directory.
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/xinfang.service)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
install -d -o xinfang -g xinfang /var/lib/xinfang-package-test
cd /var/lib/xinfang-package-test
runuser -u xinfang -- env XINFANG_LISTEN="127.0.0.1:$port" XINFANG_DATA_DIR=/var/lib/xinfang-package-test XINFANG_LOG_FORMAT=json $exec_start >/var/lib/xinfang-package-test/log 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    echo "package: installed, unit verified, ExecStart serves /readyz as user xinfang ($(( $(date +%s) - t0 )) s in all)"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
echo "FAIL: the installed binary did not become ready"; cat /var/lib/xinfang-package-test/log
exit 1
