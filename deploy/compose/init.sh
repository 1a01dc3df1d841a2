#!/bin/sh
# The Compose project's one-shot `init` service: makes what a node needs before it may listen
# beyond loopback (docs/security.md) into the volume the nodes mount read-only at /etc/kvorum, and
# writes the cluster config they start from. Run at every `docker compose up`; what it made once
# (the CA, certificates, tokens, the cluster secret) it keeps, so restarts change nothing, and it
# only writes cluster.json again from the template (deploy/compose/cluster.json), so edits to the
# template take effect at the next `up`. Delete the volume to start over with new material.
#
#   KVORUM_DIR       where to write (default /etc/kvorum: the volume)
#   CLUSTER_TEMPLATE the cluster config without security (default /deploy/cluster.json)
set -eu
dir=${KVORUM_DIR:-/etc/kvorum}
template=${CLUSTER_TEMPLATE:-/deploy/cluster.json}
# Keys, tokens and the secret are for the nodes' user only; files others must read are opened up below.
umask 077
mkdir -p "$dir/ca"

[ -s "$dir/cluster-secret" ] || kvorum secret > "$dir/cluster-secret"

# One certificate per node of the template, named by the node (its peers check the common name)
# and valid for the host name the others and Prometheus reach it by. The CA's key stays in ca/,
# which no service but this one needs; it is kept so that a node added to the template gets a
# certificate of the same CA.
nodes=$(node -e '
  const config = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  for (const node of config.nodes) console.log(node.name, node.address.replace(/:\d+$/, ""));
' "$template")
printf '%s\n' "$nodes" | while read -r name host; do
  if [ ! -s "$dir/$name.pem" ]; then
    kvorum certs --out "$dir/ca" --node "$name" --host "$host" > /dev/null
    mv "$dir/ca/$name.pem" "$dir/ca/$name-key.pem" "$dir/"
  fi
done
cp "$dir/ca/ca.pem" "$dir/ca.pem"

# A token in FILE and its config entry in FILE.entry, made once.
make_token() { # FILE NAME ROLE
  [ -s "$dir/$1" ] && [ -s "$dir/$1.entry" ] && return 0
  kvorum token --name "$2" --role "$3" --out "$dir/$1"
}
make_token admin-token admin admin                # the operator's, and `kvorum` run inside a node
make_token node-token nodes monitor               # what nodes show each other for the dashboard
make_token prometheus-token prometheus monitor    # what Prometheus scrapes /metrics with

# The template, with the cluster secret and the tokens' entries (the config holds only their hashes):
# this script's and any other DIR/*.entry, each one line: the entry `kvorum token` prints last (or writes to FILE.entry with --out FILE).
node -e '
  const fs = require("node:fs");
  const [template, dir] = process.argv.slice(1);
  const read = (file) => fs.readFileSync(`${dir}/${file}`, "utf8").trim();
  const config = JSON.parse(fs.readFileSync(template, "utf8"));
  config.clusterSecret = read("cluster-secret");
  // Every *.entry: these three, and any an operator added (docs/deploy.md).
  const entries = fs.readdirSync(dir).filter((file) => file.endsWith(".entry")).sort();
  const tokens = entries.map((file) => JSON.parse(read(file)));
  config.auth = { tokens: [...(config.auth?.tokens ?? []), ...tokens], nodeTokenFile: "node-token" };
  fs.writeFileSync(`${dir}/cluster.json.tmp`, `${JSON.stringify(config, null, 2)}\n`);
  fs.renameSync(`${dir}/cluster.json.tmp`, `${dir}/cluster.json`);
' "$template" "$dir"

# Prometheus runs as another user (nobody): it reads the CA and its own monitor-only token.
chmod 0755 "$dir"
chmod 0644 "$dir/ca.pem" "$dir/prometheus-token"
for file in "$dir"/*.pem; do case "$file" in *-key.pem) ;; *) chmod 0644 "$file" ;; esac; done
echo "kvorum init: material in $dir; the admin token: docker compose exec n1 cat $dir/admin-token"
