// The AssemblyScript scalar types as TypeScript sees them, for the files in this folder that
// both compilers build (rfc6455.ts, and walk.ts through scripts/portable-walk.mjs). asc never
// reads this file; it only backs `/// <reference>` lines, which asc treats as comments.
type i32 = number;
type u8 = number;
type u32 = number;
type u64 = number;
type f64 = number;
type usize = number;
type bool = boolean;
