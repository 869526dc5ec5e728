#!/usr/bin/env bash
# Runs a command as on a machine without Slurm, munge or PostgreSQL, on this machine where they
# are installed: in a private mount namespace (nothing changes outside it), the binaries are
# hidden by overlayfs whiteouts over /usr/bin, /usr/sbin and /usr/local/bin, and an empty tmpfs
# covers /usr/lib/postgresql. Needs root (unshare -m, mount). Example:
#   sudo scripts/without-slurm-pg.sh node --import tsx --test test/slurm/*.test.ts test/pg/*.test.ts
set -euo pipefail
if [ "${1:-}" = "--inside" ]; then
  shift
  tmp=$(mktemp -d /tmp/gf-hide-XXXXXX)
  mount -t tmpfs none "$tmp"
  for dir in /usr/bin /usr/sbin /usr/local/bin; do
    key=$(echo "$dir" | tr / _)
    mkdir -p "$tmp/$key/upper" "$tmp/$key/work"
    for f in "$dir"/*; do
      name=$(basename "$f")
      case "$name" in
        slurm*|sbatch|srun|salloc|sattach|scancel|scontrol|sinfo|squeue|sacct|sacctmgr|sstat|sreport|sshare|sprio|sdiag|strigger|sview|munge*|unmunge|remunge|initdb|postgres|pg_ctl|psql|pg_*)
          mknod "$tmp/$key/upper/$name" c 0 0 ;;
      esac
    done
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$tmp/$key/upper,workdir=$tmp/$key/work" "$dir"
  done
  [ -d /usr/lib/postgresql ] && mount -t tmpfs none /usr/lib/postgresql
  exec "$@"
fi
[ "$(id -u)" = 0 ] || { echo "error: needs root (a private mount namespace hides the binaries)" >&2; exit 2; }
exec unshare -m --propagation private "$0" --inside "$@"
