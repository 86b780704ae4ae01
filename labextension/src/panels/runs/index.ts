/**
 * The runs panel: a toolbar and the virtualised runs list.
 */
import { PanelWithToolbar, refreshIcon, ToolbarButton } from '@jupyterlab/ui-components';

import { RunsBody } from './body';
import { RunsModel } from './model';

export { RunsModel } from './model';

/**
 * The panel listing runs, newest first, with their notebook as a group band.
 */
export class Runs extends PanelWithToolbar {
  constructor(options: Runs.IOptions) {
    super();
    this.id = 'jp-artifacts-runs';
    this.addClass('jp-Artifacts-Runs');
    this.title.label = 'Runs';
    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        onClick: () => void options.model.refresh(),
        tooltip: 'Refresh runs'
      })
    );
    this.toolbar.addItem(
      'compare',
      new ToolbarButton({
        label: 'Compare',
        onClick: options.onCompare,
        tooltip: 'Compare the checked runs'
      })
    );
    this.body = new RunsBody({ model: options.model, keyMetrics: options.keyMetrics });
    this.addWidget(this.body);
  }

  readonly body: RunsBody;
}

export namespace Runs {
  export interface IOptions {
    model: RunsModel;
    keyMetrics?: number;
    onCompare: () => void;
  }
}
