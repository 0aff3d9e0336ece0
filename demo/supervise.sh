#!/usr/bin/env bash
# make demo: podinit as PID 1 of a fresh PID namespace, supervising an app
# that leaves two orphans behind and handles SIGTERM, stopped the way
# `docker stop` stops a container.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "make demo: needs root, to give podinit its own PID namespace (unshare --pid)" >&2; exit 1; }

app='
echo "app: started as pid $$"
(sleep 1000 &)
(sleep 1000 &)
echo "app: left two sleeps behind, re-parented to PID 1"
trap "echo app: got SIGTERM, shutting down; exit 0" TERM
echo "app: ready"
while :; do sleep 1 & wait $!; done
'

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "\$ unshare --pid --fork --mount-proc bin/podinit -v -- sh -c '<app>'"
unshare --pid --fork --mount-proc bin/podinit -v -- sh -c "$app" >"$log" 2>&1 &
runner=$!
until grep -q 'app: ready' "$log"; do sleep 0.05; done
podinit=$(cat "/proc/$runner/task/$runner/children")
echo "\$ kill -TERM $podinit    # what docker stop does to PID 1"
kill -TERM "$podinit"
code=0
wait "$runner" || code=$?
cat "$log"
echo "podinit exited with $code"
