/**
 * The left sidebar: composes the runs and details panels and keeps them live.
 */
import { SidePanel } from '@jupyterlab/ui-components';
import { AccordionPanel } from '@lumino/widgets';

import { IArtifactsActions } from './actions';
import { fetchChanges } from './api';
import { artifactsIcon } from './icons';
import { Artifacts, ArtifactsModel } from './panels/artifacts';
import { Details, DetailsModel } from './panels/details';
import { Runs, RunsModel } from './panels/runs';

/**
 * The sidebar widget; it owns no logic beyond wiring panels and the refresh loop.
 */
export class ArtifactsSidebar extends SidePanel {
  constructor(options: ArtifactsSidebar.IOptions) {
    super();
    this.id = 'jp-artifacts-sidebar';
    this.addClass('jp-Artifacts-Sidebar');
    this.title.icon = artifactsIcon;
    this.title.caption = 'Artifacts: runs, metrics and lineage';
    this.runsModel = new RunsModel({ pageSize: options.pageSize });
    this.detailsModel = new DetailsModel();
    this.artifactsModel = new ArtifactsModel();
    this.runsModel.activeChanged.connect((_, row) => {
      void this.detailsModel.show(row ? row.id : null);
    });
    this.runs = new Runs({
      model: this.runsModel,
      keyMetrics: options.keyMetrics,
      onCompare: () => options.actions.compare(this.runsModel.selected.map(r => r.id))
    });
    this.addWidget(this.runs);
    // "Compare" from the details compares the shown run with the checked ones.
    const detailsActions: IArtifactsActions = {
      ...options.actions,
      compare: refs =>
        options.actions.compare([
          ...new Set([...this.runsModel.selected.map(r => r.id), ...refs])
        ])
    };
    this.addWidget(new Artifacts({ model: this.artifactsModel, actions: options.actions }));
    this.addWidget(new Details({ model: this.detailsModel, actions: detailsActions }));
    // The runs list is what people scan: give it most of the height, the details the rest.
    (this.content as AccordionPanel).setRelativeSizes([5, 2, 4]);
    this.refreshInterval = options.refreshInterval ?? 1500;
    void this.runsModel.refresh();
    void this.artifactsModel.refresh();
  }

  readonly runsModel: RunsModel;
  readonly detailsModel: DetailsModel;
  readonly artifactsModel: ArtifactsModel;
  readonly runs: Runs;

  /**
   * Milliseconds between polls of the change token; 0 turns live refresh off.
   */
  get refreshInterval(): number {
    return this._interval;
  }

  set refreshInterval(value: number) {
    this._interval = value;
    window.clearTimeout(this._timer);
    if (value > 0 && !this.isDisposed) {
      this._timer = window.setTimeout(() => void this._poll(), value);
    }
  }

  /**
   * Reload the runs list and the details now.
   */
  async refresh(): Promise<void> {
    await Promise.all([
      this.runsModel.refresh(),
      this.artifactsModel.refresh(),
      this.detailsModel.reload()
    ]);
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    this.runsModel.dispose();
    this.detailsModel.dispose();
    this.artifactsModel.dispose();
    super.dispose();
  }

  /**
   * Ask for the change token; refresh only when it moved. Skipped while hidden.
   */
  private async _poll(): Promise<void> {
    if (this.isVisible && !document.hidden) {
      try {
        const { token } = await fetchChanges();
        if (token !== this._token) {
          // The first answer refreshes too: the store may have changed while hidden.
          this._token = token;
          await this.refresh();
        }
      } catch {
        // The runs model shows request errors; polling keeps going.
      }
    }
    if (!this.isDisposed) {
      this.refreshInterval = this._interval;
    }
  }

  private _interval = 0;
  private _timer = 0;
  private _token: string | null | undefined = undefined;
}

export namespace ArtifactsSidebar {
  export interface IOptions {
    actions: IArtifactsActions;
    pageSize?: number;
    keyMetrics?: number;
    refreshInterval?: number;
  }
}
