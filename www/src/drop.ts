// Drag-and-drop of files, one way for every component: `dropFiles(onFiles)` on an element of a
// Lit template makes it a drop target. While files are dragged over it the element has the
// class `over` (each component styles that); a drop hands the dropped files, in order, to
// `onFiles`. <convplay-photo> uses it for its photo, <convplay-transfer> for each class.
//
//   html`<div class="drop" ${dropFiles((files) => this.add(files))}>…</div>`

import { noChange } from 'lit';
import { Directive, PartType, directive, type ElementPart, type PartInfo } from 'lit/directive.js';

export type OnFiles = (files: File[]) => void;

class DropFiles extends Directive {
  private target: HTMLElement | null = null;
  private onFiles: OnFiles = () => {};

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT)
      throw new Error('dropFiles() goes inside an element tag, as in <div ${dropFiles(onFiles)}>');
  }

  render(_onFiles: OnFiles): unknown {
    return noChange;
  }

  update(part: ElementPart, [onFiles]: [OnFiles]): unknown {
    // The latest callback is used, so a re-render may change what a drop does.
    this.onFiles = onFiles;
    const el = part.element as HTMLElement;
    if (this.target !== el) {
      this.target = el;
      el.addEventListener('dragover', (e) => {
        e.preventDefault();
        el.classList.add('over');
      });
      el.addEventListener('dragleave', () => el.classList.remove('over'));
      el.addEventListener('drop', (e) => {
        e.preventDefault();
        el.classList.remove('over');
        this.onFiles([...(e.dataTransfer?.files ?? [])]);
      });
    }
    return noChange;
  }
}

/** Makes the element it is put on a drop target for files (see the top of this file). */
export const dropFiles = directive(DropFiles);
