/**
 * Small DOM builders shared by the views (classes only; styles live in style/base.css).
 */
import { requestContent } from './request';

export function note(text: string, extra = ''): HTMLElement {
  const node = document.createElement('div');
  node.className = `jp-Artifacts-Note ${extra}`.trim();
  node.textContent = text;
  return node;
}

export function pre(text: string, extra = ''): HTMLElement {
  const node = document.createElement('pre');
  node.className = `jp-Artifacts-Code ${extra}`.trim();
  node.textContent = text;
  return node;
}

export function button(label: string, onClick: () => void, title = label): HTMLElement {
  const node = document.createElement('button');
  node.className = 'jp-Artifacts-Button jp-mod-styled';
  node.textContent = label;
  node.title = title;
  node.addEventListener('click', onClick);
  return node;
}

export function heading(text: string): HTMLElement {
  const node = document.createElement('h3');
  node.className = 'jp-Artifacts-SectionTitle';
  node.textContent = text;
  return node;
}

export function section(title: string, ...children: HTMLElement[]): HTMLElement {
  const node = document.createElement('section');
  node.className = 'jp-Artifacts-Section';
  node.append(heading(title), ...children);
  return node;
}

/**
 * A table of text cells; rows whose `marked` entry is true get `jp-mod-differs`.
 */
export function table(headers: string[], rows: string[][], marked: boolean[] = []): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'jp-Artifacts-Table';
  const head = table.createTHead().insertRow();
  for (const text of headers) {
    const th = document.createElement('th');
    th.textContent = text;
    head.appendChild(th);
  }
  const body = table.createTBody();
  rows.forEach((row, i) => {
    const tr = body.insertRow();
    tr.classList.toggle('jp-mod-differs', marked[i] === true);
    for (const text of row) {
      tr.insertCell().textContent = text;
    }
  });
  return table;
}

/**
 * One artifact version as a line: its label, a description, then Insert and Copy buttons.
 */
export function versionLine(
  version: { ref: string; metadata?: Record<string, any> },
  label: string,
  description: string,
  actions: { insert(code: string): void; copy(text: string): void },
  snippet: string
): HTMLElement {
  const line = document.createElement('div');
  line.className = 'jp-Artifacts-VersionLine';
  line.dataset.ref = version.ref;
  const labelNode = document.createElement('span');
  labelNode.className = 'jp-Artifacts-VersionRef';
  labelNode.textContent = label;
  const descriptionNode = document.createElement('span');
  descriptionNode.className = 'jp-Artifacts-VersionKind';
  descriptionNode.textContent = description;
  line.append(
    labelNode,
    descriptionNode,
    button('Insert', () => actions.insert(snippet), 'Insert ja.load(…) into the notebook'),
    button('Copy', () => actions.copy(version.ref), 'Copy the reference')
  );
  if (version.metadata?.objects?.svg) {
    line.append(button('SVG', () => void downloadSvg(version.ref), 'Download the figure as SVG'));
  }
  return line;
}

/**
 * Save a figure's SVG (stored beside its PNG) through the browser's download.
 */
async function downloadSvg(ref: string): Promise<void> {
  const blob = await requestContent(ref, undefined, 'svg');
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${ref.replace(/[^A-Za-z0-9_.-]+/g, '_')}.svg`;
  link.click();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
