/**
 * The sidebar's Related section following the cursor (src/extension/related.ts) in a plain Node
 * test, with the `vscode` values it uses from test/helpers/vscode-stub.ts and stand-ins for the
 * engine client, the controller and the sidebar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installVscodeStub } from './helpers/vscode-stub';
import { fakeEngineClient } from './helpers/fake-engine-client';

const stub = installVscodeStub();
// after the stub: the module requires 'vscode' as it loads
const { RelatedCode } = require('../src/extension/related') as typeof import('../src/extension/related');

test('the Related section looks up the function at the cursor once the engine runs, without a cursor move (it kept "Place the cursor in a function")', async () => {
  const asked: unknown[] = [];
  const engine = fakeEngineClient((params) => {
    asked.push(params);
    return { source: { name: 'parse_config', startLine: 1, endLine: 9 }, results: [], partial: false };
  });
  const shownRelated: unknown[] = [];
  const sidebar = { visible: true, onDidChangeVisibility: () => ({ dispose() {} }), relatedLoading() {}, showRelated: (answer: unknown) => void shownRelated.push(answer) };
  const controller = { onDidChange: () => ({ dispose() {} }), locate: () => ({ root: '/ws', path: 'src/config.py' }) };
  stub.editors.active = { document: { uri: { toString: () => 'file:///ws/src/config.py' } }, selection: { active: { line: 4 } } };
  const related = new RelatedCode(engine as never, controller as never, sidebar as never, {} as never);
  try {
    engine.setState('running');
    for (let waited = 0; shownRelated.length === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(asked, [{ root: '/ws', path: 'src/config.py', line: 5, top: 10 }]);
    assert.equal((shownRelated[0] as { source: { name: string } }).source.name, 'parse_config');
  } finally {
    related.dispose();
    stub.editors.active = undefined;
  }
});
