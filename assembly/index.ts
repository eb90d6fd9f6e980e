// The kernel module's exports: flat numeric functions over the arena in layout.ts.
export { maskInPlace } from './mask';
export { validateUtf8 } from './utf8';
export { walk } from './walk';
