#!/bin/sh
# Makes the two Secrets the StatefulSet mounts, with `kvorum secret`, `kvorum certs` and
# `kvorum token` (docs/deploy.md, docs/security.md), and applies them with kubectl:
#   kvorum      clusterSecret (the pods' KVORUM_CLUSTER_SECRET); tokens.json, the tokens' entries
#               for the config's auth.tokens (hashes only); node-token (monitor: what a node shows
#               its peers for the dashboard); admin-token (what `kvorum` run in a pod uses: a new
#               pod's join, `kubectl exec kvorum-0 -- kvorum plan`)
#   kvorum-tls  ca.pem, and for every pod kvorum-<ordinal>.pem and kvorum-<ordinal>-key.pem: a
#               certificate whose common name is the pod's node name (peers check it) and which is
#               valid for the pod's host names and the client Service's
#
# Usage: deploy/kubernetes/make-secrets.sh [--pods N] [--dir DIR] [--namespace NS]
#   --pods N      certificates for kvorum-0 … kvorum-(N-1) (default 3)
#   --dir DIR     where the material stays on this machine (default ./kvorum-secrets): the CA's key,
#                 which only ever makes certificates, and the admin and monitor tokens. Run again
#                 with a larger --pods before scaling the StatefulSet up: it keeps the secret, the
#                 tokens and the CA, and adds certificates of the same CA for the new pods.
#   --namespace   the namespace of the StatefulSet (default: kubectl's current one)
# Needs kvorum (npm install -g kvorum; it needs openssl) and kubectl on the PATH.
set -eu
pods=3
dir=./kvorum-secrets
namespace=
while [ $# -gt 0 ]; do
  case "$1" in
    --pods) pods=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --namespace) namespace=$2; shift 2 ;;
    *) echo "usage: $0 [--pods N] [--dir DIR] [--namespace NS]" >&2; exit 2 ;;
  esac
done
case "$pods" in '' | *[!0-9]*) echo "$0: --pods takes a number" >&2; exit 2 ;; esac
[ -n "$namespace" ] || namespace=$(kubectl config view --minify --output 'jsonpath={..namespace}')
[ -n "$namespace" ] || namespace=default

umask 077
mkdir -p "$dir/ca" "$dir/kvorum" "$dir/kvorum-tls"

[ -s "$dir/kvorum/clusterSecret" ] || kvorum secret | tr -d '\n' > "$dir/kvorum/clusterSecret"

ordinal=0
while [ "$ordinal" -lt "$pods" ]; do
  pod=kvorum-$ordinal
  if [ ! -s "$dir/kvorum-tls/$pod.pem" ]; then
    # The pod's names in the headless Service, and the client Service's (any pod answers there).
    kvorum certs --out "$dir/ca" --node "$pod" \
      --host "$pod.kvorum" --host "$pod.kvorum.$namespace.svc" --host "$pod.kvorum.$namespace.svc.cluster.local" \
      --host kvorum-client --host "kvorum-client.$namespace.svc" --host "kvorum-client.$namespace.svc.cluster.local" > /dev/null
    mv "$dir/ca/$pod.pem" "$dir/ca/$pod-key.pem" "$dir/kvorum-tls/"
  fi
  ordinal=$((ordinal + 1))
done
cp "$dir/ca/ca.pem" "$dir/kvorum-tls/ca.pem"

# A token in FILE and its config entry in FILE.entry, made once.
make_token() { # FILE NAME ROLE
  [ -s "$dir/$1" ] && [ -s "$dir/$1.entry" ] && return 0
  kvorum token --name "$2" --role "$3" --out "$dir/$1"
}
make_token admin-token admin admin          # the operator's, and the pods' CLI
make_token node-token nodes monitor         # nodes, to each other (auth.nodeTokenFile)
make_token monitor-token monitor monitor    # for Prometheus or a dashboard: never in a pod
cp "$dir/admin-token" "$dir/node-token" "$dir/kvorum/"
# Every DIR/*.entry: these three, and a client's (`kvorum token --out DIR/NAME` writes NAME.entry: docs/deploy.md).
{
  separator='['
  for entry in "$dir"/*.entry; do
    printf '%s%s\n' "$separator" "$(cat "$entry")"
    separator=','
  done
  echo ']'
} > "$dir/kvorum/tokens.json"

# Create or update (a rerun with more pods replaces the Secrets' contents).
for secret in kvorum kvorum-tls; do
  kubectl create secret generic "$secret" --namespace "$namespace" --from-file="$dir/$secret" --dry-run=client --output yaml \
    | kubectl apply --namespace "$namespace" --filename -
done
echo "Secrets kvorum and kvorum-tls applied in namespace $namespace for $pods pods; $dir keeps the CA key and the tokens (admin-token, monitor-token)."
