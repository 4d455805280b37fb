#!/bin/sh
# Back up the sanbufu database: pg_dump in PostgreSQL's custom format into $BACKUP_DIR as
# sanbufu-<UTC time>.dump, then delete the dumps older than $BACKUP_KEEP_DAYS days. The
# connection comes from libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE).
#   backup.sh        one backup, now
#   backup.sh loop   one now and one every $BACKUP_INTERVAL seconds (the compose `backup` service)
# Restore: see "Restore a backup" in README.md.
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
BACKUP_INTERVAL=${BACKUP_INTERVAL:-86400}

backup_once() {
    mkdir -p "$BACKUP_DIR"
    target="$BACKUP_DIR/sanbufu-$(date -u +%Y%m%dT%H%M%SZ).dump"
    # Written under another name and renamed when complete: a dump cut short by a crash or a
    # full disk never looks like a backup.
    pg_dump --format=custom --no-owner --no-privileges --file="$target.partial"
    mv "$target.partial" "$target"
    find "$BACKUP_DIR" -name 'sanbufu-*.dump' -type f -mmin +$((BACKUP_KEEP_DAYS * 1440)) \
        -exec rm -f {} +
    rm -f "$BACKUP_DIR"/*.partial 2>/dev/null || true
    echo "backup: wrote $target ($(wc -c <"$target") bytes); keeping $BACKUP_KEEP_DAYS days"
}

case ${1:-once} in
once) backup_once ;;
loop)
    while :; do
        backup_once || echo "backup: FAILED" >&2
        sleep "$BACKUP_INTERVAL"
    done
    ;;
*)
    echo "usage: backup.sh [once|loop]" >&2
    exit 2
    ;;
esac
