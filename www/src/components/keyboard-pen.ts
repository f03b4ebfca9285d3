// The keyboard's pen, shared by the drawing surfaces (<convplay-draw>, <convplay-fcn>): a learner
// without a mouse or touch screen writes with the arrow keys (drawing while the pen is down),
// Space lowers or lifts the pen, Escape, Delete or Backspace clears. Also the ink line both
// surfaces draw and the marker that shows where the pen is.

import { css, html, nothing } from 'lit';

/** Where the keyboard's pen is, in canvas pixels; `shown` once a key has been pressed. */
export interface KeyboardPen {
  x: number;
  y: number;
  down: boolean;
  shown: boolean;
}

export const hiddenPen = (): KeyboardPen => ({ x: 0, y: 0, down: false, shown: false });

/** The canvas the pen moves over. */
export interface PenArea {
  width: number;
  height: number;
  /** How far one arrow key moves the pen. */
  step: number;
  /** How close to the edge the pen may go. */
  margin: number;
  /** Where the pen appears at the first key press. */
  start: [number, number];
  /** Draws a line of ink from a to b. */
  stroke: (a: [number, number], b: [number, number]) => void;
  clear: () => void;
}

/** Applies one key press to the pen (mutating it); false when the key is not the pen's, so the
 * caller leaves the event alone. */
export function penKey(pen: KeyboardPen, e: KeyboardEvent, area: PenArea): boolean {
  const { step, margin, width, height } = area;
  const moves: Record<string, [number, number]> = {
    ArrowUp: [0, -step],
    ArrowDown: [0, step],
    ArrowLeft: [-step, 0],
    ArrowRight: [step, 0],
  };
  const handled = e.key in moves || e.key === ' ' || ['Escape', 'Delete', 'Backspace'].includes(e.key);
  if (!handled) return false;
  if (!pen.shown) Object.assign(pen, { x: area.start[0], y: area.start[1], down: false, shown: true });
  const clamp = (v: number, size: number) => Math.max(margin, Math.min(size - margin, v));
  if (e.key in moves) {
    const [dx, dy] = moves[e.key];
    const next: [number, number] = [clamp(pen.x + dx, width), clamp(pen.y + dy, height)];
    if (pen.down) area.stroke([pen.x, pen.y], next);
    [pen.x, pen.y] = next;
  } else if (e.key === ' ') {
    pen.down = !pen.down;
    if (pen.down) area.stroke([pen.x, pen.y], [pen.x, pen.y]);
  } else area.clear();
  e.preventDefault();
  return true;
}

/** One round-ended line of dark ink on a canvas. */
export function inkLine(canvas: HTMLCanvasElement, a: [number, number], b: [number, number], width: number): void {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return;
  ctx.strokeStyle = '#111';
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(a[0], a[1]);
  ctx.lineTo(b[0], b[1]);
  ctx.stroke();
}

/** The pen's marker over a canvas of width × height pixels (positioned in percent). */
export function penMarker(pen: KeyboardPen, width: number, height: number) {
  if (!pen.shown) return nothing;
  return html`<span class="pen ${pen.down ? 'down' : ''}" style="left:${(100 * pen.x) / width}%;top:${(100 * pen.y) / height}%" aria-hidden="true"></span>`;
}

export const penStyles = css`
  .pen {
    position: absolute;
    width: 12px;
    height: 12px;
    margin: -6px 0 0 -6px;
    border: 2px solid var(--cp-accent, #1565c0);
    border-radius: 50%;
    pointer-events: none;
  }
  .pen.down {
    background: var(--cp-accent, #1565c0);
  }
`;
