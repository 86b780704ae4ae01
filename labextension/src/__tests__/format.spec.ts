/**
 * Run status wording: a crashed (dead) run says so, with the process that is gone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatRunDuration, STATUS_LABELS, statusTitle } from '../format';

describe('run status formatting', () => {
  it('labels every status the server sends', () => {
    assert.deepEqual(Object.keys(STATUS_LABELS).sort(), [
      'dead',
      'failed',
      'interrupted',
      'ok',
      'running'
    ]);
  });

  it('names the gone process of a dead run', () => {
    const title = statusTitle({ status: 'dead', host: 'gpu-7', pid: 4242 });
    assert.match(title, /Crashed/);
    assert.match(title, /gpu-7, pid 4242/);
    assert.equal(statusTitle({ status: 'ok' }), 'OK');
  });

  it('shows no "running" duration for a dead run', () => {
    assert.equal(formatRunDuration({ status: 'dead', duration: null }), 'crashed');
    assert.equal(formatRunDuration({ status: 'running', duration: null }), 'running');
    assert.equal(formatRunDuration({ status: 'ok', duration: 2 }), '2.0 s');
  });
});
