/**
 * What the CLI presents to a cluster that checks tokens or speaks TLS (docs/security.md):
 * KVORUM_TOKEN, a client token (`kvorum token`), and KVORUM_CA, the path of the cluster's CA
 * certificate (`kvorum certs`). From the environment, not flags, so that a token stays out of
 * shell history and process listings. Without KVORUM_TOKEN the token is read from the file
 * KVORUM_TOKEN_FILE names, else from ./data/dev-token if there is one — what `kvorum dev` (npm
 * start) writes with its default data dir — so that the CLI works against `npm start` as it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import type { ConnectOptions } from '../client/types.ts';
import { UsageError } from './args.ts';

interface CliCredentials {
  readonly token: string | undefined;
  readonly ca: Buffer | undefined;
}

let loaded: CliCredentials | undefined;

/** The file `kvorum dev` leaves its admin token in, in its data dir. */
export const devTokenFile = 'dev-token';
/** Where it is with dev's default data dir (./data), relative to the working dir. */
const devTokenDefaultPath = join('data', devTokenFile);

function readToken(path: string, source: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new UsageError(`${source}: ${(error as Error).message}`);
  }
  if (token.length === 0 || /\s/.test(token)) throw new UsageError(`${source}: the file does not hold one token`);
  return token;
}

/** KVORUM_TOKEN, else the file KVORUM_TOKEN_FILE names, else dev's token file if present. */
function tokenOfEnvironment(): string | undefined {
  const { KVORUM_TOKEN: token, KVORUM_TOKEN_FILE: file } = process.env;
  if (token) return token;
  if (file) return readToken(file, `KVORUM_TOKEN_FILE=${file}`);
  return existsSync(devTokenDefaultPath) ? readToken(devTokenDefaultPath, devTokenDefaultPath) : undefined;
}

function credentials(): CliCredentials {
  if (loaded !== undefined) return loaded;
  const token = tokenOfEnvironment();
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
