#!/usr/bin/env bash
# Makes the database fixture the upgrade test opens: the demo bureau written by the binary given
# (an earlier release), on SQLite and on PostgreSQL, packed with its files as one zip.
#   scripts/make-upgrade-fixture.sh path/to/old/xinfang crates/server/tests/fixtures/upgrade-NNNN.zip
# The version in the name is the last migration that binary knows. Needs pg_dump and a
# PostgreSQL at 127.0.0.1:5432 (trust auth, user postgres).
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"; psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS xinfang_upgrade_fixture" postgres' EXIT
mkdir -p "$work/sqlite" "$work/postgres"
env -u DATABASE_URL -u XINFANG_CONFIG -u XINFANG_BLOB_URL "$bin" --data-dir "$work/sqlite" demo --petitions 40
# Fold the write-ahead log into the database file (the command may leave it unmerged).
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$work/sqlite/xinfang.db"
rm -f "$work/sqlite/xinfang.db-wal" "$work/sqlite/xinfang.db-shm"
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS xinfang_upgrade_fixture" postgres
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE xinfang_upgrade_fixture" postgres
DATABASE_URL=postgres://postgres@127.0.0.1:5432/xinfang_upgrade_fixture \
  env -u XINFANG_CONFIG -u XINFANG_BLOB_URL "$bin" --data-dir "$work/postgres" demo --petitions 40
pg_dump -h 127.0.0.1 -U postgres --no-owner --no-privileges xinfang_upgrade_fixture > "$work/postgres/dump.sql"
rm -f "$out"
(cd "$work" && python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for root, _, files in os.walk("."):
        for f in sorted(files):
            p = os.path.join(root, f)[2:]
            if p.endswith((".db-wal", ".db-shm")) or "/backups/" in p:
                continue
            z.write(p)
' "$out")
ls -l "$out"
