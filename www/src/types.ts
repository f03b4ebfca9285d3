// Types of the objects the wasm engine returns (mirrors of the Rust structs).

export interface Bytes {
  bytes: number;
  /** 10^6 bytes */
  mb: number;
  /** 2^20 bytes */
  mib: number;
}

export interface SummaryRow {
  depth: number;
  name: string;
  type: string;
  /** [h, w, c] or [n] */
  output: number[];
  shapeFormula: string;
  trainable: number;
  nonTrainable: number;
  paramsFormula: string;
  macs: number;
  flops: number;
  outputBytes: number;
}

export interface Summary {
  name: string;
  input: number[];
  rows: SummaryRow[];
  params: number;
  trainable: number;
  nonTrainable: number;
  macs: number;
  flops: number;
  inference: {
    params: Bytes;
    peakActivations: Bytes;
    peakBetween: [string, string];
    total: Bytes;
    naiveAllOutputs: Bytes;
  };
  training: {
    batch: number;
    activations: Bytes;
    params: Bytes;
    forwardBackward: Bytes;
    gradients: Bytes;
    sgdMomentumState: Bytes;
    adamState: Bytes;
    totalSgdMomentum: Bytes;
    totalAdam: Bytes;
    activationsF16: Bytes;
    totalAdamF16: Bytes;
    activationGradients: Bytes;
    workspace: Bytes;
    engineAdam: Bytes;
    /** engineAdam with f16 activations (a GPU with shader-f16; activation gradients stay f32). */
    engineAdamF16: Bytes;
  };
  /** Why this engine cannot hold the model (a count past 2^53 − 1, a buffer past 2^32 − 1 elements, or over 4 GiB), with the limit; null when it can. Counts past 2^53 − 1 are held at 2^53 − 1. */
  tooLarge: string | null;
}

export interface Fix {
  change: string;
  estimate: Bytes;
  fits: boolean;
}

export interface FitCheck {
  batch: number;
  budget: Bytes;
  estimate: Bytes;
  largestBuffer: Bytes;
  largestBufferLayer: string;
  maxBufferSize: number | null;
  maxStorageBinding: number | null;
  fitsBudget: boolean;
  fitsLimits: boolean;
  fixes: Fix[];
}

/** One layer's output for the inspected input (`Trainer.inspect`). */
export interface LayerOutput {
  name: string;
  type: string;
  /** [h, w, c] for feature maps (channel last), [n] for vectors. */
  shape: number[];
  values: number[];
}

/** What the network does with one input: every layer's output, the probabilities, the saliency. */
export interface InsideData {
  /** Top-level layers in order; the last one holds the logits. */
  layers: LayerOutput[];
  probabilities: number[];
  top: number;
  /** ∂(top class logit)/∂(input value), in the input's shape. */
  saliency: number[];
  /** The first conv layer's kernel, [kh, kw, cIn, cOut]; null without a conv layer. */
  filters: { name: string; shape: number[]; values: number[] } | null;
}
