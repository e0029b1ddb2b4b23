// The confab binary under test, named by CONFAB_BIN (CTest sets it). A missing binary fails
// the test file at once, rather than every spawn failing on its own (a `confab chat` that
// never started would leave its test waiting for output).
import { existsSync } from 'node:fs';

export const confab = process.env.CONFAB_BIN;
if (!confab) throw new Error('CONFAB_BIN must name the confab binary (CTest sets it)');
if (!existsSync(confab)) throw new Error(`CONFAB_BIN names ${confab}, which does not exist: build the confab target first`);
