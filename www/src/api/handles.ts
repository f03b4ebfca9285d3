// Handles the API gives out besides models: a data set held in the engine's worker, and a fit
// in progress.

import type { ConvPlay } from './index';
import type { DataInfo, FitResult } from './protocol';

/** A data set held in the engine's worker (`engine.mnist`, `engine.hold`). */
export class HeldData {
  constructor(
    private readonly engine: ConvPlay,
    /** Its id, instance count, values per instance, shape and name. */
    readonly info: DataInfo,
  ) {}

  /** Instances. */
  get count(): number {
    return this.info.count;
  }

  /** @internal Whether it lives on `engine`. */
  on(engine: ConvPlay): boolean {
    return engine === this.engine;
  }

  /** One instance's input values and label (an MNIST digit: 784 u8, white on black); for a
   * scene, also its label map (`labelMap`, size² labels), else null. */
  example(index: number): Promise<{ input: Uint8Array | Float32Array; label: number; labelMap: Uint8Array | null }> {
    return this.engine.call('example', { data: this.info.id, index });
  }

  /** Frees it in the worker. */
  async dispose(): Promise<void> {
    await this.engine.call('disposeData', { data: this.info.id });
  }
}

/** A fit in progress (what `model.fit` returns): await it for the result, or steer it. */
export class FitRun implements PromiseLike<FitResult> {
  private readonly result: Promise<FitResult>;
  private waiting: (() => void)[] = [];
  private settled = false;

  /** @internal */
  constructor(
    private readonly engine: ConvPlay,
    private readonly id: number,
    result: Promise<FitResult>,
    private readonly checkInput: (x: Float32Array | Uint8Array) => void,
  ) {
    this.result = result.finally(() => {
      this.settled = true;
      this.release();
    });
  }

  /** Whether the fit has ended (resolved or rejected). */
  get ended(): boolean {
    return this.settled;
  }

  /** @internal The worker has paused the fit. */
  paused(): void {
    this.release();
  }

  private release(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  /** Pauses after the chunk of batches in progress; resolves once paused (or once the fit ended). */
  pause(): Promise<void> {
    if (this.settled) return Promise.resolve();
    const p = new Promise<void>((r) => this.waiting.push(r));
    this.engine.control(this.id, { action: 'pause' });
    return p;
  }

  resume(): void {
    this.release();
    this.engine.control(this.id, { action: 'resume' });
  }

  /** Ends the fit after the chunk in progress; it resolves with the epochs done and `stopped: true`. */
  stop(): void {
    this.engine.control(this.id, { action: 'stop' });
  }

  /** Looks inside the model at this input from now on (see `lookAt`). */
  look(input: Float32Array | Uint8Array): void {
    this.checkInput(input);
    this.engine.control(this.id, { action: 'look', input });
  }

  then<A = FitResult, B = never>(
    onfulfilled?: ((value: FitResult) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onfulfilled, onrejected);
  }

  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<FitResult | B> {
    return this.result.catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<FitResult> {
    return this.result.finally(onfinally);
  }
}
