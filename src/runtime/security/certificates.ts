/**
 * A cluster CA and node certificates for TLS (docs/security.md), made with Debian's `openssl`:
 * Node can read certificates but not make them. Used by `kvorum certs` and by the tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KvorumError } from '../../core/errors.ts';

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new KvorumError('bad_config', `openssl ${args[0]} failed: ${stderr || (error as Error).message} (is Debian's openssl installed?)`);
  }
}

function subjectAltNames(hosts: readonly string[]): string {
  const all = [...new Set(['localhost', '127.0.0.1', '::1', ...hosts])];
  return all.map((host) => (/^[0-9.]+$/.test(host) || host.includes(':') ? `IP:${host}` : `DNS:${host}`)).join(',');
}

/** Makes (or reuses) a CA in `dir` and a certificate per node; returns the files written. */
export function makeCertificates(dir: string, nodes: readonly string[], hosts: readonly string[], days = 825): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  if (!existsSync(ca) || !existsSync(caKey)) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', ca, '-days', String(days), '-subj', '/CN=kvorum cluster CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    written.push(ca, caKey);
  }
  for (const node of nodes) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(node)) throw new KvorumError('bad_request', `--node ${JSON.stringify(node)}: a node name is 1-64 characters of A-Z a-z 0-9 _ . -`);
    const key = join(dir, `${node}-key.pem`);
    const cert = join(dir, `${node}.pem`);
    const request = join(dir, `${node}.csr`);
    const extensions = join(dir, `${node}.ext`);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', request, '-subj', `/CN=${node}`]);
    writeFileSync(extensions, `subjectAltName=${subjectAltNames(hosts)}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
    openssl(['x509', '-req', '-in', request, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', String(days), '-extfile', extensions]);
    rmSync(request);
    rmSync(extensions);
    written.push(cert, key);
  }
  return written;
}
