// Parser states live in shared slabs, STATE_USED_BYTES per parser, rather than a typed array
// each: a 136-byte Uint8Array is an off-heap ArrayBuffer with its own backing store (V8 keeps
// only arrays up to 64 bytes on the heap), several hundred bytes of RSS per idle connection.
// A parser's slot returns to the free list once the parser is collected; slabs are kept, so
// the pool is as large as the most parsers alive at once (136 bytes each).
import { STATE_USED_BYTES } from '../../assembly/layout.js';

const STATE_SLOTS_PER_SLAB = 256;
const stateSlabs: Uint8Array[] = [];
const freeStateSlots: number[] = [];
let nextStateSlot = 0;
const stateSlots = new FinalizationRegistry<number>((slot) => {
  freeStateSlots.push(slot);
});

/** Where one parser's state lives between pushes. */
export interface StateSlot {
  readonly slab: Uint8Array;
  readonly offset: number;
}

/** A zeroed slot for `owner`'s state, returned to the pool once `owner` is collected. */
export function takeStateSlot(owner: object): StateSlot {
  let slot = freeStateSlots.pop();
  if (slot !== undefined) {
    const offset = (slot % STATE_SLOTS_PER_SLAB) * STATE_USED_BYTES;
    stateSlabs[(slot / STATE_SLOTS_PER_SLAB) | 0]!.fill(0, offset, offset + STATE_USED_BYTES);
  } else {
    slot = nextStateSlot++;
    if (slot % STATE_SLOTS_PER_SLAB === 0) {
      stateSlabs.push(new Uint8Array(STATE_SLOTS_PER_SLAB * STATE_USED_BYTES));
    }
  }
  stateSlots.register(owner, slot);
  return {
    slab: stateSlabs[(slot / STATE_SLOTS_PER_SLAB) | 0]!,
    offset: (slot % STATE_SLOTS_PER_SLAB) * STATE_USED_BYTES,
  };
}
