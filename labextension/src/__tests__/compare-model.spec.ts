/**
 * The compare model over fake API calls: differing params and shared curves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { IMetricSeries, IRunDetail } from '../api';
import { CompareModel } from '../compare/model';

function detail(id: string, params: Record<string, unknown>, lossCount: number): IRunDetail {
  return {
    run: {
      id, number: 1, ref: `run-${id}`, name: 'train', status: 'ok', started_at: 0, ended_at: 1,
      duration: 1, notebook_path: null, execution_count: null, tags: [], params,
      metrics: { loss: 0.1, acc: 0.9 }, has_error: false, code: null, error: null, cell_id: null
    },
    notebook: null,
    metrics: {
      loss: { last: 0.1, min: 0.1, max: 1, count: lossCount },
      acc: { last: 0.9, min: 0.9, max: 0.9, count: 1 }
    },
    inputs: [],
    outputs: [],
    environment: null
  };
}

describe('CompareModel', () => {
  it('marks differing params and fetches curves only for multi-point metrics', async () => {
    const details: Record<string, IRunDetail> = {
      a: detail('a', { lr: 0.1, n: 100 }, 50),
      b: detail('b', { lr: 0.01, n: 100, extra: true }, 20)
    };
    const seriesCalls: string[] = [];
    const model = new CompareModel({
      refs: ['a', 'b'],
      fetchRun: async ref => details[ref],
      fetchSeries: async (ref, key): Promise<IMetricSeries> => {
        seriesCalls.push(`${ref}/${key}`);
        return { key, count: 2, downsampled: false, points: [[0, 1, 0], [1, 0.5, 1]] };
      }
    });
    await model.load();
    assert.deepEqual([...model.differingParams].sort(), ['extra', 'lr']);
    assert.deepEqual([...model.curves.keys()], ['loss']);
    assert.deepEqual(seriesCalls.sort(), ['a/loss', 'b/loss']);
    assert.equal(model.error, null);
  });

  it('reports a failed load', async () => {
    const model = new CompareModel({
      refs: ['x'],
      fetchRun: () => Promise.reject(new Error('no run matches')),
      fetchSeries: () => Promise.reject(new Error('unused'))
    });
    await model.load();
    assert.match(model.error ?? '', /no run matches/);
  });
});
