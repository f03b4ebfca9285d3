// The camera for the photo components: open a stream into a <video>, grab a frame as a canvas,
// stop every track. Each component owns one and renders the <video> it is attached to.

export class Camera {
  private stream: MediaStream | null = null;

  get on(): boolean {
    return this.stream !== null;
  }

  /** Opens the camera (rear-facing where there is a choice) and plays it in `video()`, which is
   * asked for after `beforeAttach` (the component's re-render that shows it). */
  async start(beforeAttach: () => Promise<unknown>, video: () => HTMLVideoElement | null): Promise<void> {
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    await beforeAttach();
    const v = video();
    if (v) {
      v.srcObject = this.stream;
      await v.play();
    }
  }

  stop(): void {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
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
