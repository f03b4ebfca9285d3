// ONNX export of a trained model: opset 17, NCHW as ONNX expects, weights included, so the file
// opens in Netron and runs in ONNX Runtime. The protobuf is written here field by field (the
// handful of ONNX messages a feed-forward CNN needs); the layouts are converted on the way:
// conv kernels HWIO → OIHW, depthwise [kh, kw, c] → [c, 1, kh, kw], transposed-conv kernels
// [kh, kw, filters, in] → [in, filters, kh, kw] (ConvTranspose's), and a flatten of an NCHW map
// transposes to NHWC first so dense kernels keep ConvPlay's (Keras's) row order.

import { readSafetensors, type Tensors } from './safetensors';
import type { Model } from './index';

const fail = (msg: string): never => {
  throw new Error(msg);
};

// --- protobuf wire format -------------------------------------------------------------------

class Writer {
  /** Finished pieces, and the small bytes written since the last one. */
  private parts: Uint8Array[] = [];
  private bytes: number[] = [];
  private flush(): void {
    if (this.bytes.length) this.parts.push(Uint8Array.from(this.bytes));
    this.bytes = [];
  }
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      this.bytes.push(b);
    } while (x);
    return this;
  }
  key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    return this.key(field, 0).varint(v);
  }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.key(field, 5);
    this.bytes.push(...b);
    return this;
  }
  /** A length-delimited field; large data is kept as its own piece, not copied byte by byte. */
  raw(field: number, data: Uint8Array): this {
    this.key(field, 2).varint(data.length);
    this.flush();
    this.parts.push(data);
    return this;
  }
  str(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }
  msg(field: number, w: Writer): this {
    return this.raw(field, w.done());
  }
  done(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    this.parts = [out];
    return out;
  }
}

const FLOAT = 1;
const INT64 = 7;

function tensor(name: string, dims: number[], values: Float32Array | BigInt64Array): Writer {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, values instanceof Float32Array ? FLOAT : INT64);
  w.str(8, name);
  w.raw(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return w;
}

type Attr = number | number[] | string;
function attribute(name: string, v: Attr, float = false): Writer {
  const w = new Writer().str(1, name);
  if (typeof v === 'string') return w.raw(4, new TextEncoder().encode(v)).int(20, 3);
  if (Array.isArray(v)) {
    for (const x of v) w.int(8, x);
    return w.int(20, 7);
  }
  return float ? w.float(2, v).int(20, 1) : w.int(3, v).int(20, 2);
}

function valueInfo(name: string, dims: (number | string)[]): Writer {
  const shape = new Writer();
  for (const d of dims) shape.msg(1, typeof d === 'string' ? new Writer().str(2, d) : new Writer().int(1, d));
  const tensorType = new Writer().int(1, FLOAT).msg(2, shape);
  return new Writer().str(1, name).msg(2, new Writer().msg(1, tensorType));
}

// --- the graph ------------------------------------------------------------------------------

type Layer = Record<string, unknown> & { type: string; name: string };

class Graph {
  nodes: Writer[] = [];
  inits: Writer[] = [];
  private count = 0;
  constructor(private readonly weights: Tensors) {}

  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, floats: string[] = [], name?: string): string {
    const out = name ?? `${op.toLowerCase()}_${++this.count}`;
    const w = new Writer();
    for (const i of inputs) w.str(1, i);
    w.str(2, out).str(3, out).str(4, op);
    for (const [k, v] of Object.entries(attrs)) w.msg(5, attribute(k, v, floats.includes(k)));
    this.nodes.push(w);
    return out;
  }
  init(name: string, dims: number[], values: Float32Array | BigInt64Array): string {
    this.inits.push(tensor(name, dims, values));
    return name;
  }
  weight(name: string): { shape: number[]; values: Float32Array } {
    return this.weights.get(name) ?? fail(`the weights file has no ${name}`);
  }
  /** HWIO [kh, kw, ci, co] → OIHW. */
  convKernel(name: string): string {
    const { shape, values } = this.weight(name);
    const [kh, kw, ci, co] = shape;
    const out = new Float32Array(values.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < ci; i++)
          for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = values[((y * kw + x) * ci + i) * co + o];
    return this.init(name, [co, ci, kh, kw], out);
  }
  /** [kh, kw, c] → [c, 1, kh, kw]. */
  depthwiseKernel(name: string): string {
    const { shape, values } = this.weight(name);
    const [kh, kw, c] = shape;
    const out = new Float32Array(values.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < c; i++) out[(i * kh + y) * kw + x] = values[(y * kw + x) * c + i];
    return this.init(name, [c, 1, kh, kw], out);
  }
  /** Keras's transposed-conv kernel [kh, kw, filters, in] → ConvTranspose's [in, filters, kh, kw]. */
  transposedKernel(name: string): string {
    const { shape, values } = this.weight(name);
    const [kh, kw, f, c] = shape;
    const out = new Float32Array(values.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let o = 0; o < f; o++)
          for (let i = 0; i < c; i++) out[((i * f + o) * kh + y) * kw + x] = values[((y * kw + x) * f + o) * c + i];
    return this.init(name, [c, f, kh, kw], out);
  }
  vector(name: string): string {
    const { shape, values } = this.weight(name);
    return this.init(name, shape, values);
  }
  constant(name: string, n: number, value: number): string {
    return this.init(name, [n], new Float32Array(n).fill(value));
  }
}

const pair = (v: unknown, fallback: [number, number]): [number, number] =>
  v === undefined ? fallback : Array.isArray(v) ? [Number(v[0]), Number(v[1])] : [Number(v), Number(v)];

/** TF's "same" padding for one axis: the extra row or column goes at the end. */
function samePads(size: number, k: number, s: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function windowAttrs(l: Layer, hw: [number, number], kernel: [number, number]): Record<string, Attr> {
  const strides = pair(l.strides, l.type.endsWith('pool2d') ? kernel : [1, 1]);
  let pads = [0, 0, 0, 0];
  if (l.padding === 'same') {
    const [t, b] = samePads(hw[0], kernel[0], strides[0]);
    const [left, r] = samePads(hw[1], kernel[1], strides[1]);
    pads = [t, left, b, r];
  }
  return { kernel_shape: kernel, strides, pads };
}

function activation(g: Graph, x: string, name: unknown, alpha: unknown, where: string, spatial: boolean): string {
  switch (name ?? 'linear') {
    case 'linear':
    case 'none':
      return x;
    case 'relu':
      return g.node('Relu', [x]);
    case 'relu6':
      return g.node('Clip', [
        x,
        g.init(`${x}_min`, [], new Float32Array([0])),
        g.init(`${x}_max`, [], new Float32Array([6])),
      ]);
    case 'sigmoid':
      return g.node('Sigmoid', [x]);
    case 'tanh':
      return g.node('Tanh', [x]);
    case 'leaky_relu':
      return g.node('LeakyRelu', [x], { alpha: Number(alpha ?? 0.2) }, ['alpha']);
    case 'softmax':
      return g.node('Softmax', [x], { axis: spatial ? 1 : -1 });
    default:
      return fail(`${where}: activation ${JSON.stringify(name)} has no ONNX export`);
  }
}

/**
 * A ConvPlay weights file as an ONNX model (bytes of a `.onnx` file). `names` are the model's
 * layer names, blocks' inner layers included, in the order of `model.summary()`'s rows; the input is
 * `input` [batch, c, h, w] (or [batch, n]) and the output `probabilities` [batch, classes].
 */
export function toOnnx(weightsFile: Uint8Array, names: string[]): Uint8Array {
  const { tensors, metadata } = readSafetensors(weightsFile);
  const spec = JSON.parse(metadata.spec ?? fail('the weights file has no spec: save it with ConvPlay')) as {
    name?: string;
    input: number[];
    layers: Layer[];
  };
  // Names in the summary's order (pre-order, blocks before their layers) for layers the spec left unnamed.
  let at = 0;
  const named = (l: Layer): Layer => {
    const row = names[at++] ?? fail(`the model's spec has more layers than the ${names.length} names given`);
    return { ...l, name: String(l.name ?? row) };
  };
  const g = new Graph(tensors);
  const input = spec.input;
  const start: number[] = input.length === 3 ? [input[2], input[0], input[1]] : [...input];
  const { x, shape } = emit(g, spec.layers, 'input', start, named);
  if (at !== names.length) fail(`the model's spec has ${at} layers but ${names.length} names were given`);
  // Every ConvPlay model ends in a softmax (the spec parser requires it), so x is the probabilities.
  const out = g.node('Identity', [x], {}, [], 'probabilities');
  const graph = new Writer();
  for (const n of g.nodes) graph.msg(1, n);
  graph.str(2, String(spec.name ?? 'convplay'));
  for (const t of g.inits) graph.msg(5, t);
  const inputDims = input.length === 3 ? ['batch', input[2], input[0], input[1]] : ['batch', ...input];
  graph.msg(11, valueInfo('input', inputDims));
  graph.msg(12, valueInfo(out, ['batch', shape[0]]));
  return new Writer()
    .int(1, 8) // IR version 8 (ONNX 1.13+), with opset 17
    .str(2, 'ConvPlay')
    .str(3, '0.1.0')
    .msg(7, graph)
    .msg(8, new Writer().str(1, '').int(2, 17))
    .done();
}

/** A model of the API as an ONNX file (its f32 weights; see `toOnnx`). */
export async function saveOnnx(model: Model): Promise<Uint8Array> {
  const [bytes, summary] = await Promise.all([model.save({ format: 'f32' }), model.summary()]);
  return toOnnx(
    bytes,
    summary.rows.map((r) => r.name),
  );
}

/** Writes `layers` from `x` of `shape` ([c, h, w] or [n]); returns the last output and its shape. */
function emit(
  g: Graph,
  layers: Layer[],
  input: string,
  inShape: number[],
  named: (l: Layer) => Layer,
): { x: string; shape: number[] } {
  let x = input;
  let shape = inShape;
  for (const raw of layers) {
    const l = named(raw);
    const where = `layer "${l.name}" (${l.type})`;
    const spatial = shape.length === 3;
    const hw: [number, number] = [shape[1], shape[2]];
    const outHw = (k: [number, number], s: [number, number]): [number, number] =>
      l.padding === 'same'
        ? [Math.ceil(hw[0] / s[0]), Math.ceil(hw[1] / s[1])]
        : [Math.floor((hw[0] - k[0]) / s[0]) + 1, Math.floor((hw[1] - k[1]) / s[1]) + 1];
    const bias = l.use_bias !== false;
    switch (l.type) {
      case 'conv2d': {
        const k = pair(l.kernel_size, [1, 1]);
        const inputs = [x, g.convKernel(`${l.name}/kernel`), ...(bias ? [g.vector(`${l.name}/bias`)] : [])];
        x = g.node('Conv', inputs, windowAttrs(l, hw, k));
        shape = [Number(l.filters), ...outHw(k, pair(l.strides, [1, 1]))];
        x = activation(g, x, l.activation, l.alpha, where, true);
        break;
      }
      case 'depthwise_conv2d':
      case 'separable_conv2d': {
        const k = pair(l.kernel_size, [1, 1]);
        const sep = l.type === 'separable_conv2d';
        const dw = sep ? `${l.name}/depthwise/kernel` : `${l.name}/kernel`;
        const inputs = [x, g.depthwiseKernel(dw), ...(!sep && bias ? [g.vector(`${l.name}/bias`)] : [])];
        x = g.node('Conv', inputs, { ...windowAttrs(l, hw, k), group: shape[0] });
        shape = [shape[0], ...outHw(k, pair(l.strides, [1, 1]))];
        if (sep) {
          const pw = [
            x,
            g.convKernel(`${l.name}/pointwise/kernel`),
            ...(bias ? [g.vector(`${l.name}/pointwise/bias`)] : []),
          ];
          x = g.node('Conv', pw, { kernel_shape: [1, 1] });
          shape = [Number(l.filters), shape[1], shape[2]];
        }
        x = activation(g, x, l.activation, l.alpha, where, true);
        break;
      }
      case 'conv2d_transpose': {
        // Keras's sizes: "valid" in·s + max(k − s, 0), "same" in·s. ConvTranspose gives
        // s·(in − 1) + k − pads + output_padding: "same" crops max(k − s, 0) (the smaller half
        // first, as TensorFlow), and k < s needs s − k more rows at the end (they hold the bias).
        const k = pair(l.kernel_size, [1, 1]);
        const s = pair(l.strides, [1, 1]);
        const same = l.padding === 'same';
        const crop = [0, 1].map((i) => (same ? Math.max(k[i] - s[i], 0) : 0));
        const before = crop.map((t) => Math.floor(t / 2));
        const attrs = {
          kernel_shape: k,
          strides: s,
          pads: [before[0], before[1], crop[0] - before[0], crop[1] - before[1]],
          output_padding: [0, 1].map((i) => Math.max(s[i] - k[i], 0)),
        };
        const kernel = g.transposedKernel(`${l.name}/kernel`);
        x = g.node('ConvTranspose', [x, kernel, ...(bias ? [g.vector(`${l.name}/bias`)] : [])], attrs);
        const side = (i: number) => hw[i] * s[i] + (same ? 0 : Math.max(k[i] - s[i], 0));
        shape = [Number(l.filters), side(0), side(1)];
        x = activation(g, x, l.activation, l.alpha, where, true);
        break;
      }
      case 'up_sampling2d': {
        // ONNX Resize: nearest is "asymmetric" + "floor" (x[⌊o / s⌋]); bilinear is "linear" with
        // "half_pixel" coordinates, clamped at the border: TensorFlow 2's resize.
        const s = pair(l.size, [2, 2]);
        const scales = g.init(`${l.name}/scales`, [4], Float32Array.from([1, 1, s[0], s[1]]));
        const attrs: Record<string, Attr> =
          l.interpolation === 'bilinear'
            ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
            : { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
        x = g.node('Resize', [x, '', scales], attrs);
        shape = [shape[0], hw[0] * s[0], hw[1] * s[1]];
        break;
      }
      case 'max_pool2d':
      case 'avg_pool2d': {
        const k = pair(l.pool_size, [2, 2]);
        const w = windowAttrs(l, hw, k);
        x = g.node(l.type === 'max_pool2d' ? 'MaxPool' : 'AveragePool', [x], w);
        shape = [shape[0], ...outHw(k, w.strides as [number, number])];
        break;
      }
      case 'global_avg_pool2d':
        x = g.node('Flatten', [g.node('GlobalAveragePool', [x])], { axis: 1 });
        shape = [shape[0]];
        break;
      case 'batch_norm': {
        const c = shape[0];
        const scale = l.scale !== false ? g.vector(`${l.name}/gamma`) : g.constant(`${l.name}/gamma`, c, 1);
        const b = l.center !== false ? g.vector(`${l.name}/beta`) : g.constant(`${l.name}/beta`, c, 0);
        const inputs = [x, scale, b, g.vector(`${l.name}/moving_mean`), g.vector(`${l.name}/moving_variance`)];
        x = g.node('BatchNormalization', inputs, { epsilon: Number(l.epsilon ?? 1e-3) }, ['epsilon']);
        break;
      }
      case 'flatten':
        if (spatial) {
          // NCHW → NHWC, so the flat order is ConvPlay's (h, w, c).
          x = g.node('Flatten', [g.node('Transpose', [x], { perm: [0, 2, 3, 1] })], { axis: 1 });
          shape = [shape[0] * shape[1] * shape[2]];
        }
        break;
      case 'dense': {
        if (spatial) fail(`${where}: a dense layer on a map; put a flatten before it`);
        const inputs = [x, g.vector(`${l.name}/kernel`), ...(bias ? [g.vector(`${l.name}/bias`)] : [])];
        x = g.node('Gemm', inputs);
        shape = [Number(l.units)];
        x = activation(g, x, l.activation, l.alpha, where, false);
        break;
      }
      case 'dropout':
        break; // inference: the identity
      case 'activation':
      case 'relu':
      case 'softmax':
      case 'leaky_relu': {
        const name = l.type === 'activation' ? l.activation : l.type;
        const alpha = l.alpha ?? (l.type === 'leaky_relu' ? 0.3 : 0.2);
        x = activation(g, x, name, alpha, where, spatial);
        break;
      }
      case 'lrn': {
        // TF's alpha multiplies the sum of squares; ONNX's is divided by the window size.
        const size = 2 * Number(l.depth_radius ?? 5) + 1;
        const attrs = {
          size,
          alpha: Number(l.alpha ?? 1) * size,
          beta: Number(l.beta ?? 0.5),
          bias: Number(l.bias ?? 1),
        };
        x = g.node('LRN', [x], attrs, ['alpha', 'beta', 'bias']);
        break;
      }
      case 'residual': {
        const inner = emit(g, (l.layers as Layer[]) ?? [], x, shape, named);
        let skip = x;
        if (inner.shape.join() !== shape.join()) {
          // The 1×1 projection of the shortcut, strided to the block's output ("same" padding).
          const stride = (a: number, b: number) => {
            for (let st = 1; st <= a; st++) if (Math.ceil(a / st) === b) return st;
            return fail(`${where}: no stride takes ${a} to ${b}`);
          };
          const strides = [stride(shape[1], inner.shape[1]), stride(shape[2], inner.shape[2])];
          const proj = [x, g.convKernel(`${l.name}/projection/kernel`), g.vector(`${l.name}/projection/bias`)];
          skip = g.node('Conv', proj, { kernel_shape: [1, 1], strides, pads: [0, 0, 0, 0] });
        }
        x = activation(g, g.node('Add', [inner.x, skip]), l.activation, l.alpha, where, true);
        shape = inner.shape;
        break;
      }
      case 'concat': {
        const parts = ((l.branches as Layer[][]) ?? []).map((b) => emit(g, b, x, shape, named));
        x = g.node(
          'Concat',
          parts.map((p) => p.x),
          { axis: 1 },
        );
        shape =
          parts[0].shape.length === 3
            ? [parts.reduce((c, p) => c + p.shape[0], 0), parts[0].shape[1], parts[0].shape[2]]
            : [parts.reduce((c, p) => c + p.shape[0], 0)];
        break;
      }
      case 'squeeze_excite': {
        // Channel weights from the mean of each channel: dense (ReLU), dense (sigmoid), then scale.
        const pooled = g.node('Flatten', [g.node('GlobalAveragePool', [x])], { axis: 1 });
        const squeeze = g.node('Relu', [
          g.node('Gemm', [pooled, g.vector(`${l.name}/squeeze/kernel`), g.vector(`${l.name}/squeeze/bias`)]),
        ]);
        const excite = g.node('Sigmoid', [
          g.node('Gemm', [squeeze, g.vector(`${l.name}/excite/kernel`), g.vector(`${l.name}/excite/bias`)]),
        ]);
        const axes = g.init(`${l.name}/axes`, [2], BigInt64Array.from([2n, 3n]));
        x = g.node('Mul', [x, g.node('Unsqueeze', [excite, axes])]);
        break;
      }
      default:
        fail(`${where}: layer type "${l.type}" has no ONNX export`);
    }
  }
  return { x, shape };
}
