#!/usr/bin/env bash
# Starts a throwaway real PostgreSQL server on 127.0.0.1 (free port) in a temp dir and prints
# its URL for `gigafactory up --store`; Ctrl-C stops it and deletes the data. As root it runs
# the server as the `postgres` user. Needs the Debian package: apt-get install -y postgresql.
# Usage: scripts/pg-temp.sh [--durable]
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx src/control/store/pg-temp-main.ts "$@"
