import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ESLint } from 'eslint';

/**
 * A file of src/ does one job: past 400 lines it is split (docs/how-it-works.md). ESLint
 * (`npm run lint`) refuses a longer one, and only in src/.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lines = (n: number) =>
  Array.from({ length: n }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';
const ruleIds = async (file: string, text: string) => {
  const [result] = await new ESLint({ cwd: root }).lintText(text, {
    filePath: path.join(root, file),
  });
  return result!.messages.map((m) => m.ruleId);
};

describe('the file-size rule', () => {
  it('refuses a file of src/ past 400 lines', async () => {
    expect(await ruleIds('src/domain/long.ts', lines(401))).to.include('max-lines');
  });

  it('takes 400 lines in src/, and a longer file outside it', async () => {
    expect(await ruleIds('src/domain/long.ts', lines(400))).to.deep.equal([]);
    expect(await ruleIds('test/unit/long.test.ts', lines(401))).to.deep.equal([]);
  });
});
