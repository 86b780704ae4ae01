/**
 * The runs model over a fake `fetchRuns` (the API seam): paging, filters, stale replies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { IRunFilters, IRunRow, IRunsPage } from '../api';
import { RunsModel } from '../panels/runs/model';

function row(index: number): IRunRow {
  return {
    id: `id${index}`,
    number: index + 1,
    ref: `run-${index + 1}`,
    name: 'train',
    status: 'ok',
    started_at: index,
    ended_at: index + 1,
    duration: 1,
    notebook_path: 'a.ipynb',
    execution_count: 1,
    tags: [],
    params: {},
    metrics: {},
    has_error: false
  };
}

/**
 * A fake server of `total` runs that records each request and can hold replies back.
 */
function fakeServer(total: number) {
  const calls: { filters: IRunFilters; offset: number; limit: number }[] = [];
  const held: (() => void)[] = [];
  let hold = false;
  const fetch = (filters: IRunFilters, offset: number, limit: number): Promise<IRunsPage> => {
    calls.push({ filters: { ...filters }, offset, limit });
    const matching = filters.name ? Math.min(3, total) : total;
    const runs = Array.from({ length: Math.max(0, Math.min(limit, matching - offset)) }, (_, i) =>
      row(offset + i)
    );
    const page = { runs, total: matching, limit, offset, store: '/s' };
    if (hold) {
      return new Promise(resolve => held.push(() => resolve(page)));
    }
    return Promise.resolve(page);
  };
  return {
    calls,
    fetch,
    holdReplies: () => {
      hold = true;
    },
    // Newest first, so a stale reply arrives last, as it may on a real network.
    release: () => held.splice(0).reverse().forEach(resolve => resolve())
  };
}

const settle = () => new Promise(resolve => setTimeout(resolve, 0));

describe('RunsModel', () => {
  it('fetches only the pages a view shows', async () => {
    const server = fakeServer(100_000);
    const model = new RunsModel({ pageSize: 200, fetch: server.fetch });
    model.ensure(0, 40);
    await settle();
    assert.equal(model.total, 100_000);
    assert.deepEqual(server.calls.map(c => c.offset), [0]);
    assert.equal(model.row(39)?.ref, 'run-40');
    assert.equal(model.row(5000), undefined);
    model.ensure(50_190, 50_230);
    await settle();
    assert.deepEqual(server.calls.map(c => c.offset), [0, 50_000, 50_200]);
    assert.equal(model.row(50_210)?.ref, 'run-50211');
  });

  it('does not fetch a page twice while it is loading', async () => {
    const server = fakeServer(1000);
    const model = new RunsModel({ pageSize: 100, fetch: server.fetch });
    server.holdReplies();
    model.ensure(0, 10);
    model.ensure(0, 10);
    assert.equal(server.calls.length, 1);
    server.release();
    await settle();
    assert.equal(model.row(0)?.ref, 'run-1');
  });

  it('sends filters and drops replies to older filters', async () => {
    const server = fakeServer(1000);
    const model = new RunsModel({ pageSize: 100, fetch: server.fetch });
    server.holdReplies();
    model.ensure(0, 10);
    model.setFilters({ name: 'train', status: 'ok' });
    server.release();
    await settle();
    server.release();
    await settle();
    const last = server.calls[server.calls.length - 1];
    assert.equal(last.filters.name, 'train');
    assert.equal(last.filters.status, 'ok');
    assert.equal(model.total, 3);
  });

  it('reports errors and the no-store message', async () => {
    const failing = new RunsModel({
      fetch: () => Promise.reject(new Error('The jupyter-artifacts server extension is not running'))
    });
    failing.ensure(0, 10);
    await settle();
    assert.match(failing.error ?? '', /server extension is not running/);
    const empty = new RunsModel({
      fetch: (_f, offset, limit) =>
        Promise.resolve({ runs: [], total: 0, limit, offset, store: null, message: 'No store yet' })
    });
    empty.ensure(0, 10);
    await settle();
    assert.equal(empty.message, 'No store yet');
  });

  it('keeps the checked runs in order and signals changes', () => {
    const model = new RunsModel({ fetch: fakeServer(10).fetch });
    let signals = 0;
    model.selectionChanged.connect(() => signals++);
    model.toggleSelected(row(2));
    model.toggleSelected(row(1));
    model.toggleSelected(row(2));
    assert.deepEqual(model.selected.map(r => r.id), ['id1']);
    assert.equal(signals, 3);
  });
});

describe('RunsModel filter expressions', () => {
  it('sends the expression and shows the server\'s message for a bad one', async () => {
    const calls: IRunFilters[] = [];
    const fetch = (filters: IRunFilters): Promise<IRunsPage> => {
      calls.push({ ...filters });
      if (filters.filter === 'metrics.acc >') {
        return Promise.reject(
          new Error('invalid filter at column 14: expected a quoted string or a number')
        );
      }
      return Promise.resolve({ runs: [row(0)], total: 1, limit: 50, offset: 0, store: '/s' });
    };
    const model = new RunsModel({ fetch });
    model.setFilters({ filter: 'metrics.acc >' });
    await settle();
    assert.equal(calls[calls.length - 1].filter, 'metrics.acc >');
    assert.match(model.error ?? '', /column 14/);
    model.setFilters({ filter: 'metrics.acc > 0.5' });
    await settle();
    assert.equal(model.error, null);
    assert.equal(model.total, 1);
  });
});

