/**
 * What the views ask the application to do; the plugin provides the implementation.
 */
export interface IArtifactsActions {
  /**
   * Insert `code` as a new cell below the active cell of the current notebook.
   */
  insert(code: string): void;
  /**
   * Copy `text` to the clipboard.
   */
  copy(text: string): void;
  /**
   * Open a main-area tab comparing runs (run ids or `run-N`).
   */
  compare(refs: string[]): void;
  /**
   * Open a notebook (a path relative to the server root) at the cell with `cellId`.
   */
  openNotebook(path: string, cellId: string | null): void;
}
