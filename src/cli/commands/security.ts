/**
 * `kvorum certs`, `kvorum token`, `kvorum secret`: the material docs/security.md asks for before a
 * node listens beyond loopback.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { makeCertificates } from '../../runtime/security/certificates.ts';
import { newToken, tokenEntryProblem, tokenSha256 } from '../../runtime/security/client-auth.ts';
import { parseCommand, UsageError } from '../args.ts';

const certsUsage = `
Usage: kvorum certs --out DIR --node NAME [--node NAME ...] [--host HOST ...] [--days 825]

Makes a cluster CA (DIR/ca.pem, DIR/ca-key.pem) — or reuses the one in DIR — and, for each node,
a certificate and key (DIR/NAME.pem, DIR/NAME-key.pem) whose common name is the node's name (its
peers check it) and which is valid for every --host (DNS names or IP addresses clients reach the
node by; 127.0.0.1, ::1 and localhost always). Needs openssl (Debian's package of that name).

Give every node the CA and its own pair: "tls": {"ca": "ca.pem"} in the cluster config, and
"tls": {"cert": "n1.pem", "key": "n1-key.pem"} in its entry of "nodes" (or --tls-ca, --tls-cert,
--tls-key). Keep ca-key.pem off the nodes: it can make certificates the cluster trusts.
`;

const tokenUsage = `
Usage: kvorum token [--name NAME] [--role ROLE ...] [--out FILE]

Prints a new client token, and the entry that lets it in, for "auth": {"tokens": [...]} in the
cluster config. The config holds only the token's SHA-256. Roles (default admin): admin, monitor,
read, write, read:BUCKET, write:BUCKET (docs/security.md).

--out FILE writes the token to FILE and the entry to FILE.entry (both mode 0600) instead of
printing them: what scripts that provision a cluster want (deploy/).
`;

const secretUsage = `
Usage: kvorum secret

Prints a new cluster secret: 32 random bytes, base64url (43 characters). Every node of a cluster
needs the same one (--cluster-secret, KVORUM_CLUSTER_SECRET or "clusterSecret").
`;

export async function certsCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { out: { type: 'string' }, node: { type: 'string', multiple: true }, host: { type: 'string', multiple: true }, days: { type: 'string' } }, certsUsage);
  if (typeof values.out !== 'string') throw new UsageError(`--out DIR is required\n\n${certsUsage.trim()}`);
  const nodes = (values.node as string[] | undefined) ?? [];
  if (nodes.length === 0) throw new UsageError(`name at least one --node\n\n${certsUsage.trim()}`);
  const days = values.days === undefined ? 825 : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError('--days must be an integer from 1 to 3650');
  for (const file of makeCertificates(values.out, nodes, (values.host as string[] | undefined) ?? [], days)) process.stdout.write(`wrote ${file}\n`);
}

export async function tokenCommand(argv: string[]): Promise<void> {
  const { values } = parseCommand(argv, { name: { type: 'string' }, role: { type: 'string', multiple: true }, out: { type: 'string' } }, tokenUsage);
  const token = newToken();
  const entry = { name: typeof values.name === 'string' ? values.name : 'client', sha256: tokenSha256(token), roles: (values.role as string[] | undefined) ?? ['admin'] };
  const problem = tokenEntryProblem(entry);
  if (problem !== null) throw new UsageError(problem);
  if (typeof values.out === 'string') {
    writeFileSync(values.out, `${token}\n`, { mode: 0o600 });
    writeFileSync(`${values.out}.entry`, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    return;
  }
  process.stdout.write(`token (give it to the client; it is shown once): ${token}\nconfig entry for "auth": {"tokens": [...]}:\n${JSON.stringify(entry)}\n`);
}

export async function secretCommand(argv: string[]): Promise<void> {
  parseCommand(argv, {}, secretUsage);
  process.stdout.write(`${randomBytes(32).toString('base64url')}\n`);
}
