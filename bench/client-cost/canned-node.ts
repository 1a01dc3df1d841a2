/**
 * The canned node as a process (client-cost.ts starts it): the real binary-protocol server,
 * runtime/client-protocol/client-server.ts, in front of a CannedBackend.
 *
 *   node --import tsx bench/client-cost/canned-node.ts --port P     # serves on 127.0.0.1:P until killed
 */
import { parseArgs } from 'node:util';
import { ClientServer } from '../../src/runtime/client-protocol/client-server.ts';
import { CannedBackend } from './canned-backend.ts';

const { values } = parseArgs({ options: { port: { type: 'string' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error('usage: canned-node.ts --port P (1–65535)');
const logger = { info: console.log, warn: console.warn, debug() {} };
await new ClientServer({ host: '127.0.0.1', port, backend: new CannedBackend(`127.0.0.1:${port}`), logger }).start();
console.log(`canned node serving on 127.0.0.1:${port}`);
