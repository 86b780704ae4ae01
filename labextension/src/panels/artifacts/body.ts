/**
 * The artifacts view: search and kind filter over artifact names; a name expands to its
 * versions with insert/copy actions.
 */
import { Widget } from '@lumino/widgets';

import { IArtifactsActions } from '../../actions';
import { IArtifactRow, IVersion, loadSnippet } from '../../api';
import * as dom from '../../dom';
import { formatSize, formatTime } from '../../format';
import { ArtifactsModel } from './model';

export class ArtifactsBody extends Widget {
  constructor(options: ArtifactsBody.IOptions) {
    super();
    this._model = options.model;
    this._actions = options.actions;
    this.addClass('jp-Artifacts-ArtifactsBody');
    const bar = document.createElement('div');
    bar.className = 'jp-Artifacts-Filters';
    const search = document.createElement('input');
    search.type = 'search';
    search.placeholder = 'Search artifacts';
    search.setAttribute('aria-label', 'Search artifacts');
    search.className = 'jp-Artifacts-Filter jp-Artifacts-Filter-search jp-mod-styled';
    let timer = 0;
    search.addEventListener('input', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => this._model.setFilters({ search: search.value.trim() }), 250);
    });
    this._kindSelect = document.createElement('select');
    this._kindSelect.className = 'jp-Artifacts-Filter jp-Artifacts-Filter-kind jp-mod-styled';
    this._kindSelect.setAttribute('aria-label', 'Kind');
    this._kindSelect.addEventListener('change', () =>
      this._model.setFilters({ kind: this._kindSelect.value })
    );
    bar.append(search, this._kindSelect);
    this._list = document.createElement('div');
    this._list.className = 'jp-Artifacts-ArtifactList';
    this.node.append(bar, this._list);
    this._model.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const model = this._model;
    const options = [['', 'Any kind'], ...model.kinds.map(k => [k, k])];
    if (this._kindSelect.options.length !== options.length) {
      this._kindSelect.replaceChildren(
        ...options.map(([value, label]) => {
          const option = document.createElement('option');
          option.value = value;
          option.textContent = label;
          return option;
        })
      );
      this._kindSelect.value = model.kind;
    }
    const children: HTMLElement[] = [];
    if (model.error) {
      children.push(dom.note(model.error, 'jp-mod-error'));
    } else if (model.rows.length === 0) {
      children.push(dom.note('No artifacts match.'));
    }
    for (const row of model.rows) {
      children.push(this._row(row));
      if (model.expanded?.name === row.name) {
        children.push(...model.expanded.versions.map(v => this._version(v)));
      }
    }
    this._list.replaceChildren(...children);
  }

  private _row(row: IArtifactRow): HTMLElement {
    const node = document.createElement('div');
    node.className = 'jp-Artifacts-ArtifactRow';
    node.dataset.name = row.name;
    node.classList.toggle('jp-mod-expanded', this._model.expanded?.name === row.name);
    const name = document.createElement('span');
    name.className = 'jp-Artifacts-ArtifactName';
    name.textContent = row.name;
    const meta = document.createElement('span');
    meta.className = 'jp-Artifacts-VersionKind';
    const aliases = row.aliases.filter(a => a !== 'latest');
    meta.textContent = `${row.kind} · v${row.latest}${aliases.length ? ` · ${aliases.join(', ')}` : ''}`;
    node.append(name, meta);
    node.addEventListener('click', () => void this._model.toggle(row.name));
    return node;
  }

  private _version(version: IVersion): HTMLElement {
    const aliases = version.aliases.length ? ` · ${version.aliases.join(', ')}` : '';
    const node = dom.versionLine(
      version,
      `v${version.version}`,
      `${formatSize(version.size)} · ${formatTime(version.created_at)}${aliases}`,
      this._actions,
      loadSnippet(version.ref)
    );
    node.classList.add('jp-Artifacts-ArtifactVersion');
    return node;
  }

  private _model: ArtifactsModel;
  private _actions: IArtifactsActions;
  private _kindSelect: HTMLSelectElement;
  private _list: HTMLElement;
}

export namespace ArtifactsBody {
  export interface IOptions {
    model: ArtifactsModel;
    actions: IArtifactsActions;
  }
}
