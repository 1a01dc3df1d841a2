/**
 * A stand-in for a kvorum node that speaks the binary client protocol (wire/client-protocol.ts)
 * and does nothing else: it welcomes, describes a one-node ring, answers every get with one
 * fixed sibling and every put or delete with a fixed context, replies batched per event-loop turn
 * as a node does. It costs the client what a node's replies cost, and costs the machine almost
 * nothing itself, so the client's own CPU per request can be measured without three nodes
 * sharing the cores with it (client-cost/run.ts).
 *
 * Run as a child process, `canned-node.ts --port P`: it serves on 127.0.0.1:P until it is killed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitUntil } from '../systems/processes.ts';
import { BatchedWriter } from '../../src/wire/batched-writer.ts';
import { clientProtocolName, clientProtocolVersion, type RingDescription } from '../../src/wire/client-protocol.ts';
import { decodeMessage, encodeMessageFrame } from '../../src/wire/codec.ts';
import { FrameDecoder } from '../../src/wire/framing.ts';

/** The canned node's ring: Q partitions, all on it. */
export const cannedPartitionCount = 64;
/** What every get answers: a 100-byte value, as the benchmark's default record. */
export const cannedValue = Buffer.alloc(100, 0x61);
export const cannedContentType = 'application/octet-stream';
/** A context token of a usual length (opaque to the client). */
export const cannedContext = 'kwKRk6tuMc4AAQIDzwAAAZrZbqHAkZKibjHOAAECA5GSom4xzgABAgOhS0Q4bX2DZXRlc3Q';
const cannedLastModifiedMs = 1_765_000_000_000;
const frameBytesMax = 1024 * 1024;

const startTimeoutMs = 10_000;

export interface CannedNode {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts a canned node in a child process and waits until it takes connections. */
export async function startCannedNode(): Promise<CannedNode> {
  const workDir = mkdtempSync(join(tmpdir(), 'kvorum-canned-node-'));
  const port = await freePort();
  const script = fileURLToPath(import.meta.url);
  const child = startProcess('canned node', process.execPath, ['--import', 'tsx', script, '--port', String(port)], join(workDir, 'canned-node.log'));
  const stop = async () => {
    await child.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await waitUntil('the canned node', () => accepts(port), [child], startTimeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function ringOf(port: number): RingDescription {
  const node = { name: 'canned', address: `127.0.0.1:${port}`, httpUrl: `http://127.0.0.1:${port}`, clientAddress: `127.0.0.1:${port}`, zone: null, capacity: 1 };
  const partitions = Array.from({ length: cannedPartitionCount }, (_, partition) => ({ partition, owner: node.name, preferenceList: [node.name] }));
  return { version: 1, partitionCount: cannedPartitionCount, n: 1, nodes: [node], partitions };
}

function answer(request: Record<string, unknown>, port: number): unknown {
  switch (request.op) {
    case 'hello':
      return {
        op: 'welcome',
        protocol: clientProtocolName,
        version: clientProtocolVersion,
        node: 'canned',
        cluster: 'canned',
        limits: { frameBytesMax, replyFrameBytesMax: frameBytesMax, inflightMax: 1024, keyBytesMax: 1024, valueBytesMax: frameBytesMax / 2, idleTimeoutMs: 600_000 },
      };
    case 'ring':
      return { id: request.id, ring: ringOf(port) };
    case 'get':
      return { id: request.id, context: cannedContext, siblings: [{ value: cannedValue, contentType: cannedContentType, lastModifiedMs: cannedLastModifiedMs }] };
    default:
      return { id: request.id, context: cannedContext };
  }
}

function serve(socket: Socket, port: number): void {
  socket.setNoDelay(true);
  const decoder = new FrameDecoder(frameBytesMax);
  const writer = new BatchedWriter(socket);
  socket.on('data', (chunk: Buffer) => decoder.push(chunk, (frames, start, end) => writer.push(encodeMessageFrame(answer(decodeMessage(frames, start, end) as Record<string, unknown>, port)))));
  socket.on('error', () => socket.destroy());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
  if (!Number.isInteger(port) || port <= 0) throw new Error('usage: canned-node.ts --port P');
  createServer((socket) => serve(socket, port)).listen(port, '127.0.0.1');
}
