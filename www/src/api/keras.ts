// Keras code in and out: `keras.toSpec(text)` reads a Keras Sequential model from Python code
// (a notebook cell or a .py file) into a ConvPlay spec, listing the lines it did not read;
// `keras.fromSpec(spec)` writes a spec as Keras code that builds the same model. Both are
// parsers (crate/src/keras/), so they run on the calling thread and need no engine. See
// docs/api.md and docs/formats.md.

import { loadWasm } from '../engine';
import { kerasFromSpec, kerasToSpec } from '../../pkg/convplay.js';

/** A line of the pasted code that is not part of the model (an import, data loading, a
 * notebook prompt, printed output). Blank and comment-only lines are not listed. */
export interface KerasIgnoredLine {
  /** 1-based. */
  line: number;
  text: string;
}

/** What `keras.toSpec` read. */
export interface KerasImport {
  /** The spec, as an object (what `engine.model({ spec })` and `engine.summary` take). */
  spec: object;
  /** The same spec as JSON text, one layer per line (what a spec editor shows). */
  specText: string;
  ignored: KerasIgnoredLine[];
}

interface Wire {
  spec: string;
  ignored: KerasIgnoredLine[];
}

export const keras = {
  /** Reads the Keras model in `text`. Rejects with every problem, one per line, each placed at
   * its line: "line 7: Conv3D is not supported; supported layers are …". */
  async toSpec(text: string): Promise<KerasImport> {
    if (typeof text !== 'string') throw new Error('keras.toSpec takes the Python code as a string');
    await loadWasm();
    const wire = kerasToSpec(text) as Wire;
    return { spec: JSON.parse(wire.spec) as object, specText: wire.spec, ignored: wire.ignored };
  },

  /** Keras code (Python) that builds `spec`'s model, compiled and fitted as its recipe says.
   * Rejects for a spec that is not valid, or that holds layers Keras's Sequential cannot. */
  async fromSpec(spec: object | string): Promise<string> {
    await loadWasm();
    return kerasFromSpec(typeof spec === 'string' ? spec : JSON.stringify(spec));
  },
};
