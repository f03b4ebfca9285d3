// The wasm boundary, checked by tsc (never imported by the page): every value in
// generated/boundary-fixtures.ts is what the Rust engine really serializes (crate/tests/
// boundary_types.rs writes them and fails when they are stale). Each must be assignable to
// its TypeScript interface — every required field present with the right type — and may
// carry no field the interface does not declare. A field renamed on either side fails here.

import type { FitCheck, Summary } from './types';
import type { EngineInfo } from './engine';
import type * as rust from './generated/boundary-fixtures';

/** `T` without `readonly` at any depth (the fixtures are `as const`). */
type Writable<T> = T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;

/** Dotted paths of the fields in `Rust` that `Ts` does not declare (never when there are none). */
type Undeclared<Ts, Rust, Path extends string> = Rust extends readonly unknown[]
  ? NonNullable<Ts> extends readonly (infer E)[]
    ? Undeclared<E, Rust[number], `${Path}[]`>
    : never
  : Rust extends object
    ? {
        [K in keyof Rust & string]: K extends keyof NonNullable<Ts>
          ? Undeclared<NonNullable<Ts>[K], Rust[K], `${Path}.${K}`>
          : `${Path}.${K}`;
      }[keyof Rust & string]
    : never;

/** Compiles only when the fixture type `Rust` has every field of `Ts` with its type, and
 * `Extra` (its `Undeclared` fields) is never; tsc's error names the field. */
type Mirrors<Ts, Rust extends Ts, Extra extends never> = [Ts, Rust, Extra];

type Fixture<K extends keyof typeof rust> = Writable<(typeof rust)[K]>;

// Exported only so that tsc keeps them (noUnusedLocals); nothing imports them.
export type SummaryMirrors = Mirrors<Summary, Fixture<'summary'>, Undeclared<Summary, Fixture<'summary'>, 'summary'>>;
export type FitCheckMirrors = Mirrors<
  FitCheck,
  Fixture<'fitCheck'>,
  Undeclared<FitCheck, Fixture<'fitCheck'>, 'fitCheck'>
>;
export type EngineInfoCpuMirrors = Mirrors<
  EngineInfo,
  Fixture<'engineInfoCpu'>,
  Undeclared<EngineInfo, Fixture<'engineInfoCpu'>, 'engineInfoCpu'>
>;
export type EngineInfoGpuMirrors = Mirrors<
  EngineInfo,
  Fixture<'engineInfoGpu'>,
  Undeclared<EngineInfo, Fixture<'engineInfoGpu'>, 'engineInfoGpu'>
>;
