// When the engine's worker dies (a wasm trap, out of memory, a browser bug), the API starts a
// new one. This file keeps what it needs for that: the calls that rebuild the models and data
// sets the caller still holds (a model from a preset, a spec or weights bytes not changed since;
// MNIST by its URL; arrays the API was handed), and the models that cannot come back (trained or
// given weights since they were created), whose next use fails with a message naming the crash.
// See docs/api.md ("When the engine stops").

import type { Args, CallOf, DataWire, Method } from './protocol';

/** The `name` of the error a call gets when the engine stopped while it ran. */
export const ENGINE_STOPPED = 'EngineStopped';

/** The error of a call that was in flight when the worker died. */
export class EngineStoppedError extends Error {
  name = ENGINE_STOPPED;
  constructor(
    /** Why the worker stopped, e.g. "Uncaught RuntimeError: unreachable". */
    readonly reason: string,
  ) {
    super(`the ConvPlay engine stopped (${reason}); it was restarted, but this call was lost: call it again`);
  }
}

/** What the worker may be asked again after a restart. */
type HeldCall = CallOf<'mnist'> | CallOf<'scenes'> | CallOf<'holdData'>;
type Rebuild = CallOf<'createModel'> | CallOf<'configure'> | HeldCall;

interface ModelEntry {
  create: CallOf<'createModel'>;
  /** Labels and preprocessing set since, in order. */
  configure: CallOf<'configure'>[];
  /** A fit or copyWeights changed its weights: a rebuild from the source would not be it. */
  changed: boolean;
}

export class Replay {
  private models = new Map<number, ModelEntry>();
  private data = new Map<number, HeldCall>();
  /** Model or data ids that could not come back, with the message their next use gets. */
  private lostModels = new Map<number, string>();
  private lostData = new Map<number, string>();

  /** A call is about to be posted. */
  sent<K extends Method>(method: K, args: Args<K>): void {
    const a = args as Record<string, unknown>;
    if (method === 'fit' || method === 'copyWeights') {
      const m = this.models.get(a.model as number);
      if (m) m.changed = true;
    } else if (method === 'disposeModel') {
      this.models.delete(a.model as number);
      this.lostModels.delete(a.model as number);
    } else if (method === 'disposeData') {
      this.data.delete(a.data as number);
      this.lostData.delete(a.data as number);
    }
  }

  /** A call succeeded. */
  done<K extends Method>(method: K, args: Args<K>): void {
    if (method === 'createModel') {
      const create = { method: 'createModel', args } as CallOf<'createModel'>;
      this.models.set(create.args.id, { create, configure: [], changed: false });
    } else if (method === 'configure') {
      const c = { method: 'configure', args } as CallOf<'configure'>;
      this.models.get(c.args.model)?.configure.push(c);
    } else if (method === 'mnist' || method === 'scenes' || method === 'holdData') {
      const d = { method, args } as HeldCall;
      this.data.set(d.args.id, d);
    }
  }

  /** The worker died: models whose weights changed are lost; returns the calls that rebuild the rest. */
  crashed(reason: string): Rebuild[] {
    const calls: Rebuild[] = [...this.data.values()];
    for (const [id, m] of this.models) {
      if (m.changed) {
        this.models.delete(id);
        this.lostModels.set(
          id,
          `this model was lost when the ConvPlay engine stopped (${reason}): it had been trained or given weights since it was created, and those weights were not kept; create it again (a training element offers its last checkpoint)`,
        );
      } else calls.push(m.create, ...m.configure);
    }
    return calls;
  }

  /** A rebuild failed: the model or data set is lost with this message. */
  failed(call: Rebuild, message: string): void {
    if (call.method === 'createModel' || call.method === 'configure') {
      const id = call.method === 'createModel' ? call.args.id : call.args.model;
      this.models.delete(id);
      this.lostModels.set(id, `this model could not be rebuilt after the ConvPlay engine restarted: ${message}`);
    } else {
      this.data.delete(call.args.id);
      this.lostData.set(
        call.args.id,
        `this data set could not be loaded again after the ConvPlay engine restarted: ${message}`,
      );
    }
  }

  /** Why a call cannot run (it names a lost model or data set), or null. */
  lost<K extends Method>(args: Args<K>): string | null {
    const a = args as Record<string, unknown>;
    for (const key of ['model', 'from']) {
      const why = typeof a[key] === 'number' ? this.lostModels.get(a[key]) : undefined;
      if (why) return why;
    }
    const wires = [a.data, (a.options as { test?: unknown } | undefined)?.test];
    for (const w of wires) {
      const id =
        typeof w === 'number'
          ? w
          : (w as DataWire | null | undefined) && 'held' in (w as object)
            ? (w as { held: number }).held
            : null;
      const why = id === null ? undefined : this.lostData.get(id);
      if (why) return why;
    }
    return null;
  }
}
