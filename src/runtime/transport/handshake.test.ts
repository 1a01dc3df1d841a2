import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helloProof, helloRejection, makeNonce, transcriptOf, welcomeProof, type ServerIdentity, type Transcript } from './handshake.ts';
import type { HelloFrame } from './wire-messages.ts';

const server: ServerIdentity = { protocolVersion: 1, clusterName: 'prod', nodeName: 'n2', clusterSecret: 's3cret', nonce: makeNonce() };

function hello(overrides: Partial<HelloFrame> = {}, secret = 's3cret'): HelloFrame {
  const base = { protocolVersion: 1, clusterName: 'prod', nodeName: 'n1', peerName: 'n2', nonce: makeNonce(), ...overrides };
  const transcript = { protocolVersion: base.protocolVersion, clusterName: base.clusterName, dialer: base.nodeName, dialed: base.peerName, serverNonce: server.nonce, clientNonce: base.nonce };
  return { kind: 'hello', proof: helloProof(secret, transcript), ...base };
}

test('a hello with the right version, cluster, addressee and proof is accepted', () => {
  assert.equal(helloRejection(hello(), server), null);
});

test('each mismatch is refused with a reason that names both sides', () => {
  assert.match(helloRejection(hello({ protocolVersion: 2 }), server)!, /^protocol version mismatch: node 'n2' speaks version 1, node 'n1' speaks version 2$/);
  assert.match(helloRejection(hello({ clusterName: 'test' }), server)!, /^cluster name mismatch: node 'n2' is in cluster 'prod', node 'n1' is in cluster 'test'$/);
  assert.match(helloRejection(hello({ peerName: 'n3' }), server)!, /^wrong node: node 'n1' wanted 'n3' but reached 'n2'/);
  assert.match(helloRejection(hello({ nodeName: 'n2' }), server)!, /^name clash/);
  assert.match(helloRejection(hello({}, 'guess'), server)!, /^authentication failed: node 'n1'/);
});

test('a proof is bound to the nonce, so a recorded hello cannot be replayed', () => {
  const replayed = hello();
  assert.match(helloRejection(replayed, { ...server, nonce: makeNonce() })!, /^authentication failed/);
});

test("a proof covers the client's nonce too: a hello whose nonce was swapped for one a server chose fails", () => {
  const sent = hello();
  assert.match(helloRejection({ ...sent, nonce: makeNonce() }, server)!, /^authentication failed/);
});

test("the server's proof differs from a client's proof over the same transcript", () => {
  const transcript: Transcript = { protocolVersion: 1, clusterName: 'c', dialer: 'a', dialed: 'b', serverNonce: makeNonce(), clientNonce: makeNonce() };
  assert.notDeepEqual(welcomeProof('s', transcript), helloProof('s', transcript));
});

test('a proof covers the node meant: a hello relayed to another node, its addressee changed, fails', () => {
  // A process at n3's address passes n1's challenge to n2, then n2's hello (meant for n3) to n1.
  const relayed = hello({ peerName: 'n3' });
  assert.match(helloRejection({ ...relayed, peerName: 'n2' }, server)!, /^authentication failed/);
});

test('fields are length-prefixed: moving a character between names changes the proof', () => {
  const base: Transcript = { protocolVersion: 1, clusterName: 'ab', dialer: 'c', dialed: 'd', serverNonce: makeNonce(), clientNonce: makeNonce() };
  assert.notDeepEqual(helloProof('s', base), helloProof('s', { ...base, clusterName: 'a', dialer: 'bc' }));
  assert.deepEqual(transcriptOf(hello(), server.nonce).serverNonce, server.nonce);
});

test('a hello that claims no cluster (a new node learning it) is accepted only with a proof of the secret over none', () => {
  assert.equal(helloRejection(hello({ clusterName: '' }), server), null);
  assert.match(helloRejection(hello({ clusterName: '' }, 'guess'), server)!, /^authentication failed: node 'n1'/);
  // A proof over the cluster's name does not pass for one over none, nor the other way round.
  const overName = hello();
  assert.match(helloRejection({ ...overName, clusterName: '' }, server)!, /^authentication failed/);
});
