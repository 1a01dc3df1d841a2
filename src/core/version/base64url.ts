/**
 * base64url without padding (RFC 4648 §5), strict: decoding refuses any character outside the
 * alphabet, an impossible length, and non-zero unused bits in the last character, so every
 * byte string has exactly one accepted text. Written here rather than with Buffer to keep the
 * core free of Node's globals.
 */
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const sextets = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) sextets[alphabet.charCodeAt(i)] = i;

export function encodeBase64Url(bytes: Uint8Array): string {
  let text = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const bits = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    text += alphabet[bits >>> 18]! + alphabet[(bits >>> 12) & 63]! + alphabet[(bits >>> 6) & 63]! + alphabet[bits & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const bits = bytes[i]! << 16;
    text += alphabet[bits >>> 18]! + alphabet[(bits >>> 12) & 63]!;
  } else if (rest === 2) {
    const bits = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    text += alphabet[bits >>> 18]! + alphabet[(bits >>> 12) & 63]! + alphabet[(bits >>> 6) & 63]!;
  }
  return text;
}

/** The bytes `text` encodes, or null when it is not canonical unpadded base64url. */
export function decodeBase64Url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const bytes = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let bitCount = 0;
  let written = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 128 ? sextets[code]! : -1;
    if (sextet < 0) return null;
    bits = ((bits << 6) | sextet) & 0xffffff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      bytes[written++] = (bits >>> bitCount) & 0xff;
    }
  }
  // Bits left over must be zero, or two texts would decode to the same bytes.
  if ((bits & ((1 << bitCount) - 1)) !== 0) return null;
  return bytes;
}
