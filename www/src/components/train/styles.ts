// The look of <convplay-train>: its controls, progress bar, charts, tables and digit gallery.

import { css } from 'lit';

export const trainStyles = css`
  :host {
    display: block;
    font-size: 0.9rem;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1rem;
    align-items: end;
  }
  :host([compact]) {
    font-size: 0.85rem;
  }
  :host([compact]) .controls {
    gap: 0.35rem 0.6rem;
  }
  :host([compact]) input[type='number'] {
    width: 5rem;
  }
  details.more {
    margin: 0.4rem 0;
  }
  details.more > summary {
    cursor: pointer;
    color: var(--cp-muted, #5b6478);
  }
  .bar {
    height: 0.6rem;
    background: var(--cp-border, #dde1ea);
    border-radius: 999px;
    overflow: hidden;
    margin: 0.75rem 0 0.25rem;
  }
  .bar > div {
    height: 100%;
    background: var(--cp-accent, #1565c0);
    transition: width 0.2s;
  }
  fieldset.run-size {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3rem 1.2rem;
    border: 1px solid var(--cp-border, #d0d5df);
    border-radius: 6px;
    margin: 0.5rem 0 0;
    padding: 0.3rem 0.7rem 0.45rem;
  }
  fieldset.run-size label {
    display: grid;
    grid-template-columns: auto 1fr;
    column-gap: 0.4rem;
    align-items: baseline;
    color: inherit;
  }
  fieldset.run-size .expect {
    grid-column: 2;
  }
  fieldset.run-size .expect,
  fieldset.run-size > span {
    color: var(--cp-muted, #5b6478);
  }
  .recipe {
    color: var(--cp-muted, #5b6478);
    font-size: 0.8rem;
    margin: 0.5rem 0 0;
  }
  .status {
    font-variant-numeric: tabular-nums;
    min-height: 1.3em;
  }
  .error {
    color: var(--cp-err-fg, #8a1c1c);
  }
  .charts {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 20rem), 1fr));
    gap: 0.75rem;
    margin-top: 0.75rem;
  }
  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
    margin-top: 0.75rem;
  }
  th,
  td {
    padding: 0.2rem 0.6rem;
    border-bottom: 1px solid var(--cp-border, #dde1ea);
    text-align: right;
  }
  .offer {
    margin-top: 0.75rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--cp-warn, #e08a1f);
    border-radius: 6px;
  }
  .offer p {
    margin: 0.25rem 0;
  }
  .saved {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1rem;
    align-items: center;
    margin-top: 0.75rem;
  }
  label.file {
    flex-direction: row;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem;
    max-width: 100%;
  }
  input[type='file'] {
    max-width: 100%;
    min-width: 0;
  }
  .after {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 22rem), 1fr));
    gap: 1rem;
    margin-top: 0.75rem;
  }
  h4 {
    margin: 0.5rem 0 0.35rem;
    font-size: 0.95rem;
  }
  h3.results {
    font-size: 1rem;
    margin: 1rem 0 0.25rem;
  }
  .gallery {
    display: flex;
    flex-wrap: wrap;
    gap: 0.4rem;
  }
  figure {
    margin: 0;
    text-align: center;
    font-size: 0.75rem;
    color: var(--cp-muted, #5b6478);
  }
  figure img {
    width: 42px;
    height: 42px;
    image-rendering: pixelated;
    display: block;
    border-radius: 3px;
  }
`;
