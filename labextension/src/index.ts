/**
 * The jupyter-artifacts JupyterLab plugin.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-artifacts:plugin',
  description: 'Browse runs, artifacts and lineage recorded by jupyter-artifacts.',
  autoStart: true,
  activate: (app: JupyterFrontEnd): void => {
    void app;
  }
};

export default plugin;
