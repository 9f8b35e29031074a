#!/usr/bin/env node
// selftest.mjs - shows that check.mjs can fail: it must report every deliberate mistake in
// fixtures/bad/ at the right file and line, exit non-zero there, find nothing wrong in the real
// package, and catch mutations of copies of the real package (one mistake per copy).

import { runCheck } from './check.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.join(here, '..', 'SparseProp');
const bad = path.join(here, 'fixtures', 'bad');
let failures = 0;
let passes = 0;

function expect(cond, what) {
  if (cond) passes++;
  else {
    failures++;
    console.log(`selftest: FAIL: ${what}`);
  }
}

const has = (res, file, line, re) =>
  res.problems.some((p) => path.basename(p.file) === file && (line === null || p.line === line) && re.test(p.msg));

// 1. Every planted mistake is reported where it is.
const res = await runCheck({ dir: bad });
const planted = [
  ['Syntax.jl', 5, /syntax error/, 'syntax error'],
  ['Bad.jl', 9, /sp_step: 1 argument types, the C function takes 2/, 'too few argument types'],
  ['Bad.jl', 12, /sp_no_such_function: no such function/, 'unknown function'],
  ['Bad.jl', 15, /1 argument types but 2 arguments/, 'types and values disagree'],
  ['Bad.jl', 18, /sp_now: return type: Cint for a C double/, 'wrong return type'],
  ['Bad.jl', 21, /argument 2 \(channel\): Cdouble for a C uint32_t/, 'wrong argument type'],
  ['Bad.jl', 24, /trailing comma/, 'argument types not a tuple'],
  ['Bad.jl', 27, /@ccall of sp_voltage: 2 argument types, the C function takes 3/, '@ccall count'],
  ['Bad.jl', 30, /argument 2 \(v\): Ptr\{Cfloat\}/, 'wrong pointee'],
  ['Bad.jl', 33, /field neuron: UInt64 for a C uint32_t/, 'struct field type'],
  ['Bad.jl', 33, /Julia layout size 24 .* != C size 16/, 'struct layout'],
  ['Bad.jl', 43, /@enum Status: ERR_NOMEM = 3, but C SP_ERR_NOMEM = 2/, 'enum value'],
  ['Bad.jl', 40, /@enum Status: no member for C SP_ERR_UNSUPPORTED/, 'enum member missing'],
];
for (const [file, line, re, what] of planted) expect(has(res, file, line, re), `fixtures/bad: ${what} (${file}:${line})`);
const explained = res.problems.filter((p) => planted.some(([f, l]) => path.basename(p.file) === f && p.line === l) ||
  (path.basename(p.file) === 'Syntax.jl'));
expect(explained.length === res.problems.length,
  `fixtures/bad: unexpected reports: ${res.problems.filter((p) => !explained.includes(p)).map((p) => `${p.file}:${p.line}: ${p.msg}`).join(' | ')}`);

// 2. The command line exits non-zero on the fixtures and prints the summary.
const cli = spawnSync(process.execPath, [path.join(here, 'check.mjs'), '--dir', bad], { encoding: 'utf8' });
expect(cli.status === 1, `check.mjs on fixtures/bad exits 1 (got ${cli.status})`);
expect(/julia-check: 2 files, 8 ccalls checked, [1-9]\d* problems/.test(cli.stdout), 'summary line on fixtures/bad');

// 3. The real package is clean, wraps every header function, and its layouts were compared.
const good = await runCheck({ dir: pkg, requireAll: true });
expect(good.problems.length === 0, `real package clean: ${good.problems.map((p) => `${p.file}:${p.line}: ${p.msg}`).join(' | ')}`);
expect(good.ccalls > 0 && good.wrapped === good.headerFunctions, 'real package wraps every header function');
expect(/[1-9]\d* structs compared/.test(good.layoutNote), 'struct layouts compared');

// 4. Mutations of a copy of the real package, one at a time.
function mutate(file, from, to) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'julia-selftest-'));
  fs.cpSync(pkg, dir, { recursive: true });
  const p = path.join(dir, file);
  const src = fs.readFileSync(p, 'utf8');
  if (!src.includes(from)) throw new Error(`mutation anchor not found in ${file}: ${from}`);
  fs.writeFileSync(p, src.replace(from, to));
  return dir;
}
const mutations = [
  ['src/capi.jl', 'ccall((:sp_rewind, libsparseprop()), sp_status, (Ptr{Cvoid},), net)',
    'ccall((:sp_rewind, libsparseprop()), sp_status, (Ptr{Cvoid}), net)', /trailing comma/, 'lost trailing comma'],
  ['src/capi.jl', '(Ptr{Cvoid}, Csize_t), net, max_spikes)', '(Ptr{Cvoid}, Cint), net, max_spikes)',
    /sp_record: argument 2 \(max_spikes\): Cint for a C uint64_t/, 'size_t passed as Cint'],
  ['src/capi.jl', '(Ptr{Cvoid}, UInt32, Cdouble),\n          net, channel, t)', '(Ptr{Cvoid}, Cdouble),\n          net, channel, t)',
    /sp_input: 2 argument types but 3 arguments/, 'argument type dropped'],
  ['src/capi.jl', '    model::UInt32\n', '    model::UInt64\n', /sp_network_desc: Julia layout/, 'desc field widened'],
  ['src/capi.jl', '    input_capacity::UInt32\n    allocator', '    allocator', /sp_network_desc: fields/, 'desc field dropped'],
  ['src/capi.jl', '(:sp_zero_grads, libsparseprop())', '(:sp_zero_grad, libsparseprop())',
    /sp_zero_grad: no such function|sp_zero_grads has no ccall/, 'misspelt function'],
  ['src/SparseProp.jl', '    ERR_STATE = 4\n', '    ERR_STATE = 5\n', /ERR_STATE = 5, but C SP_ERR_STATE = 4/, 'status value'],
  ['src/SparseProp.jl', 'v0 = 4)', 'v0 = 5)', /const _PARAMS: v0 = 5, but C SP_PARAM_V0 = 4/, 'parameter code'],
  ['src/SparseProp.jl', '    return (t = s.t, neuron = Int(s.neuron) + 1)\nend', '    return (t = s.t, neuron = Int(s.neuron) + 1)\n',
    /syntax error/, 'missing end'],
  ['src/SparseProp.jl', 'function _with_desc(body; model', 'function _with_desc(f; model',
    /method _with_desc: argument name f not unique/, 'a positional and a keyword argument of one name'],
  ['test/runtests.jl', 'c = SP.load(SP.save(cus))', 'c = load(SP.save(cus))',
    /load is not exported by the package: call it qualified/, 'an unexported function called unqualified in a test'],
  ['src/SparseProp.jl', 'p == C_NULL ? "" : unsafe_string(p)', 'p == C_NULL ? "" : unsafe_strng(p)',
    /unsafe_strng is not defined/, 'a misspelt Base function'],
  ['test/runtests.jl', 'using SparseArrays\n', '\n', /sparse is not defined/, 'a standard library not loaded'],
];
for (const [file, from, to, re, what] of mutations) {
  const dir = mutate(file, from, to);
  try {
    const r = await runCheck({ dir, requireAll: true });
    expect(r.problems.some((p) => re.test(p.msg)), `mutation "${what}" caught (got: ${r.problems.map((p) => p.msg).join(' | ') || 'nothing'})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`julia-check selftest: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
