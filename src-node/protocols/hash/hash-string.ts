// A fast, deterministic 32-bit string hash for places that need spread, not secrecy: the
// linearizability checker's state cache and the consistent-hashing ring's tokens. Pure, the
// same on every platform (Dynamo used MD5; a ring of a lab-sized cluster needs only spread).

/** FNV-1a over the UTF-16 code units of a string, finished with a murmur-style mix. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
