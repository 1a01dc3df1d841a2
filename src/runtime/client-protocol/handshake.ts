/**
 * The binary protocol's handshake, server side: the client's hello names the protocol and the
 * version it speaks; the server answers with its identity and the limits it holds the
 * connection to, or refuses and closes. The version check is what lets the protocol grow: a
 * client that needs a later version learns at once, by a coded error, that this node lacks it.
 */
import { KvorumError } from '../../core/errors.ts';
import { describeValue } from '../../core/version/describe-value.ts';
import { clientProtocolName, clientProtocolVersions, helloFieldBytesMax, type WelcomeFrame, type WelcomeLimits } from '../../wire/client-protocol.ts';
import { isRecord } from './request-parse.ts';

const helloFields = new Set(['op', 'protocol', 'version', 'auth', 'client']);

/** The welcome for an acceptable hello; throws KvorumError `bad_request` saying what is wrong. */
export function welcomeFor(hello: unknown, node: string, cluster: string, limits: WelcomeLimits): WelcomeFrame {
  if (!isRecord(hello) || hello.op !== 'hello') throw new KvorumError('bad_request', `the first frame must be a hello {op: 'hello', protocol: '${clientProtocolName}', version}, got ${describeValue(isRecord(hello) ? hello.op : hello)}`);
  if (hello.protocol !== clientProtocolName) throw new KvorumError('bad_request', `protocol must be '${clientProtocolName}', got ${describeValue(hello.protocol)}`);
  if (typeof hello.version !== 'number' || !clientProtocolVersions.includes(hello.version)) {
    throw new KvorumError('bad_request', `protocol version ${describeValue(hello.version)} is not spoken here: this node speaks versions ${clientProtocolVersions.join(', ')}`, { versions: clientProtocolVersions });
  }
  for (const field in hello) if (!helloFields.has(field)) throw new KvorumError('bad_request', `unknown field ${JSON.stringify(field.slice(0, 40))} in the hello`);
  for (const field of ['auth', 'client'] as const) {
    const value = hello[field];
    const ok = value === undefined || value === null || ((typeof value === 'string' || value instanceof Uint8Array) && value.length <= helloFieldBytesMax);
    if (!ok) throw new KvorumError('bad_request', `hello ${field} must be a string of at most ${helloFieldBytesMax} bytes, got ${describeValue(value)}`);
  }
  // The connection speaks the version the client asked for (each later one only adds ops).
  return { op: 'welcome', protocol: clientProtocolName, version: hello.version, node, cluster, limits };
}
