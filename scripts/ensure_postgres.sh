#!/usr/bin/env bash
# Start the local PostgreSQL cluster when it is installed but not running. Quiet when it is up;
# says what to do when PostgreSQL is not installed (the Postgres tests then skip, except in CI).
set -u
host="${OMPHALOS_PG_HOST:-127.0.0.1}"
port="${OMPHALOS_PG_PORT:-5432}"
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p "$port"; then
    exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "starting PostgreSQL $version (cluster main)" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do
        pg_isready -q -h "$host" -p "$port" && exit 0
        sleep 1
    done
    echo "PostgreSQL did not become ready on $host:$port" >&2
    exit 1
fi
echo "PostgreSQL is not installed: Postgres tests will be skipped (install postgresql to enable them)" >&2
exit 0
