// The styles of <convplay-fcn>.

import { css } from 'lit';

export const fcnStyles = css`
  :host {
    display: block;
  }
  .padbox {
    position: relative;
    line-height: 0;
    width: fit-content;
    max-width: 100%;
  }
  /* On a narrow screen the canvas shrinks to fit (pointer positions are scaled back). */
  canvas.pad {
    display: block;
    max-width: 100%;
    height: auto;
    box-sizing: border-box;
    touch-action: none;
    background: #fff;
    border: 1px solid var(--cp-border, #dde1ea);
    border-radius: 6px;
    cursor: crosshair;
  }
  canvas.pad:focus-visible {
    outline: 3px solid var(--cp-accent, #1565c0);
    outline-offset: 2px;
  }
  canvas.heat {
    position: absolute;
    left: 1px;
    top: 1px;
    width: calc(100% - 2px);
    height: calc(100% - 2px);
    pointer-events: none;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem;
    align-items: center;
    margin: 0.6rem 0;
  }
  button,
  select {
    font: inherit;
    color: var(--cp-accent, #1565c0);
    background: var(--cp-card, #fff);
    border: 1px solid var(--cp-accent, #1565c0);
    border-radius: 4px;
    padding: 0.3rem 0.6rem;
  }
  button {
    cursor: pointer;
  }
  .legend {
    display: inline-flex;
    align-items: center;
    gap: 0.3rem;
    font-size: 0.8rem;
    color: var(--cp-muted, #5b6478);
  }
  .ramp {
    display: inline-block;
    width: 8rem;
    height: 0.7rem;
    border-radius: 3px;
    background: linear-gradient(90deg, #440154, #414487, #2a788e, #22a884, #7ad151, #fde725);
  }
  .macs {
    font-variant-numeric: tabular-nums;
  }
  .note {
    color: var(--cp-muted, #5b6478);
    font-size: 0.85rem;
  }
  .error {
    color: var(--cp-err-fg, #8a1c1c);
    font-size: 0.85rem;
  }
`;
