// <convplay-keras>: the model lab's Keras box. "Paste Keras code" opens a box for a notebook
// cell or a .py file; reading it hands the spec to the lab (a `keras-spec` event with the spec
// text), lists the lines that were not read and shows placed errors. "Export as Keras code"
// writes the lab's spec as Keras code to copy or download. The parsing is the API's `keras`
// (www/src/api/keras.ts, over crate/src/keras/).

import { LitElement, css, html, nothing } from 'lit';
import { keras, type KerasIgnoredLine } from '../../api/keras';

export class ConvplayKeras extends LitElement {
  static properties = {
    spec: { attribute: false },
    open: { state: true },
    code: { state: true },
    problems: { state: true },
    ignored: { state: true },
    exported: { state: true },
    exportError: { state: true },
    copied: { state: true },
  };

  /** The lab's spec (JSON text), for the export. */
  declare spec: string;
  declare open: boolean;
  declare code: string;
  declare problems: string[];
  declare ignored: KerasIgnoredLine[] | null;
  declare exported: string | null;
  declare exportError: string;
  declare copied: boolean;

  constructor() {
    super();
    this.spec = '';
    this.open = false;
    this.code = '';
    this.problems = [];
    this.ignored = null;
    this.exported = null;
    this.exportError = '';
    this.copied = false;
  }

  static styles = css`
    :host {
      display: block;
      margin-bottom: 0.75rem;
      font-size: 0.9rem;
    }
    button {
      font: inherit;
      cursor: pointer;
      color: var(--cp-accent, #1f7ae0);
      background: var(--cp-card, #fff);
      border: 1px solid var(--cp-accent, #1f7ae0);
      border-radius: 4px;
      padding: 0.3rem 0.45rem;
      margin-right: 0.5rem;
    }
    textarea,
    pre {
      width: 100%;
      box-sizing: border-box;
      font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
      font-size: 0.8rem;
      line-height: 1.35;
      border: 1px solid var(--cp-border, #dde1ea);
      border-radius: 4px;
      background: var(--cp-card, #fff);
      color: var(--cp-fg, inherit);
      padding: 0.4rem;
    }
    textarea {
      min-height: 12rem;
      resize: vertical;
      margin: 0.5rem 0;
    }
    pre {
      max-height: 20rem;
      overflow: auto;
      margin: 0.5rem 0;
    }
    ul,
    ol {
      margin: 0.25rem 0;
      padding-left: 1.25rem;
    }
    ol.ignored {
      max-height: 10rem;
      overflow: auto;
      list-style: none;
      padding-left: 0;
      font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
      font-size: 0.8rem;
      color: var(--cp-muted, #5b6478);
      white-space: pre;
    }
    .bad {
      color: var(--cp-err-fg, #8a1c1c);
    }
    .ok {
      color: var(--cp-ok, #1c8a4a);
    }
  `;

  /** Reads the pasted code; on success the lab gets the spec and the box closes. */
  async read(): Promise<void> {
    try {
      const got = await keras.toSpec(this.code);
      this.problems = [];
      this.ignored = got.ignored;
      this.open = false;
      this.dispatchEvent(new CustomEvent('keras-spec', { detail: got.specText, bubbles: true, composed: true }));
    } catch (e) {
      this.problems = (e instanceof Error ? e.message : String(e)).split('\n');
      this.ignored = null;
    }
  }

  protected willUpdate(changed: Map<string, unknown>): void {
    // An export on show follows the spec as it is edited.
    if (changed.has('spec') && (this.exported !== null || this.exportError)) void this.writeExport();
  }

  private async toggleExport(): Promise<void> {
    if (this.exported !== null || this.exportError) {
      this.exported = null;
      this.exportError = '';
      return;
    }
    await this.writeExport();
  }

  private async writeExport(): Promise<void> {
    this.copied = false;
    try {
      this.exported = await keras.fromSpec(this.spec);
      this.exportError = '';
    } catch (e) {
      this.exported = null;
      this.exportError = e instanceof Error ? e.message : String(e);
    }
  }

  private async copy(): Promise<void> {
    if (this.exported === null) return;
    try {
      await navigator.clipboard.writeText(this.exported);
      this.copied = true;
    } catch (e) {
      this.exportError = `could not copy (${e instanceof Error ? e.message : String(e)}): select the code and copy it, or download it`;
    }
  }

  private download(): void {
    if (this.exported === null) return;
    let name = 'model';
    try {
      const given = (JSON.parse(this.spec) as { name?: unknown }).name;
      if (typeof given === 'string' && given) name = given;
    } catch {
      // The export succeeded, so the spec is JSON; keep the default name regardless.
    }
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([this.exported], { type: 'text/x-python' }));
    a.download = `${name.replace(/[^\w.-]+/g, '_')}.py`;
    a.click();
    URL.revokeObjectURL(a.href);
  }

  private renderPaste() {
    if (!this.open) return nothing;
    return html`
      <textarea
        spellcheck="false"
        aria-label="Keras code"
        placeholder="model = keras.Sequential([...]) or model = Sequential() and model.add(...), from a notebook cell or a .py file"
        .value=${this.code}
        @input=${(e: Event) => (this.code = (e.target as HTMLTextAreaElement).value)}
      ></textarea>
      <button @click=${() => void this.read()}>Read the Keras code</button>
    `;
  }

  render() {
    const ignored = this.ignored;
    return html`
      <button aria-expanded=${String(this.open)} @click=${() => (this.open = !this.open)}>Paste Keras code</button>
      <button aria-expanded=${String(this.exported !== null)} @click=${() => void this.toggleExport()}>Export as Keras code</button>
      ${this.renderPaste()}
      ${
        this.problems.length
          ? html`<ul class="bad keras-problems" role="alert">
              ${this.problems.map((p) => html`<li>${p}</li>`)}
            </ul>`
          : nothing
      }
      ${
        ignored
          ? html`<p class="ok" data-keras-read>Read the Keras model into the spec below; ${ignored.length} line${ignored.length === 1 ? '' : 's'} ignored (not part of the model)${ignored.length ? ':' : '.'}</p>
              ${ignored.length ? html`<ol class="ignored">${ignored.map((i) => html`<li>${String(i.line).padStart(4)} | ${i.text}</li>`)}</ol>` : nothing}`
          : nothing
      }
      ${this.exportError ? html`<p class="bad" role="alert">${this.exportError}</p>` : nothing}
      ${
        this.exported !== null
          ? html`<pre data-keras-export>${this.exported}</pre>
              <button @click=${() => void this.copy()}>${this.copied ? 'Copied' : 'Copy'}</button>
              <button @click=${() => this.download()}>Download .py</button>`
          : nothing
      }
    `;
  }
}

if (!customElements.get('convplay-keras')) customElements.define('convplay-keras', ConvplayKeras);
