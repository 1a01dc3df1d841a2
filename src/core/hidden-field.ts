/**
 * A field kept on objects the code does not own — a stored object's encoding, the mark that it
 * was checked — that only the field's owner can read: invisible to spread, `Object.keys`,
 * symbols, JSON and deep equality, so no copy, comparison or encoding of the object sees it, and
 * a copy never carries it.
 *
 * It is a private class field (`#value`) added to the object itself: a constructor that returns
 * its argument makes `new` add its subclass's fields to that argument instead of to a new object.
 * Each `hiddenField()` call declares a class of its own, so each field is private to its caller.
 *
 * Measured beside what it replaced, a non-enumerable symbol property: `Object.defineProperty`
 * took ~200–300 ns a call here, a field added this way ~80 (plain assignment ~3), and every
 * stored object a node decodes or encodes gets one, several per operation (docs/benchmarks.md).
 * A WeakMap, the other way to keep a value beside an object, slowed every young-generation GC
 * with its ephemeron table.
 */
export interface HiddenField<T> {
  /** The value set on `object`, or undefined if none was. */
  get(object: object): T | undefined;
  /** Sets the value once: an object that has one keeps it, and a frozen one takes none (get stays undefined). */
  setOnce(object: object, value: T): void;
}

class ReturnsItsArgument {
  constructor(object: object) {
    return object; // so that a subclass's fields go onto `object`
  }
}

export function hiddenField<T>(): HiddenField<T> {
  class Field extends ReturnsItsArgument {
    readonly #value: T;

    constructor(object: object, value: T) {
      super(object);
      this.#value = value;
    }

    static get(object: object): T | undefined {
      return #value in object ? (object as Field).#value : undefined;
    }

    static setOnce(object: object, value: T): void {
      // Not on a frozen object: V8 allows it today, but the language is moving to refuse it.
      if (!(#value in object) && Object.isExtensible(object)) new Field(object, value);
    }
  }
  return { get: Field.get, setOnce: Field.setOnce };
}
