#!/usr/bin/env bash
# The backup tool: a thin wrapper over `fortress backup`, with its exit codes
# (0 success, 1 failure including a failed verification, 2 invalid usage or settings).
#
#   ./scripts/backup-database.sh backup              # take a backup now
#   ./scripts/backup-database.sh list                # backups in BACKUP_DIR
#   ./scripts/backup-database.sh restore FILE        # into DB_NAME, e.g. DB_NAME=test_restore ... restore FILE
#   ./scripts/backup-database.sh verify FILE         # checksums, contents, full read
#   ./scripts/backup-database.sh cleanup             # apply RETENTION_DAYS and the other retention rules
#
# Settings come from the environment: DB_HOST, DB_PORT, DB_USER, PGPASSWORD (or DB_PASSWORD_FILE), DB_NAME,
# BACKUP_DIR, RETENTION_DAYS, COMPRESSION, PARALLEL_JOBS, ... (docs/configuration.md). Extra arguments are passed on,
# e.g. `verify FILE --level restore-drill`, `cleanup --dry-run`, `restore FILE --target-db copy`.
set -euo pipefail
fortress="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bin/fortress"

usage() {
  echo "usage: $(basename "$0") backup|list|restore FILE|verify FILE|cleanup [options]" >&2
  exit 2
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  backup)  exec "$fortress" backup create "$@" ;;
  list)    exec "$fortress" backup list "$@" ;;
  restore) [ $# -ge 1 ] || usage; exec "$fortress" backup restore "$@" ;;
  verify)  [ $# -ge 1 ] || usage; exec "$fortress" backup verify "$@" ;;
  cleanup) exec "$fortress" backup cleanup "$@" ;;
  -h|--help|help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  *) usage ;;
esac
