// TF.js Layers models in and out: the `model.json` + weight shards that `tensorflowjs_converter`
// and TF.js's `model.save()` write. Both sides use Keras's layouts (HWIO kernels, [in, out]
// dense weights), so a model crosses by renaming: TF.js's layer configs become a ConvPlay spec
// and its weights a ConvPlay weights file (safetensors), and back. Sequential models (and
// functional ones that are a single chain) of the layers both sides have; anything else is an
// error that names the layer. Quantized shards (uint8, uint16, float16) are read.

import { f16, readSafetensors, writeSafetensors, type Tensors } from './safetensors';
import type { Model } from './index';

/** One weight of a TF.js manifest. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  /** 'float32' (ConvPlay reads only these, or quantized ones). */
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

/** What TF.js's `tf.io` handlers pass around (`ModelArtifacts`), or a parsed model.json with its shards. */
export interface TfjsArtifacts {
  modelTopology: object;
  weightSpecs?: TfjsWeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  /** model.json's form: shards named by paths; pass their bytes, in manifest order, as `weightData`. */
  weightsManifest?: { paths: string[]; weights: TfjsWeightSpec[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

type Config = Record<string, unknown>;
interface KerasLayer {
  class_name: string;
  config: Config;
}

const fail = (msg: string): never => {
  throw new Error(msg);
};

/** A config value in a message or a name: strings as they are, the rest as JSON. */
const str = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined'));

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax'];

function activation(where: string, value: unknown): string {
  const name = value === undefined || value === null ? 'linear' : str(value);
  if (!ACTIVATIONS.includes(name))
    fail(`${where}: activation "${name}" is not one ConvPlay has; it has ${ACTIVATIONS.join(', ')}`);
  return name;
}

function pair(where: string, field: string, value: unknown): [number, number] {
  const v = Array.isArray(value) ? value : [value, value];
  if (v.length !== 2 || !v.every((x) => Number.isInteger(x) && (x as number) >= 1))
    fail(`${where}: "${field}" must be one or two whole numbers ≥ 1, got ${JSON.stringify(value)}`);
  return [v[0] as number, v[1] as number];
}

function padding(where: string, value: unknown): string {
  if (value !== 'valid' && value !== 'same')
    fail(`${where}: padding "${str(value)}" is not supported; use "valid" or "same"`);
  return value as string;
}

function channelsLast(where: string, c: Config): void {
  if (c.data_format !== undefined && c.data_format !== 'channels_last')
    fail(`${where}: data_format "${str(c.data_format)}": ConvPlay is channels_last only`);
  if (c.dilation_rate !== undefined && pair(where, 'dilation_rate', c.dilation_rate).some((d) => d !== 1))
    fail(`${where}: dilated convolutions are not supported`);
}

/** The layer list of a Sequential or chain-shaped functional topology. */
function layersOf(topology: Config): { name: string; layers: KerasLayer[] } {
  const model = (topology.model_config ?? topology) as Config;
  const config = model.config as Config | KerasLayer[] | undefined;
  const kind = str(model.class_name ?? '');
  if (!config) return fail('the TF.js model has no modelTopology.config: is this a Layers model (not a graph model)?');
  const layers = (Array.isArray(config) ? config : (config.layers as KerasLayer[] | undefined)) ?? [];
  const name = Array.isArray(config) ? 'tfjs-model' : str(config.name ?? 'tfjs-model');
  if (kind === 'Sequential') return { name, layers };
  if (kind === 'Model' || kind === 'Functional') {
    // A chain: each layer's one input is the layer before it.
    layers.forEach((l, i) => {
      const nodes = (l as unknown as { inbound_nodes?: unknown[] }).inbound_nodes ?? [];
      const inputs: string[] = JSON.stringify(nodes).match(/"[^"]+"/g) ?? [];
      if (i > 0 && (nodes.length !== 1 || !inputs.includes(`"${layers[i - 1].config.name as string}"`)))
        fail(
          `layer ${str(l.config.name)} (${l.class_name}) does not simply follow ${str(layers[i - 1].config.name)}: ConvPlay reads sequential models and functional ones that are a single chain`,
        );
    });
    return { name, layers };
  }
  return fail(`a TF.js model of class "${kind}" is not supported; save a Sequential model`);
}

function inputShape(c: Config): number[] | null {
  const shape = (c.batch_input_shape ?? c.batch_shape ?? null) as (number | null)[] | null;
  if (shape) return shape.slice(1) as number[];
  const input = c.input_shape as number[] | undefined;
  return input ?? null;
}

/** A TF.js Layers model as a ConvPlay spec and weights file (bytes for `engine.model({ weights })`). */
export function fromTfjs(artifacts: TfjsArtifacts): { spec: object; weights: Uint8Array; ignored: string[] } {
  const { name, layers } = layersOf(artifacts.modelTopology as Config);
  if (layers.length === 0) fail('the TF.js model has no layers');
  let input: number[] | null = null;
  const spec: Config[] = [];
  const ignored: string[] = [];
  // ConvPlay tensor name → TF.js weight name, and how to reshape it.
  const renames: { from: string; to: string; shape?: number[] }[] = [];
  for (const [i, l] of layers.entries()) {
    const c = l.config ?? {};
    const lname = str(c.name ?? `layer_${i}`);
    const where = `layer ${i} (${l.class_name} "${lname}")`;
    input ??= inputShape(c);
    const w = (suffix: string, to = suffix, shape?: number[]) =>
      renames.push({ from: `${lname}/${suffix}`, to: `${lname}/${to}`, shape });
    switch (l.class_name) {
      case 'InputLayer':
        continue;
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        channelsLast(where, c);
        if (c.groups !== undefined && c.groups !== 1) fail(`${where}: grouped convolutions are not supported`);
        const separable = l.class_name === 'SeparableConv2D';
        if (separable && (c.depth_multiplier ?? 1) !== 1)
          fail(`${where}: depth_multiplier ${str(c.depth_multiplier)} is not supported`);
        const use_bias = c.use_bias !== false;
        const layer: Config = {
          type: { Conv2D: 'conv2d', DepthwiseConv2D: 'depthwise_conv2d', SeparableConv2D: 'separable_conv2d' }[
            l.class_name
          ],
          name: lname,
          kernel_size: pair(where, 'kernel_size', c.kernel_size),
          strides: pair(where, 'strides', c.strides ?? 1),
          padding: padding(where, c.padding ?? 'valid'),
          activation: activation(where, c.activation),
          use_bias,
        };
        // Depthwise convs have no filters (ConvPlay's parser checks their multiplier).
        if (l.class_name === 'DepthwiseConv2D') layer.depth_multiplier = c.depth_multiplier ?? 1;
        else layer.filters = c.filters;
        spec.push(layer);
        if (l.class_name === 'Conv2D') w('kernel');
        else if (separable) {
          w('depthwise_kernel', 'depthwise/kernel', []);
          w('pointwise_kernel', 'pointwise/kernel');
        } else w('depthwise_kernel', 'kernel', []);
        if (use_bias) w('bias', separable ? 'pointwise/bias' : 'bias');
        break;
      }
      case 'Conv2DTranspose': {
        channelsLast(where, c);
        if (c.output_padding !== undefined && c.output_padding !== null)
          fail(
            `${where}: output_padding ${str(c.output_padding)} is not supported; ConvPlay uses Keras's sizes without it`,
          );
        const use_bias = c.use_bias !== false;
        spec.push({
          type: 'conv2d_transpose',
          name: lname,
          filters: c.filters,
          kernel_size: pair(where, 'kernel_size', c.kernel_size),
          strides: pair(where, 'strides', c.strides ?? 1),
          padding: padding(where, c.padding ?? 'valid'),
          activation: activation(where, c.activation),
          use_bias,
        });
        // Keras's layout on both sides: [kh, kw, filters, in_channels].
        w('kernel');
        if (use_bias) w('bias');
        break;
      }
      case 'UpSampling2D': {
        channelsLast(where, c);
        if ((c.interpolation ?? 'nearest') !== 'nearest')
          fail(
            `${where}: interpolation "${str(c.interpolation)}": TF.js's UpSampling2D samples bilinear without half-pixel centres (resizeBilinear's default), unlike Keras and ConvPlay, so the predictions would differ; use interpolation "nearest"`,
          );
        spec.push({ type: 'up_sampling2d', name: lname, size: pair(where, 'size', c.size ?? 2) });
        break;
      }
      case 'MaxPooling2D':
      case 'MaxPool2D':
      case 'AveragePooling2D':
      case 'AvgPool2D': {
        channelsLast(where, c);
        const pool = pair(where, 'pool_size', c.pool_size ?? 2);
        spec.push({
          type: l.class_name.startsWith('Max') ? 'max_pool2d' : 'avg_pool2d',
          name: lname,
          pool_size: pool,
          strides: c.strides === null || c.strides === undefined ? pool : pair(where, 'strides', c.strides),
          padding: padding(where, c.padding ?? 'valid'),
        });
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalAvgPool2D':
        if (c.keepdims === true) fail(`${where}: keepdims is not supported`);
        spec.push({ type: 'global_avg_pool2d', name: lname });
        break;
      case 'BatchNormalization': {
        const axis = Array.isArray(c.axis) ? (c.axis as number[]) : [c.axis ?? -1];
        if (!(axis.length === 1 && (axis[0] === -1 || axis[0] === 3 || (input && axis[0] === input.length))))
          fail(`${where}: batch normalisation over axis ${JSON.stringify(c.axis)}: ConvPlay normalises the last axis`);
        const center = c.center !== false;
        const scale = c.scale !== false;
        spec.push({
          type: 'batch_norm',
          name: lname,
          momentum: c.momentum ?? 0.99,
          epsilon: c.epsilon ?? 1e-3,
          center,
          scale,
        });
        if (scale) w('gamma');
        if (center) w('beta');
        w('moving_mean');
        w('moving_variance');
        break;
      }
      case 'Dense': {
        const use_bias = c.use_bias !== false;
        spec.push({
          type: 'dense',
          name: lname,
          units: c.units,
          activation: activation(where, c.activation),
          use_bias,
        });
        w('kernel');
        if (use_bias) w('bias');
        break;
      }
      case 'Flatten':
        spec.push({ type: 'flatten', name: lname });
        break;
      case 'Dropout':
        spec.push({ type: 'dropout', name: lname, rate: c.rate });
        break;
      case 'Activation':
        spec.push({ type: 'activation', name: lname, activation: activation(where, c.activation) });
        break;
      case 'ReLU': {
        const max = c.max_value ?? null;
        if (max !== null && max !== 6) fail(`${where}: ReLU with max_value ${str(max)}: ConvPlay has relu and relu6`);
        if (c.negative_slope) fail(`${where}: ReLU with a negative slope: use LeakyReLU`);
        spec.push({ type: 'activation', name: lname, activation: max === 6 ? 'relu6' : 'relu' });
        break;
      }
      case 'LeakyReLU':
        spec.push({ type: 'leaky_relu', name: lname, alpha: c.alpha ?? c.negative_slope ?? 0.3 });
        break;
      case 'Softmax':
        spec.push({ type: 'softmax', name: lname });
        break;
      default:
        fail(
          `${where}: ${l.class_name} is not supported; ConvPlay reads Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose, UpSampling2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, BatchNormalization, Dense, Flatten, Dropout, Activation, ReLU, LeakyReLU, Softmax and InputLayer`,
        );
    }
  }
  if (!input) fail('the TF.js model does not say its input shape (batch_input_shape on its first layer)');
  const weights = readWeights(artifacts);
  const tensors: Tensors = new Map();
  for (const r of renames) {
    const t = weights.get(r.from) ?? fail(`the TF.js weights have no ${r.from}`);
    // Depthwise kernels: [kh, kw, c, 1] in Keras, [kh, kw, c] in ConvPlay.
    tensors.set(r.to, { shape: r.shape ? t.shape.slice(0, 3) : t.shape, values: t.values });
    weights.delete(r.from);
  }
  for (const left of weights.keys()) ignored.push(`weight ${left}: no ConvPlay parameter takes it`);
  const specObject = { name, input: input as number[], layers: spec };
  return {
    spec: specObject,
    weights: writeSafetensors(tensors, { format: 'convplay', format_version: '1', spec: JSON.stringify(specObject) }),
    ignored,
  };
}

/** Every weight of the artifacts as f32 values, by TF.js name (quantized shards decoded). */
function readWeights(a: TfjsArtifacts): Tensors {
  const specs = a.weightSpecs ?? a.weightsManifest?.flatMap((g) => g.weights) ?? [];
  const parts = a.weightData === undefined ? [] : Array.isArray(a.weightData) ? a.weightData : [a.weightData];
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  const out: Tensors = new Map();
  let offset = 0;
  for (const s of specs) {
    const count = s.shape.reduce((n, d) => n * d, 1);
    const q = s.quantization;
    const bytesEach = q ? (q.dtype === 'uint8' ? 1 : 2) : 4;
    const bytes = count * bytesEach;
    if (offset + bytes > data.byteLength)
      fail(
        `the TF.js weights end early: ${s.name} needs bytes ${offset}–${offset + bytes} but the shards hold ${data.byteLength}; pass every shard of the manifest, in order`,
      );
    const view = new DataView(data.buffer, data.byteOffset + offset, bytes);
    const values = new Float32Array(count);
    if (!q) {
      if (s.dtype !== 'float32') fail(`weight ${s.name} is ${s.dtype}: ConvPlay reads float32 weights`);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
    } else if (q.dtype === 'float16') {
      for (let i = 0; i < count; i++) values[i] = f16(view.getUint16(i * 2, true));
    } else {
      const scale = q.scale ?? 1;
      const min = q.min ?? 0;
      for (let i = 0; i < count; i++)
        values[i] = (q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(i * 2, true)) * scale + min;
    }
    out.set(s.name, { shape: s.shape, values });
    offset += bytes;
  }
  return out;
}

/** The TF.js class of each ConvPlay layer type, and its config. */
function kerasLayer(l: Config, first: number[] | null): KerasLayer {
  const name = str(l.name);
  const where = `layer "${name}" (${str(l.type)})`;
  const base: Config = { name, trainable: l.trainable !== false, dtype: 'float32' };
  if (first) base.batch_input_shape = [null, ...first];
  const k = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v, v]);
  if (l.activation === 'leaky_relu' && l.type !== 'activation')
    fail(`${where}: TF.js layers have no "leaky_relu" activation; put a leaky_relu layer after it instead`);
  switch (l.type) {
    case 'conv2d':
    case 'depthwise_conv2d':
    case 'separable_conv2d': {
      // The three convolutions share their config; depthwise ones have no filters, plain ones no multiplier.
      const conv: Config = {
        ...base,
        kernel_size: k(l.kernel_size),
        strides: k(l.strides ?? 1),
        padding: l.padding ?? 'valid',
        data_format: 'channels_last',
        activation: l.activation ?? 'linear',
        use_bias: l.use_bias !== false,
      };
      if (l.type !== 'depthwise_conv2d') conv.filters = l.filters;
      if (l.type === 'conv2d') conv.dilation_rate = [1, 1];
      else conv.depth_multiplier = 1;
      const class_name = { conv2d: 'Conv2D', depthwise_conv2d: 'DepthwiseConv2D', separable_conv2d: 'SeparableConv2D' }[
        l.type
      ];
      return { class_name, config: conv };
    }
    case 'conv2d_transpose':
      return {
        class_name: 'Conv2DTranspose',
        config: {
          ...base,
          filters: l.filters,
          kernel_size: k(l.kernel_size),
          strides: k(l.strides ?? 1),
          padding: l.padding ?? 'valid',
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          activation: l.activation ?? 'linear',
          use_bias: l.use_bias !== false,
        },
      };
    case 'up_sampling2d':
      if (l.interpolation === 'bilinear')
        fail(
          `${where}: TF.js's UpSampling2D samples bilinear without half-pixel centres (resizeBilinear's default), unlike Keras and ConvPlay, so the predictions would differ; use interpolation "nearest" (or export to ONNX)`,
        );
      return {
        class_name: 'UpSampling2D',
        config: { ...base, size: k(l.size ?? 2), data_format: 'channels_last', interpolation: 'nearest' },
      };
    case 'max_pool2d':
    case 'avg_pool2d':
      return {
        class_name: l.type === 'max_pool2d' ? 'MaxPooling2D' : 'AveragePooling2D',
        config: {
          ...base,
          pool_size: k(l.pool_size ?? 2),
          strides: k(l.strides ?? l.pool_size ?? 2),
          padding: l.padding ?? 'valid',
          data_format: 'channels_last',
        },
      };
    case 'global_avg_pool2d':
      return { class_name: 'GlobalAveragePooling2D', config: { ...base, data_format: 'channels_last' } };
    case 'batch_norm':
      return {
        class_name: 'BatchNormalization',
        config: {
          ...base,
          axis: -1,
          momentum: l.momentum ?? 0.99,
          epsilon: l.epsilon ?? 1e-3,
          center: l.center !== false,
          scale: l.scale !== false,
        },
      };
    case 'dense':
      return {
        class_name: 'Dense',
        config: { ...base, units: l.units, activation: l.activation ?? 'linear', use_bias: l.use_bias !== false },
      };
    case 'flatten':
      return { class_name: 'Flatten', config: base };
    case 'dropout':
      return { class_name: 'Dropout', config: { ...base, rate: l.rate } };
    case 'activation':
      // Keras's leaky_relu function slopes 0.2 (its LeakyReLU layer: 0.3), as in ConvPlay.
      return l.activation === 'leaky_relu'
        ? { class_name: 'LeakyReLU', config: { ...base, alpha: l.alpha ?? 0.2 } }
        : { class_name: 'Activation', config: { ...base, activation: l.activation } };
    case 'relu':
      return { class_name: 'Activation', config: { ...base, activation: 'relu' } };
    case 'softmax':
      return { class_name: 'Activation', config: { ...base, activation: 'softmax' } };
    case 'leaky_relu':
      return { class_name: 'LeakyReLU', config: { ...base, alpha: l.alpha ?? 0.3 } };
    default:
      return fail(
        `${where} has no TF.js Layers twin in a sequential model (residual, concat, squeeze-and-excitation and LRN blocks need a functional graph, which the export does not write yet); export a model without it`,
      );
  }
}

/** TF.js's weight names for a ConvPlay tensor name, in the order TF.js's layer declares them. */
function kerasWeights(l: Config): [string, string, boolean][] {
  const n = str(l.name);
  const bias = l.use_bias !== false;
  switch (l.type) {
    case 'conv2d':
    case 'conv2d_transpose':
    case 'dense':
      return bias
        ? [
            [`${n}/kernel`, `${n}/kernel`, false],
            [`${n}/bias`, `${n}/bias`, false],
          ]
        : [[`${n}/kernel`, `${n}/kernel`, false]];
    case 'depthwise_conv2d':
      return [[`${n}/kernel`, `${n}/depthwise_kernel`, true], ...(bias ? [[`${n}/bias`, `${n}/bias`, false]] : [])] as [
        string,
        string,
        boolean,
      ][];
    case 'separable_conv2d':
      return [
        [`${n}/depthwise/kernel`, `${n}/depthwise_kernel`, true],
        [`${n}/pointwise/kernel`, `${n}/pointwise_kernel`, false],
        ...(bias ? [[`${n}/pointwise/bias`, `${n}/bias`, false]] : []),
      ] as [string, string, boolean][];
    case 'batch_norm':
      return [
        ...(l.scale !== false ? [[`${n}/gamma`, `${n}/gamma`, false]] : []),
        ...(l.center !== false ? [[`${n}/beta`, `${n}/beta`, false]] : []),
        [`${n}/moving_mean`, `${n}/moving_mean`, false],
        [`${n}/moving_variance`, `${n}/moving_variance`, false],
      ] as [string, string, boolean][];
    default:
      return [];
  }
}

/**
 * A ConvPlay weights file (from `model.save()`) as TF.js Layers artifacts: `modelJson` is the
 * model.json to write beside one shard, `model.weights.bin` (`weightData`); `artifacts` is what
 * `tf.io.fromMemory` takes. `names` are the model's top-level layer names, in order
 * (`model.summary()`'s rows at depth 0).
 */
export function toTfjs(
  weightsFile: Uint8Array,
  names: string[],
): { modelJson: object; weightData: ArrayBuffer; artifacts: TfjsArtifacts } {
  const { tensors, metadata } = readSafetensors(weightsFile);
  const spec = JSON.parse(metadata.spec ?? fail('the weights file has no spec: save it with ConvPlay')) as Config;
  const layers = ((spec.layers as Config[]) ?? []).map((l, i) => ({ ...l, name: l.name ?? names[i] }));
  if (layers.some((l) => l.name === undefined))
    fail(`the model has ${layers.length} top-level layers but ${names.length} names were given`);
  const keras = layers.map((l, i) => kerasLayer(l, i === 0 ? (spec.input as number[]) : null));
  const weightSpecs: TfjsWeightSpec[] = [];
  const chunks: Float32Array[] = [];
  for (const l of layers)
    for (const [ours, theirs, depthwise] of kerasWeights(l)) {
      const t = tensors.get(ours) ?? fail(`the weights file has no ${ours}`);
      weightSpecs.push({ name: theirs, shape: depthwise ? [...t.shape, 1] : t.shape, dtype: 'float32' });
      chunks.push(t.values);
    }
  const total = chunks.reduce((s, c) => s + c.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const modelTopology = {
    class_name: 'Sequential',
    config: { name: str(spec.name ?? 'convplay'), layers: keras },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
  const generatedBy = 'ConvPlay';
  const weightData = all.buffer;
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy,
      convertedBy: null,
      modelTopology,
      weightsManifest: [{ paths: ['model.weights.bin'], weights: weightSpecs }],
    },
    weightData,
    artifacts: { modelTopology, weightSpecs, weightData, format: 'layers-model', generatedBy, convertedBy: null },
  };
}

/** A model of the API as TF.js Layers artifacts (its f32 weights; see `toTfjs`). */
export async function saveTfjs(model: Model): Promise<ReturnType<typeof toTfjs>> {
  const [bytes, summary] = await Promise.all([model.save({ format: 'f32' }), model.summary()]);
  return toTfjs(
    bytes,
    summary.rows.filter((r) => r.depth === 0).map((r) => r.name),
  );
}
