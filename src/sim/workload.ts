/**
 * Simulated clients. Each client runs one operation at a time (a closed loop with think time)
 * against a random node — any node accepts any request (DESIGN §6) — and mixes:
 * - gets;
 * - read-modify-writes: a get, then a put with the context that get returned (fresh);
 * - blind puts (no context: concurrent with everything stored);
 * - puts with a stale context (one this client saw earlier, not its latest);
 * - deletes, with a fresh or a stale context.
 * It carries contexts as a real client does: as opaque tokens (encoded and decoded with the
 * real codec). Every operation is recorded in the history with a unique label per write.
 */
import { limits } from '../core/limits.ts';
import type { ClientRequest, ClientResult, GetRequest } from '../core/messages.ts';
import { contextTokenKey, decodeContextToken, encodeContextToken } from '../core/version/context-token.ts';
import type { CausalContext, StoredObject } from '../core/version/types.ts';
import type { GotObject, History, HistoryEntry, OperationKind, WriteStyle } from './history.ts';
import { labelBytes, labelOf } from './labels.ts';
import type { Oracle } from './oracle.ts';
import type { Prng } from './prng.ts';
import type { ClientOutcome, SimWorld } from './world.ts';

/** Tokens are signed as a real node signs them (the simulated cluster has no secret). */
const simTokenKey = contextTokenKey('sim', undefined);

/** One key of the key space: its bucket and its name. */
export interface KeyRef {
  readonly bucket: string;
  readonly key: string;
}

export interface WorkloadConfig {
  readonly clientsCount: number;
  /** The key space; its first `hotKeysCount` keys are hot. */
  readonly keys: readonly KeyRef[];
  readonly hotKeysCount: number;
  /** Chance that a client picks one of the hot keys instead of a uniform one of them all. */
  readonly hotKeyShare: number;
  readonly thinkMsMean: number;
  /** What a client gives a request before it calls the outcome unknown. */
  readonly clientTimeoutMs: number;
  /**
   * The deadline a get carries to its coordinator (by default `clientTimeoutMs`); longer, the
   * coordinator keeps listening after the client gave up, and read-repairs at it.
   */
  readonly getDeadlineMs?: number | undefined;
  /** Relative weights of the operation mix. */
  readonly mix: Readonly<Record<Choice, number>>;
  /** Chance that a request overrides the bucket's R or W with a random 1..N. */
  readonly quorumOverrideShare: number;
  /** Chance that a write asks for W = N (a fault mix's tilt: fault-mixes.ts); 0 draws nothing. */
  readonly wEqualsNShare?: number | undefined;
}

export type Choice = 'get' | 'readModifyWrite' | 'blindPut' | 'stalePut' | 'freshDelete' | 'staleDelete';

export const defaultMix: Readonly<Record<Choice, number>> = {
  get: 3,
  readModifyWrite: 4,
  blindPut: 1,
  stalePut: 1,
  freshDelete: 1,
  staleDelete: 0.5,
};

/** Shared by every client of a run. */
export interface WorkloadContext {
  readonly world: SimWorld;
  readonly history: History;
  readonly oracle: Oracle;
  /** Clients start no operation at or after this time. */
  readonly stopMs: number;
  nextLabel: number;
}

/** The contexts a client has seen for one key, as tokens, oldest first. */
const contextsKeptMax = 8;

export class SimClient {
  private readonly tokens = new Map<string, string[]>();

  constructor(
    readonly name: string,
    private readonly shared: WorkloadContext,
    private readonly config: WorkloadConfig,
    private readonly prng: Prng,
  ) {}

  start(): void {
    this.afterThinking(() => this.nextOperation());
  }

  private afterThinking(action: () => void): void {
    this.shared.world.queue.after(this.prng.exponential(this.config.thinkMsMean) * 1000, () => {
      if (this.shared.world.nowMs < this.shared.stopMs) action();
    });
  }

  private nextOperation(): void {
    const key = this.pickKey();
    const done = (): void => this.afterThinking(() => this.nextOperation());
    this.operate(key, this.pickChoice(), done);
  }

  /** One operation (a read-modify-write or a fresh delete is two requests) on `key`; `done` when it ends. */
  operate(key: KeyRef, choice: Choice, done: () => void): void {
    switch (choice) {
      case 'get':
        return this.get(key, done);
      case 'readModifyWrite':
        return this.get(key, (object) => (object === undefined ? done() : this.write(key, 'put', 'fresh', this.tokenOf(key, object), done)));
      case 'blindPut':
        return this.write(key, 'put', 'blind', null, done);
      case 'stalePut':
        return this.write(key, 'put', 'stale', this.staleToken(key), done);
      case 'freshDelete':
        return this.get(key, (object) => (object === undefined ? done() : this.write(key, 'delete', 'fresh', this.tokenOf(key, object), done)));
      case 'staleDelete':
        return this.write(key, 'delete', 'stale', this.staleToken(key), done);
    }
  }

  /** A get; `then` receives the object, or undefined when the get did not succeed. */
  private get(ref: KeyRef, then: (object: StoredObject | null | undefined) => void): void {
    const { bucket, key } = ref;
    const r = this.pickQuorum(bucket);
    const request: GetRequest = { kind: 'get', bucket, key, r, timeoutMs: this.config.getDeadlineMs ?? this.config.clientTimeoutMs };
    this.send(request, 'get', {}, r ?? this.shared.world.bucketProps(bucket).r, (entry, result) => {
      if (result?.kind !== 'got') return then(undefined);
      if (result.object) this.remember(ref, result.object.context);
      entry.got = result.object ? gotObject(result.object) : null;
      then(result.object);
    });
  }

  private write(ref: KeyRef, kind: 'put' | 'delete', style: WriteStyle, token: string | null, done: () => void): void {
    // The write half of a read-modify-write is an operation too: none starts after the stop.
    if (this.shared.world.nowMs >= this.shared.stopMs) return done();
    const { bucket, key } = ref;
    const label = `${kind === 'put' ? 'w' : 'd'}${this.shared.nextLabel++}`;
    this.shared.oracle.issue(label, bucket, key);
    const context = token === null ? null : decodeContextToken(token, ref, simTokenKey);
    const wEqualsN = (this.config.wEqualsNShare ?? 0) > 0 && this.prng.chance(this.config.wEqualsNShare!);
    const w = wEqualsN ? this.shared.world.bucketProps(bucket).n : this.pickQuorum(bucket);
    const request: ClientRequest = {
      kind: 'put',
      bucket,
      key,
      value: labelBytes(label),
      contentType: 'text/plain',
      deleted: kind === 'delete',
      context,
      w,
      timeoutMs: this.config.clientTimeoutMs,
    };
    this.send(request, kind, { style: token === null ? 'blind' : style, label, context }, w ?? this.shared.world.bucketProps(bucket).w, (entry, result) => {
      if (result?.kind === 'stored') {
        entry.storedContext = result.context;
        this.remember(ref, result.context);
      }
      done();
    });
  }

  /** Sends, records, and completes the entry on the first of: an answer, a reset, the deadline. */
  private send(
    request: ClientRequest,
    kind: OperationKind,
    extra: Pick<HistoryEntry, 'style' | 'label' | 'context'>,
    quorum: number,
    then: (entry: HistoryEntry, result: ClientResult | undefined) => void,
  ): void {
    const { world, history } = this.shared;
    const node = this.prng.pick(world.nodeNames);
    const entry = history.invoke({ client: this.name, node, kind, bucket: request.bucket, key: request.key, quorum, invokedMs: world.nowMs, ...extra }, request);
    let finished = false;
    const finish = (result: ClientResult | undefined): void => {
      if (finished) return;
      finished = true;
      then(entry, result);
    };
    world.queue.after(this.config.clientTimeoutMs * 1000, () => {
      history.complete(entry, world.nowMs, 'unknown', { code: 'deadline' });
      finish(undefined);
    });
    world.request(node, request, (outcome) => {
      if (entry.outcome !== 'pending') return;
      recordOutcome(history, entry, world.nowMs, outcome);
      finish(outcome.type === 'result' ? outcome.result : undefined);
    });
  }

  private pickKey(): KeyRef {
    const { keys, hotKeysCount, hotKeyShare } = this.config;
    return hotKeysCount > 0 && this.prng.chance(hotKeyShare) ? keys[this.prng.int(0, Math.min(hotKeysCount, keys.length))]! : this.prng.pick(keys);
  }

  private pickChoice(): Choice {
    const entries = Object.entries(this.config.mix) as [Choice, number][];
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.prng.float() * total;
    for (const [choice, weight] of entries) {
      roll -= weight;
      if (roll < 0) return choice;
    }
    return entries[entries.length - 1]![0];
  }

  /** Usually the bucket's R or W (undefined); sometimes a random override 1..N. */
  private pickQuorum(bucket: string): number | undefined {
    if (!this.prng.chance(this.config.quorumOverrideShare)) return undefined;
    return this.prng.int(1, this.shared.world.bucketProps(bucket).n + 1);
  }

  private remember(ref: KeyRef, context: CausalContext): void {
    const id = keyId(ref);
    const tokens = this.tokens.get(id) ?? [];
    const token = encodeContextToken(context, ref, simTokenKey);
    if (token.length > limits.contextBytesMax) return; // a real client could not send it back either
    tokens.push(token);
    if (tokens.length > contextsKeptMax) tokens.shift();
    this.tokens.set(id, tokens);
  }

  /** The token a get hands its client: null when the key was not found (the next put is blind). */
  private tokenOf(ref: KeyRef, object: StoredObject | null): string | null {
    return object === null ? null : encodeContextToken(object.context, ref, simTokenKey);
  }

  /** A context this client saw earlier than its latest, or its only one, or none. */
  private staleToken(ref: KeyRef): string | null {
    const tokens = this.tokens.get(keyId(ref)) ?? [];
    if (tokens.length === 0) return null;
    return tokens[this.prng.int(0, Math.max(1, tokens.length - 1))]!;
  }
}



function keyId({ bucket, key }: KeyRef): string {
  return `${bucket}\u0000${key}`;
}

/** A node's `timeout` says the write may or may not have been stored: as unknown as no answer. */
export function recordOutcome(history: History, entry: HistoryEntry, nowMs: number, outcome: ClientOutcome): void {
  if (outcome.type === 'refused') history.complete(entry, nowMs, 'failed', { code: 'refused' });
  else if (outcome.type === 'reset') history.complete(entry, nowMs, 'unknown', { code: 'reset' });
  else if (outcome.result.kind === 'error') {
    history.complete(entry, nowMs, outcome.result.code === 'timeout' ? 'unknown' : 'failed', { code: outcome.result.code });
  }
  else history.complete(entry, nowMs, 'ok');
}

export function gotObject(object: StoredObject): GotObject {
  return {
    siblings: object.siblings.map((sibling) => ({ dot: sibling.dot, label: labelOf(sibling.value), deleted: sibling.deleted })),
    context: object.context,
  };
}

/**
 * Writes many cold keys at the start of a run (blind puts through `lanes` clients at once), so
 * that the key space reaches every partition and many hash-tree segments (issue 13 §3): what the
 * clients touch afterwards is mostly the hot keys. Its writes are client operations like any
 * other — in the history, judged by every checker.
 */
export function startLoad(shared: WorkloadContext, config: WorkloadConfig, prng: Prng, keys: readonly KeyRef[], lanes: number): void {
  const queue = prng.shuffled(keys);
  for (let lane = 1; lane <= lanes && queue.length > 0; lane++) {
    const client = new SimClient(`load${lane}`, shared, config, prng.fork(`load ${lane}`));
    const next = (): void => {
      const key = queue.pop();
      if (key !== undefined) client.operate(key, 'blindPut', next);
    };
    next();
  }
}
