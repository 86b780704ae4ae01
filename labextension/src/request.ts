/**
 * The one seam between the frontend and the jupyter-artifacts REST API.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The URL namespace of the REST API, under the server's base URL.
 */
export const API_NAMESPACE = 'jupyter-artifacts/api';

/**
 * Raised when the server has no jupyter-artifacts routes at all.
 */
export class ServerExtensionMissingError extends Error {
  constructor() {
    super(
      'The jupyter-artifacts server extension is not running: install the ' +
        'jupyter-artifacts Python package in the environment of this Jupyter server, ' +
        'check `jupyter server extension list`, then restart JupyterLab.'
    );
    this.name = 'ServerExtensionMissingError';
  }
}

/**
 * An error reply from the API, with the server's message.
 */
export class APIError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorName: string | null = null
  ) {
    super(message);
    this.name = 'APIError';
  }
}

/**
 * Make a request to the API and return its JSON body.
 *
 * @param endPoint - path under `jupyter-artifacts/api/`; segments must already be encoded
 * @param init - fetch options
 * @param settings - server connection settings
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const response = await Private.fetch(endPoint, init, settings);
  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON: keep the text for the error message.
    }
  }
  if (!response.ok) {
    throw Private.toError(response.status, data);
  }
  return data as T;
}

/**
 * Fetch a version's bytes (figures, reports) through the same seam.
 *
 * @param ref - an artifact version reference such as `confusion:v3`
 */
export async function requestContent(
  ref: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  object = ''
): Promise<Blob> {
  const query = object ? `?object=${encodeURIComponent(object)}` : '';
  const endPoint = `versions/${encodeURIComponent(ref)}/content${query}`;
  const response = await Private.fetch(endPoint, {}, settings);
  if (!response.ok) {
    let data: any = null;
    try {
      data = await response.json();
    } catch {
      // Not JSON.
    }
    throw Private.toError(response.status, data);
  }
  return response.blob();
}

namespace Private {
  export async function fetch(
    endPoint: string,
    init: RequestInit,
    settings: ServerConnection.ISettings
  ): Promise<Response> {
    const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
    try {
      return await ServerConnection.makeRequest(url, init, settings);
    } catch (error) {
      throw new ServerConnection.NetworkError(error as TypeError);
    }
  }

  /**
   * Our own 404s carry an `error` name; a bare 404 means the routes are missing.
   */
  export function toError(status: number, data: any): Error {
    const named = data && typeof data === 'object' && typeof data.error === 'string';
    if (status === 404 && !named) {
      return new ServerExtensionMissingError();
    }
    const message =
      data && typeof data === 'object' && data.message
        ? String(data.message)
        : `HTTP ${status}`;
    return new APIError(status, message, named ? data.error : null);
  }
}
