/**
 * The details panel: everything recorded about the selected run.
 */
import { PanelWithToolbar } from '@jupyterlab/ui-components';

import { IArtifactsActions } from '../../actions';
import { DetailsBody } from './body';
import { DetailsModel } from './model';

export { DetailsModel } from './model';

export class Details extends PanelWithToolbar {
  constructor(options: Details.IOptions) {
    super();
    this.id = 'jp-artifacts-details';
    this.addClass('jp-Artifacts-Details');
    this.title.label = 'Details';
    this.addWidget(new DetailsBody(options));
  }
}

export namespace Details {
  export interface IOptions {
    model: DetailsModel;
    actions: IArtifactsActions;
  }
}
