#!/usr/bin/env bash
# Installs the peers the benchmark runs beside kvorum, from Debian's packages:
#   redis-server            Redis 7, one unreplicated server (the speed limit of a KV server here)
#   etcd-server etcd-client etcd 3.4, a 3-member cluster (the replicated store users already run)
# Skips everything already present; runs `apt-get update` at most once; never prompts, so it works
# under CI=true with no standard input. Also stops the services Debian starts on install: the
# harness launches its own servers on its own ports and data dirs.
set -euo pipefail

want_binaries=(redis-server etcd etcdctl)
packages_for() {
  case "$1" in
    redis-server) echo redis-server ;;
    etcd) echo etcd-server ;;
    etcdctl) echo etcd-client ;;
  esac
}

missing=()
for binary in "${want_binaries[@]}"; do
  if ! command -v "$binary" >/dev/null 2>&1; then
    missing+=("$(packages_for "$binary")")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo -n)
else
  sudo_cmd=()
fi

echo "bench/setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 stops Debian's maintainer scripts from starting the packaged services
# (they would take ports 6379/2379 and run a second server on the two cores).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod +x "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" -eq 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >&2

for binary in "${want_binaries[@]}"; do
  command -v "$binary" >/dev/null 2>&1 || { echo "bench/setup.sh: $binary still missing after install" >&2; exit 1; }
done
