/**
 * The compare tab: a main-area widget comparing runs.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';

import { artifactsIcon } from '../icons';
import { CompareBody } from './body';
import { CompareModel } from './model';

export { CompareModel } from './model';

/**
 * Open a compare tab's widget for `refs` (run ids or `run-N`); loading starts at once.
 */
export function createCompareWidget(refs: string[]): MainAreaWidget<CompareBody> {
  const model = new CompareModel({ refs });
  const content = new CompareBody(model);
  const widget = new MainAreaWidget({ content });
  widget.id = `jp-artifacts-compare-${Private.counter++}`;
  widget.title.label = `Compare ${refs.length} runs`;
  widget.title.icon = artifactsIcon;
  widget.title.closable = true;
  widget.addClass('jp-Artifacts-Compare');
  widget.disposed.connect(() => model.dispose());
  void model.load().then(() => {
    widget.title.label = `Compare ${model.runs.map(d => d.run.ref).join(', ')}`;
  });
  return widget;
}

namespace Private {
  export let counter = 0;
}
