// ConvPlay weights files (safetensors, docs/formats.md) read and written in the page, for the
// format converters (TF.js). Reading takes every storage ConvPlay writes (F32, F16, and I8 with
// its per-channel `.scale`) and gives f32 values; writing gives F32.

export type Tensors = Map<string, { shape: number[]; values: Float32Array }>;

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const fail = (msg: string): never => {
  throw new Error(msg);
};

/** An IEEE half-precision value (its 16 bits) as a number. */
export function f16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** A weights file's header (its JSON) and where its data starts, without reading any tensor. */
function header(bytes: Uint8Array): { head: Record<string, Entry | Record<string, string>>; start: number } {
  if (bytes.byteLength < 8) fail(`the weights file is ${bytes.byteLength} bytes: too short to be safetensors`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.byteLength - 8) fail('the weights file is cut short (its header runs past the end)');
  try {
    const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<
      string,
      Entry | Record<string, string>
    >;
    return { head, start: 8 + headerLen };
  } catch {
    return fail('the weights file header is not JSON: it is not a safetensors file');
  }
}

/** A weights file's metadata (its spec, labels, …) alone. */
export function readMetadata(bytes: Uint8Array): Record<string, string> {
  return (header(bytes).head.__metadata__ ?? {}) as Record<string, string>;
}

/** The tensors (as f32) and metadata of a weights file. */
export function readSafetensors(bytes: Uint8Array): { tensors: Tensors; metadata: Record<string, string> } {
  const { head, start } = header(bytes);
  const data = bytes.subarray(start);
  const metadata = (head.__metadata__ ?? {}) as Record<string, string>;
  const raw = new Map<string, { e: Entry; values: Float32Array | Int8Array }>();
  for (const [name, value] of Object.entries(head)) {
    if (name === '__metadata__') continue;
    const e = value as Entry;
    const [a, b] = e.data_offsets;
    if (!(a >= 0 && b >= a && b <= data.byteLength)) fail(`tensor ${name} lies outside the file`);
    const count = e.shape.reduce((n, d) => n * d, 1);
    const dv = new DataView(data.buffer, data.byteOffset + a, b - a);
    const size = { F32: 4, F16: 2, I8: 1 }[e.dtype] ?? fail(`tensor ${name} is ${e.dtype}: not a ConvPlay storage`);
    if (count * size !== b - a) fail(`tensor ${name}: shape ${JSON.stringify(e.shape)} does not match its bytes`);
    let values: Float32Array | Int8Array;
    if (e.dtype === 'I8') values = new Int8Array(data.buffer.slice(data.byteOffset + a, data.byteOffset + b));
    else {
      const f = new Float32Array(count);
      for (let i = 0; i < count; i++)
        f[i] = e.dtype === 'F32' ? dv.getFloat32(i * 4, true) : f16(dv.getUint16(i * 2, true));
      values = f;
    }
    raw.set(name, { e, values });
  }
  const tensors: Tensors = new Map();
  for (const [name, { e, values }] of raw) {
    if (name.endsWith('.scale')) continue;
    if (values instanceof Int8Array) {
      const scale = raw.get(`${name}.scale`)?.values ?? fail(`tensor ${name} is int8 without its ${name}.scale`);
      const c = scale.length;
      const f = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) f[i] = values[i] * scale[i % c];
      tensors.set(name, { shape: e.shape, values: f });
    } else tensors.set(name, { shape: e.shape, values });
  }
  return { tensors, metadata };
}

/** A safetensors file of F32 tensors with this metadata. */
export function writeSafetensors(tensors: Tensors, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.values.length * 4] };
    offset += t.values.length * 4;
  }
  const head = new TextEncoder().encode(JSON.stringify(header));
  // Padding counted in bytes (the header may hold non-ASCII names).
  const pad = (8 - (head.byteLength % 8)) % 8;
  const out = new Uint8Array(8 + head.byteLength + pad + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.byteLength + pad), true);
  out.set(head, 8);
  out.fill(0x20, 8 + head.byteLength, 8 + head.byteLength + pad);
  let at = 8 + head.byteLength + pad;
  for (const t of tensors.values()) {
    const bytes = new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength);
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}
