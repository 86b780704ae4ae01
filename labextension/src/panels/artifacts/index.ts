/**
 * The artifacts panel: every artifact name, filtered by kind and search.
 */
import { PanelWithToolbar } from '@jupyterlab/ui-components';

import { ArtifactsBody } from './body';

export { ArtifactsModel } from './model';

export class Artifacts extends PanelWithToolbar {
  constructor(options: ArtifactsBody.IOptions) {
    super();
    this.id = 'jp-artifacts-artifacts';
    this.addClass('jp-Artifacts-Artifacts');
    this.title.label = 'Artifacts';
    this.addWidget(new ArtifactsBody(options));
  }
}
