#!/usr/bin/env bash
# Back up Boundary's PostgreSQL database: pg_dump | gzip into
#   $BACKUP_DIR/boundary_YYYYMMDD_HHMMSS.sql.gz      (BACKUP_DIR default /var/backups/boundary)
# then delete backups older than $BACKUP_RETENTION_DAYS (default 30) and, when the aws CLI is
# installed and $BACKUP_S3_URI is set (s3://bucket/prefix/), upload the new file.
#
#   DATABASE_URL=postgresql://user:pass@host:5432/boundary_production scripts/backup-db.sh
#   # cron, daily at 02:00 (as a user that can read /etc/boundary/production.env):
#   0 2 * * * set -a; . /etc/boundary/production.env; /opt/boundary/scripts/backup-db.sh >> /var/log/boundary/backup.log 2>&1
#
# The dump is plain SQL without owners or grants (restores as any role with scripts/restore-db.sh
# or `gunzip -c FILE | psql`). A backup is written to a temporary name and renamed only once
# pg_dump and gzip have both succeeded, so a boundary_*.sql.gz file is always complete.
# Exit codes: 0 done, 1 failure (nothing is left half-written), 2 usage.
set -euo pipefail
umask 077

log() { printf '%s backup-db: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $1"; exit "${2:-1}"; }

[[ $# -eq 0 ]] || die "usage: DATABASE_URL=postgresql://… [BACKUP_DIR=…] $0" 2
[[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is not set" 2
case "$DATABASE_URL" in
    postgres://* | postgresql://* | postgres+*://* | postgresql+*://*) ;;
    *) die "DATABASE_URL is not a PostgreSQL URL (postgresql://…); this script backs up PostgreSQL only" 2 ;;
esac
# libpq does not know SQLAlchemy driver suffixes (postgresql+asyncpg://).
db_url=$(printf '%s' "$DATABASE_URL" | sed -E 's#^postgres(ql)?\+[A-Za-z0-9_]+://#postgresql://#')

backup_dir=${BACKUP_DIR:-/var/backups/boundary}
retention_days=${BACKUP_RETENTION_DAYS:-30}
[[ "$retention_days" =~ ^[0-9]+$ ]] || die "BACKUP_RETENTION_DAYS must be a whole number of days" 2
command -v pg_dump >/dev/null || die "pg_dump not found (install postgresql-client)"

mkdir -p "$backup_dir"
timestamp=$(date +%Y%m%d_%H%M%S)
target="$backup_dir/boundary_${timestamp}.sql.gz"
[[ ! -e "$target" ]] || die "$target already exists"
partial="$backup_dir/.boundary_${timestamp}.sql.gz.partial"
trap 'rm -f "$partial"' EXIT

started=$SECONDS
log "dumping to $target"
pg_dump --no-owner --no-privileges --dbname="$db_url" | gzip -9 > "$partial"
gzip -t "$partial"
mv "$partial" "$target"
log "done: $target ($(wc -c < "$target") bytes, $((SECONDS - started))s)"

# Retention: only our own files, only in BACKUP_DIR itself.
find "$backup_dir" -maxdepth 1 -type f -name 'boundary_*.sql.gz' -mtime "+$retention_days" \
    -print -delete | while read -r old; do log "deleted (older than $retention_days days): $old"; done

if [[ -n "${BACKUP_S3_URI:-}" ]]; then
    if command -v aws >/dev/null; then
        log "uploading to ${BACKUP_S3_URI%/}/"
        aws s3 cp --only-show-errors "$target" "${BACKUP_S3_URI%/}/$(basename "$target")"
    else
        log "WARNING: BACKUP_S3_URI is set but the aws CLI is not installed: not uploaded"
    fi
fi
printf '%s\n' "$target"
