#!/usr/bin/env bash
# Squawk (squawk-cli, pinned in package.json) lints the SQL every migration runs: the migrations
# run through the project's runner on a real PostgreSQL (DATABASE_URL's server, or one started
# here), their statements land in build/migrations-sql/<migration>.sql, and squawk checks them with
# .squawk.toml. An exception carries its reason next to its statement (db/squawk-exceptions.ts, or
# a `-- squawk-ignore` comment in the migration's own SQL).
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm exec tsx db/tools/migration-sql.ts build/migrations-sql
pnpm exec squawk --config .squawk.toml build/migrations-sql/*.sql
