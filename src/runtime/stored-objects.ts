/**
 * Objects as the runtime reads them from disk: decoded, and within the hard bound every merge
 * keeps (core/version/object-bound.ts). A disk written before the bound existed may hold more —
 * issue 11 §2 found a 64 MiB object that anti-entropy sent again after every restart, and no
 * frame could carry it. Read through here, such an object is seen (and then sent, and written back
 * at its next change) as its newest siblings that fit.
 */
import { decodeObject } from '../core/version/codec.ts';
import { boundObject } from '../core/version/object-bound.ts';
import type { StoredObject } from '../core/version/types.ts';

export function readStoredObject(bytes: Uint8Array): StoredObject {
  // This node wrote the bytes, checked: no need to check them again (codec.ts `checkedElsewhere`).
  return boundObject(decodeObject(bytes, true)).object;
}
