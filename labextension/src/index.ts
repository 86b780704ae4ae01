/**
 * The jupyter-artifacts JupyterLab plugin: the Artifacts sidebar, its commands and settings.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Clipboard, ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { IArtifactsActions } from './actions';
import { createCompareWidget } from './compare';
import { artifactsIcon } from './icons';
import { ArtifactsSidebar } from './sidebar';

const PLUGIN_ID = 'jupyter-artifacts:plugin';

export namespace CommandIDs {
  export const open = 'jupyter-artifacts:open';
  export const refresh = 'jupyter-artifacts:refresh';
  export const compare = 'jupyter-artifacts:compare-selected';
  export const copyRef = 'jupyter-artifacts:copy-run-ref';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Browse runs, artifacts and lineage recorded by jupyter-artifacts.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, INotebookTracker, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    settingRegistry: ISettingRegistry | null
  ): void => {
    const actions: IArtifactsActions = {
      insert: code => Private.insert(app, notebooks, code),
      copy: text => {
        Clipboard.copyToSystem(text);
        Notification.info(`Copied ${text}`, { autoClose: 2000 });
      },
      openNotebook: (path, cellId) => void Private.openNotebook(app, path, cellId),
      compare: refs => {
        if (refs.length === 0) {
          Notification.warning('Check the runs to compare in the Runs list first.', {
            autoClose: 4000
          });
          return;
        }
        const widget = createCompareWidget(refs);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
      }
    };
    const sidebar = new ArtifactsSidebar({ actions });
    app.shell.add(sidebar, 'left', { rank: 750 });
    if (restorer) {
      restorer.add(sidebar, 'jupyter-artifacts-sidebar');
    }

    app.commands.addCommand(CommandIDs.open, {
      label: 'Show Artifacts',
      icon: artifactsIcon,
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Artifacts',
      execute: () => sidebar.refresh()
    });
    app.commands.addCommand(CommandIDs.compare, {
      label: 'Compare Checked Runs',
      execute: () => actions.compare(sidebar.runsModel.selected.map(r => r.id))
    });
    app.commands.addCommand(CommandIDs.copyRef, {
      label: 'Copy Selected Run Reference',
      isEnabled: () => sidebar.runsModel.active !== null,
      execute: () => {
        const active = sidebar.runsModel.active;
        if (active) {
          actions.copy(active.ref);
        }
      }
    });
    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        palette.addItem({ command, category: 'Artifacts' });
      }
    }

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(settings => {
        const apply = () => {
          sidebar.refreshInterval = settings.get('refreshInterval').composite as number;
          sidebar.runsModel.pageSize = settings.get('pageSize').composite as number;
          sidebar.runs.body.keyMetrics = settings.get('keyMetrics').composite as number;
        };
        apply();
        settings.changed.connect(apply);
      }).catch(reason => {
        console.error('jupyter-artifacts: could not load settings', reason);
      });
    }
  }
};

export default plugin;

namespace Private {
  /**
   * Open a notebook and make the cell that produced a run the active one.
   */
  export async function openNotebook(
    app: JupyterFrontEnd,
    path: string,
    cellId: string | null
  ): Promise<void> {
    const widget = await app.commands.execute('docmanager:open', { path });
    if (!(widget instanceof NotebookPanel)) {
      return;
    }
    await widget.context.ready;
    const notebook = widget.content;
    const index = cellId ? notebook.widgets.findIndex(cell => cell.model.id === cellId) : -1;
    if (index < 0) {
      Notification.info('The cell that produced this run is no longer in the notebook.', {
        autoClose: 4000
      });
      return;
    }
    notebook.activeCellIndex = index;
    await notebook.scrollToItem(index, 'center');
  }

  /**
   * Insert `code` in a new code cell below the active cell of the current notebook.
   */
  export function insert(
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    code: string
  ): void {
    const panel = notebooks?.currentWidget;
    if (!panel) {
      Clipboard.copyToSystem(code);
      Notification.info(`No notebook is open: copied ${code}`, { autoClose: 3000 });
      return;
    }
    const notebook = panel.content;
    NotebookActions.insertBelow(notebook);
    const cell = notebook.activeCell;
    if (cell) {
      cell.model.sharedModel.setSource(code);
    }
    app.shell.activateById(panel.id);
  }
}
