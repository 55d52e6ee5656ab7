#!/usr/bin/env bash
# Restore a backup made by scripts/backup-db.sh into $DATABASE_URL — DESTRUCTIVE: the
# database's `public` schema (every Boundary table) is dropped and rebuilt from the file.
#
#   sudo systemctl stop boundary            # or scale the Deployment to 0: nothing may write
#   DATABASE_URL=postgresql://…/boundary_production scripts/restore-db.sh \
#       /var/backups/boundary/boundary_20260103_020000.sql.gz          # asks first
#   … scripts/restore-db.sh FILE --yes                                 # no question (automation)
#
# Safe by construction: the file is checked (gzip -t) before anything is touched, and the drop
# plus the whole restore run in ONE transaction (psql --single-transaction, ON_ERROR_STOP):
# on any error the database is left exactly as it was.
# Exit codes: 0 restored, 1 failure or declined, 2 usage.
set -euo pipefail

log() { printf '%s restore-db: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $1"; exit "${2:-1}"; }
usage() { die "usage: DATABASE_URL=postgresql://… $0 FILE [--yes]" 2; }

file="" yes=0
for arg in "$@"; do
    case "$arg" in
        --yes | -y) yes=1 ;;
        -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) usage ;;
        *) [[ -z "$file" ]] || usage; file=$arg ;;
    esac
done
[[ -n "$file" ]] || usage
[[ -f "$file" && -r "$file" ]] || die "$file: no such readable file" 2
[[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is not set" 2
case "$DATABASE_URL" in
    postgres://* | postgresql://* | postgres+*://* | postgresql+*://*) ;;
    *) die "DATABASE_URL is not a PostgreSQL URL (postgresql://…)" 2 ;;
esac
db_url=$(printf '%s' "$DATABASE_URL" | sed -E 's#^postgres(ql)?\+[A-Za-z0-9_]+://#postgresql://#')
command -v psql >/dev/null || die "psql not found (install postgresql-client)"

gzip -t "$file" || die "$file is not a valid gzip file: nothing was changed"
# The target, without the password, for the question and the log.
target=$(psql --no-psqlrc -X -At --dbname="$db_url" \
    -c "SELECT current_user || '@' || coalesce(host(inet_server_addr()), 'local') || ':' || current_setting('port') || '/' || current_database()") \
    || die "cannot connect to DATABASE_URL: nothing was changed"
dbname=${target##*/}

if [[ $yes -ne 1 ]]; then
    printf 'This DROPS every table in %s and replaces it with %s.\n' "$target" "$file" >&2
    printf 'Type the database name (%s) to continue: ' "$dbname" >&2
    answer=""
    read -r answer || true
    [[ "$answer" == "$dbname" ]] || die "not confirmed: nothing was changed"
fi

started=$SECONDS
log "restoring $file into $target"
{
    printf 'SET client_min_messages = warning;\n'
    printf 'SET lock_timeout = %s;\n' "'${RESTORE_LOCK_TIMEOUT:-30s}'"
    printf 'DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n'
    gunzip -c "$file"
} | psql --no-psqlrc -X --quiet --single-transaction -v ON_ERROR_STOP=1 --dbname="$db_url" >/dev/null
psql --no-psqlrc -X --quiet --dbname="$db_url" -c 'ANALYZE' >/dev/null
log "restored in $((SECONDS - started))s; run \`boundary migrate status\`, then start the service"
