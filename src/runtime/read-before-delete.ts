/**
 * A delete without a context, as a user means it (issue 12 §4): read the key at the bucket's R,
 * then write a tombstone with the context of that read, so the delete supersedes exactly the
 * versions the read saw — Riak's clients do the same. In the core a tombstone without a context
 * is concurrent with everything stored (DESIGN §2.5: a delete supersedes what its context
 * covers), so such a delete would leave every value visible; the core keeps that meaning, and
 * this is the one place the front ends (HTTP and the binary protocol) turn a context-less delete
 * into the read and the delete a careful client would send.
 *
 * A value written concurrently with the delete, which the read did not see, survives it as a
 * sibling: deletes never win by accident. Both steps share the request's one deadline.
 */
import type { ClientRequest, ClientResult, NodeRequest, PutRequest } from '../core/messages.ts';

type Submit = (request: ClientRequest, onResult: (result: ClientResult) => void) => void;

/** Whether `request` is a delete that carries no context, which `readThenDelete` must run. */
export function isContextlessDelete(request: NodeRequest): request is PutRequest {
  return request.kind === 'put' && request.deleted && request.context === null;
}

/**
 * Runs a context-less delete as a get of the key (at the bucket's R) and a delete with the
 * context that get returned. `defaultTimeoutMs` is the node's deadline for requests that set
 * none; the delete gets what the read left of it. A failed read fails the delete: nothing is
 * written.
 */
export function readThenDelete(submit: Submit, request: PutRequest, defaultTimeoutMs: number, nowMs: () => number, onResult: (result: ClientResult) => void): void {
  const { bucket, key } = request;
  const deadlineMs = nowMs() + (request.timeoutMs ?? defaultTimeoutMs);
  submit({ kind: 'get', bucket, key, timeoutMs: request.timeoutMs }, (read) => {
    if (read.kind === 'error') return onResult(read);
    if (read.kind !== 'got') return onResult({ kind: 'error', code: 'internal', message: `a read before a delete answered ${read.kind}` });
    const timeoutMs = Math.max(1, Math.ceil(deadlineMs - nowMs()));
    submit({ ...request, context: read.object?.context ?? null, timeoutMs }, onResult);
  });
}
