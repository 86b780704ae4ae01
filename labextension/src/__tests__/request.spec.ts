/**
 * The request seam: our own 404s keep their message; a bare 404 means no server extension.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ServerConnection } from '@jupyterlab/services';

import { APIError, ServerExtensionMissingError, requestAPI } from '../request';

function settingsAnswering(status: number, body: string): ServerConnection.ISettings {
  const fetch = async (): Promise<Response> => new Response(body, { status });
  return ServerConnection.makeSettings({ baseUrl: 'http://localhost:8888/', fetch } as any);
}

describe('requestAPI', () => {
  it('returns the JSON body', async () => {
    const data = await requestAPI<{ total: number }>('runs', {}, settingsAnswering(200, '{"total": 3}'));
    assert.equal(data.total, 3);
  });

  it('says the server extension is missing on a bare 404', async () => {
    await assert.rejects(
      requestAPI('runs', {}, settingsAnswering(404, '<html>Not Found</html>')),
      ServerExtensionMissingError
    );
  });

  it('keeps the API message on its own 404s and 409s', async () => {
    const notFound = settingsAnswering(404, '{"message": "no run matches \'run-9\'", "error": "NotFoundError"}');
    await assert.rejects(requestAPI('runs/run-9', {}, notFound), (error: unknown) => {
      assert.ok(error instanceof APIError);
      assert.equal(error.status, 404);
      assert.equal(error.errorName, 'NotFoundError');
      assert.match(error.message, /run-9/);
      return true;
    });
    const ambiguous = settingsAnswering(409, '{"message": "ambiguous", "error": "AmbiguousReferenceError"}');
    await assert.rejects(requestAPI('runs/ab12', {}, ambiguous), /ambiguous/);
  });
});
