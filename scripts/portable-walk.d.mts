/** The TypeScript module for `source` (assembly/walk.ts); `hasOwnModule(name)` picks src/codec/fallback/name.ts over assembly/. */
export function portableWalk(source: string, hasOwnModule?: (name: string) => boolean): string;
/** Writes src/codec/fallback/walk.generated.ts; returns whether it changed. */
export function writePortableWalk(): boolean;
