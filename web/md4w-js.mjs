// node md4w-js.mjs IN.js OUT.js
// Turns binaryen's wasm2js output for md4w's md4w-small.wasm into the module md4w.js's
// initWasm() accepts instead of a WebAssembly.Module (its "unwasm" form: a `default(env)` that
// instantiates, and the exports as live bindings), for pages whose Content-Security-Policy
// forbids WebAssembly. md4w passes a pointer and a length as one i64 (a BigInt); wasm2js splits
// every i64 into two i32 (low, high), and returns the high half through setTempRet0, so each
// i64 is joined or split again here. No eval, no new Function.
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
let code = readFileSync(input, 'utf8');
code = code.replace(/^import \{ \w+ \} from 'env';\n/gm, '');
const tail = code.indexOf('var retasmFunc');
if (tail < 0 || !code.includes('function asmFunc(')) throw new Error('not wasm2js output: ' + input);
code = code.slice(0, tail) + `
let high = 0;
let e = null;
const join = (lo, hi) => BigInt(lo >>> 0) | (BigInt(hi >>> 0) << 32n);
export let memory;
export default function instantiate(env) {
  e = asmFunc({
    abort() { throw new Error('md4w: abort'); },
    setTempRet0: (h) => { high = h; },
    emitChunk: (lo, hi) => env.emitChunk(join(lo, hi)),
    emitCodeBlock: (a, b, c, d) => env.emitCodeBlock(join(a, b), join(c, d)),
  });
  memory = e.memory;
}
export function allocMem(n) { return join(e.allocMem(n), high); }
export function render(ptrLen, ...rest) {
  return join(e.render(Number(ptrLen & 0xffffffffn), Number(ptrLen >> 32n), ...rest), high);
}
`;
writeFileSync(output, code);
