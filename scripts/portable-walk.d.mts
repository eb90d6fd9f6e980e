/** A constant the generator writes in as a literal: the module that exports it and its literal text. */
export interface FoldedConstant {
  module: string;
  literal: string;
}
/** `export const NAME = <number literal>;` of an import-free module, as name to literal text. */
export function numericConstants(source: string): Map<string, string>;
/** The TypeScript module for `source` (assembly/walk.ts). */
export function portableWalk(
  source: string,
  constants?: Map<string, FoldedConstant>,
  hasOwnModule?: (name: string) => boolean,
): string;
/** `text` as Biome formats src/codec/fallback/walk.generated.ts. */
export function formatted(text: string): string;
/** The formatted module for the current assembly/walk.ts. */
export function generatedWalk(): string;
/** Writes src/codec/fallback/walk.generated.ts; returns whether it changed. */
export function writePortableWalk(): boolean;
