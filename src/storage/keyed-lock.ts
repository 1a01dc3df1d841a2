/**
 * KeyedSerializer: runs async tasks for the same key one after another, and tasks for
 * different keys concurrently.
 *
 * A replica stores a put by reading the key's siblings, merging the incoming version in and
 * writing the result back (Dynamo §4.4 reconciliation at the storage node). Two such
 * read-merge-writes of one key that interleave — both read, both write — lose the first
 * writer's sibling, silently breaking the contract that concurrent writes survive. Every
 * read-merge-write of a key goes through `run(key, …)`, so that cannot happen.
 *
 * Per key we keep only the tail of its chain: a promise that settles when the last queued task
 * does. When a task finishes and nothing was queued behind it, the key is forgotten, so idle
 * keys cost no memory. A failed task rejects its own caller and does not stop the tasks behind
 * it. Tasks are not cancelled or timed out here; the caller's deadline covers the whole request.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<void>>();

  /** Keys that have a task running or waiting (idle keys are not held). */
  get activeKeyCount(): number {
    return this.tails.size;
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous === undefined ? start(task) : previous.then(() => task());
    // The tail never rejects, so one failed task does not fail those queued behind it. Its
    // release is registered on `result` before the caller can register anything, so a key
    // left idle is already forgotten when the caller's `await` resumes.
    const tail: Promise<void> = result.then(
      () => this.release(key, tail),
      () => this.release(key, tail),
    );
    this.tails.set(key, tail);
    return result;
  }

  /** Forgets the key unless another task was queued behind this one. */
  private release(key: string, tail: Promise<void>): void {
    if (this.tails.get(key) === tail) this.tails.delete(key);
  }
}

/** Starts the task now; a synchronous throw becomes a rejection like an async one. */
function start<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error);
  }
}
