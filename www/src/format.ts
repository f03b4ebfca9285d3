// Number formatting shared by the views.
import type { Bytes } from './types';

export const int = (n: number): string => Math.round(n).toLocaleString('en');

export const shape = (dims: number[]): string => dims.join('×');

/** "2,020,392 bytes = 2.02 MB = 1.93 MiB" */
export const bytes = (b: Bytes): string => `${int(b.bytes)} bytes = ${b.mb.toFixed(2)} MB = ${b.mib.toFixed(2)} MiB`;

/** Short form for tables: MB (10^6) with two decimals. */
export const mb = (b: Bytes): string => `${b.mb.toFixed(2)} MB`;
