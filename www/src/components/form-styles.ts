// The form controls' look shared by the views with settings (the trainer, the model lab, the
// experiments side by side): a label above its control, controls in the page's colours, buttons
// in the accent colour. A view's own styles come after these and may override them.

import { css } from 'lit';

export const formStyles = css`
  label {
    display: flex;
    flex-direction: column;
    font-size: 0.85rem;
    color: var(--cp-muted, #5b6478);
    gap: 0.2rem;
  }
  input,
  select,
  textarea,
  button {
    font: inherit;
    color: var(--cp-fg, inherit);
    background: var(--cp-card, #fff);
    border: 1px solid var(--cp-border, #dde1ea);
    border-radius: 4px;
    padding: 0.3rem 0.45rem;
  }
  input[type='number'] {
    width: 6.5rem;
  }
  button {
    cursor: pointer;
    border-color: var(--cp-accent, #1565c0);
    color: var(--cp-accent, #1565c0);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
`;
