import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { coordinateWrite } from '../version/object.ts';
import { ActorGenerations, actorOfGeneration, decodeActorGeneration, encodeActorGeneration } from './actor-generation.ts';

const blind = { value: new Uint8Array([1]), contentType: 'text/plain', deleted: false, context: null };

describe('actor generations', () => {
  test('generation 0 is the plain actor; later ones are new writers; the record round-trips', () => {
    assert.equal(actorOfGeneration('n1.ab12cd34', 0), 'n1.ab12cd34');
    assert.equal(actorOfGeneration('n1.ab12cd34', 2), 'n1.ab12cd34~2');
    assert.equal(decodeActorGeneration(encodeActorGeneration(5)), 5);
    assert.equal(decodeActorGeneration(undefined), 0);
    assert.equal(decodeActorGeneration(new TextEncoder().encode('garbage')), 0);
  });

  test('dropping a copy with dots of the current writer moves to a new one, so a write after the drop makes a new dot', () => {
    const writer = new ActorGenerations('n1.ab12cd34', 0);
    const copy = coordinateWrite(null, blind, writer.actor, 1, 'siblings').object;
    assert.equal(writer.generationForDrop(copy), 1);
    assert.equal(writer.actor, 'n1.ab12cd34~1');
    // The copy is gone: the next write starts from nothing, under a writer that made no dot yet.
    const after = coordinateWrite(null, blind, writer.actor, 2, 'siblings');
    assert.notDeepEqual(after.dot, copy.siblings[0]!.dot);
    // A copy without the current writer's dots changes nothing.
    assert.equal(writer.generationForDrop(copy), 1);
    assert.equal(writer.actor, 'n1.ab12cd34~1');
  });

  test('a node restarted at a generation below one it used moves past every generation in the copy it drops', () => {
    const before = new ActorGenerations('n1.ab', 2);
    const copy = coordinateWrite(null, blind, before.actor, 1, 'siblings').object; // made under ~2, then a restart at 1
    const restarted = new ActorGenerations('n1.ab', 1);
    assert.equal(restarted.generationForDrop(copy), 3);
    assert.equal(restarted.actor, 'n1.ab~3');
    // Other nodes' actors, even ones that look alike, do not count.
    const other = coordinateWrite(null, blind, 'n1.abc~9', 1, 'siblings').object;
    assert.equal(restarted.generationForDrop(other), 3);
  });
});
