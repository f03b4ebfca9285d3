// The camera for the photo components: open a stream into a <video>, grab a frame as a canvas,
// record (a frame at a steady pace while a button is held), stop every track. Each component
// owns one and renders the <video> it is attached to.

/** The component a camera belongs to: its `camera` and `problem` state, its shadow root. */
export interface CameraHost {
  camera: boolean;
  problem: string;
  readonly updateComplete: Promise<boolean>;
  readonly renderRoot: HTMLElement | DocumentFragment;
}

export class Camera {
  private stream: MediaStream | null = null;
  private recording: number | null = null;

  get on(): boolean {
    return this.stream !== null;
  }

  /** Opens the camera (rear-facing where there is a choice) and plays it in `video()`, which is
   * asked for after `beforeAttach` (the component's re-render that shows it). */
  private async start(beforeAttach: () => Promise<unknown>, video: () => HTMLVideoElement | null): Promise<void> {
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    await beforeAttach();
    const v = video();
    if (v) {
      v.srcObject = this.stream;
      await v.play();
    }
  }

  /** Opens the camera for `host`: sets `camera`, plays into the host's <video>, or says in
   * `problem` why not and what to do instead (`otherwise`). */
  async open(host: CameraHost, otherwise: string): Promise<void> {
    try {
      await this.start(
        () => {
          host.camera = true;
          return host.updateComplete;
        },
        () => host.renderRoot.querySelector('video'),
      );
    } catch (e) {
      host.camera = false;
      host.problem = `the camera is not available (${(e as Error).message}); allow it in the browser, or ${otherwise}`;
    }
  }

  /** Stops the camera (and any recording) and clears the host's `camera`. */
  close(host: CameraHost): void {
    this.stop();
    host.camera = false;
  }

  stop(): void {
    this.stopRecording();
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
  }

  /** Records: hands `onFrame` the current frame of `video()` now and every `everyMs` until
   * `stopRecording` (frames before the video plays are skipped). One recording at a time. */
  startRecording(
    video: () => HTMLVideoElement | null,
    onFrame: (frame: HTMLCanvasElement) => void,
    everyMs = 200,
  ): void {
    this.stopRecording();
    const grab = () => {
      const f = Camera.frame(video());
      if (f) onFrame(f);
    };
    grab();
    this.recording = window.setInterval(grab, everyMs);
  }

  stopRecording(): void {
    if (this.recording !== null) window.clearInterval(this.recording);
    this.recording = null;
  }

  /** The video's current frame at its own size, or null before it plays. */
  static frame(video: HTMLVideoElement | null): HTMLCanvasElement | null {
    if (!video || !video.videoWidth) return null;
    const c = document.createElement('canvas');
    c.width = video.videoWidth;
    c.height = video.videoHeight;
    c.getContext('2d')?.drawImage(video, 0, 0);
    return c;
  }
}
