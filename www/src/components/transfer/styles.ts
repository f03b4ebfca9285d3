// The styles of <convplay-transfer>: the list of steps, the classes with their photos and
// record buttons, the rows of settings, notes, warnings and results. The charts bring their own
// (<convplay-curves>, <convplay-confusion>).

import { css } from 'lit';

export const transferStyles = css`
  :host {
    display: block;
    font-size: 0.9rem;
  }
  ol.steps {
    list-style: none;
    padding: 0;
    margin: 0;
    display: flex;
    flex-direction: column;
    gap: 0.9rem;
  }
  ol.steps > li {
    border-left: 3px solid var(--cp-border, #dde1ea);
    padding-left: 0.75rem;
  }
  ol.steps > li.done {
    border-left-color: var(--cp-accent, #1565c0);
  }
  h3 {
    margin: 0 0 0.35rem;
    font-size: 0.95rem;
  }
  .class {
    border: 2px dashed var(--cp-border, #dde1ea);
    border-radius: 8px;
    padding: 0.45rem;
    margin-bottom: 0.45rem;
  }
  .class.over {
    border-color: var(--cp-accent, #1565c0);
  }
  .class header {
    display: flex;
    gap: 0.5rem;
    align-items: center;
    flex-wrap: wrap;
  }
  .thumbs {
    display: flex;
    flex-wrap: wrap;
    gap: 3px;
    margin-top: 0.3rem;
  }
  .thumbs img {
    width: 36px;
    height: 36px;
    object-fit: cover;
    border-radius: 3px;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem;
    align-items: center;
  }
  label.inline {
    display: inline-flex;
    flex-wrap: wrap;
    max-width: 100%;
    gap: 0.3rem;
    align-items: center;
  }
  /* A phone's width: long selects and file inputs shrink instead of widening the page. */
  select,
  input[type='file'] {
    max-width: 100%;
    min-width: 0;
  }
  input[type='number'] {
    width: 5rem;
  }
  input.name {
    width: 10rem;
  }
  button,
  input,
  select {
    font: inherit;
  }
  button {
    cursor: pointer;
    color: var(--cp-accent, #1565c0);
    background: var(--cp-card, #fff);
    border: 1px solid var(--cp-accent, #1565c0);
    border-radius: 4px;
    padding: 0.2rem 0.5rem;
  }
  button.primary {
    background: var(--cp-accent, #1565c0);
    color: var(--cp-card, #fff);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button.rec:active,
  button.rec.on {
    background: #c0392b;
    color: #fff;
    border-color: #c0392b;
  }
  video {
    width: 224px;
    border-radius: 6px;
    background: #000;
  }
  .note {
    color: var(--cp-muted, #5b6478);
    font-size: 0.85rem;
    margin: 0.25rem 0;
  }
  .warn {
    color: var(--cp-warn-fg, #6b4e00);
    background: var(--cp-warn-bg, #fff4d6);
    padding: 0.3rem 0.5rem;
    border-radius: 4px;
  }
  .error {
    color: var(--cp-err-fg, #8a1c1c);
  }
  .augmented {
    display: flex;
    gap: 3px;
  }
  .augmented canvas {
    width: 56px;
    height: 56px;
    border-radius: 3px;
  }
  .bars {
    display: grid;
    grid-template-columns: 9rem 1fr 4rem;
    gap: 0.25rem 0.5rem;
    align-items: center;
    max-width: 28rem;
  }
  .bar {
    height: 0.8rem;
    background: var(--cp-border, #dde1ea);
    border-radius: 3px;
    overflow: hidden;
  }
  .bar > div {
    height: 100%;
    background: var(--cp-accent, #1565c0);
  }
  .big {
    font-size: 1.05rem;
    font-weight: 600;
  }
`;
