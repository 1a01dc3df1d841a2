/**
 * What the CLI presents to a cluster that checks tokens or speaks TLS (docs/security.md):
 * KVORUM_TOKEN, a client token (`kvorum token`), and KVORUM_CA, the path of the cluster's CA
 * certificate (`kvorum certs`). From the environment, not flags, so that a token stays out of
 * shell history and process listings.
 */
import { readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import type { ConnectOptions } from '../client/types.ts';
import { UsageError } from './args.ts';

interface CliCredentials {
  readonly token: string | undefined;
  readonly ca: Buffer | undefined;
}

let loaded: CliCredentials | undefined;

function credentials(): CliCredentials {
  if (loaded !== undefined) return loaded;
  const token = process.env.KVORUM_TOKEN || undefined;
  const caPath = process.env.KVORUM_CA || undefined;
  let ca: Buffer | undefined;
  if (caPath !== undefined) {
    try {
      ca = readFileSync(caPath);
    } catch (error) {
      throw new UsageError(`KVORUM_CA=${caPath}: ${(error as Error).message}`);
    }
  }
  loaded = { token, ca };
  return loaded;
}

/** The token and CA of the environment, as `connect()` takes them. */
export function cliConnectOptions(): Pick<ConnectOptions, 'token' | 'tls'> {
  const { token, ca } = credentials();
  return { token, tls: ca === undefined ? undefined : { ca } };
}

let agent: Agent | undefined;

/** fetch() with the environment's token as a bearer token and its CA trusted. */
export function cliFetch(url: string, init: Omit<RequestInit, 'headers'> & { headers?: Record<string, string> } = {}): Promise<Response> {
  const { token, ca } = credentials();
  if (ca !== undefined) agent ??= new Agent({ connect: { ca } });
  const headers = token === undefined ? init.headers : { ...init.headers, authorization: `Bearer ${token}` };
  return undiciFetch(url, { ...init, headers, dispatcher: agent });
}
