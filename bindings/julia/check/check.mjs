#!/usr/bin/env node
// check.mjs - checks the Julia binding without Julia: parses every .jl file with tree-sitter-julia
// (web-tree-sitter), then checks every ccall / @ccall against the preprocessed C header (name,
// argument counts, argument and return types) and every Julia struct that mirrors a C struct
// against offsetof()/sizeof() from a compiled C program.
//
// Usage: node check.mjs [--dir DIR] [--header FILE] [--cc CC] [--require-all] [--no-layout]
//   --dir          package to check (default: ../SparseProp)
//   --header       C header (default: ../../../include/sparseprop/sparseprop.h)
//   --require-all  also fail when a header function (sp_*) has no ccall
//   --no-layout    skip the struct layout comparison (needs a C compiler that can run)
// Exit status: 0 when no problem was found, 1 otherwise, 2 when the check itself could not run.

import { Parser, Language } from 'web-tree-sitter';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------
// Julia parsing

let parserPromise = null;
export function loadParser() {
  if (!parserPromise) {
    parserPromise = (async () => {
      await Parser.init();
      const wasm = require.resolve('tree-sitter-julia/tree-sitter-julia.wasm');
      const julia = await Language.load(wasm);
      const parser = new Parser();
      parser.setLanguage(julia);
      return parser;
    })();
  }
  return parserPromise;
}

function walk(node, visit) {
  visit(node);
  for (let i = 0; i < node.childCount; i++) walk(node.child(i), visit);
}

const isComment = (n) => n.type === 'line_comment' || n.type === 'block_comment';
const named = (n) => n.namedChildren.filter((c) => c && !isComment(c));
const lineOf = (n) => n.startPosition.row + 1;

function listJlFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listJlFiles(p));
    else if (e.isFile() && e.name.endsWith('.jl')) out.push(p);
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// C header: preprocess, tokenise, collect typedefs, structs, enums and function declarations.

function preprocess(cc, header) {
  return execFileSync(cc, ['-E', '-P', '-x', 'c', header], { encoding: 'utf8' });
}

function tokenize(src) {
  const re = /\s+|\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[A-Za-z_]\w*|\d[\w.]*|\.\.\.|->|[{}()\[\];,*=<>+\-\/&|^!~?:.%#]/gy;
  const toks = [];
  let m;
  while (re.lastIndex < src.length && (m = re.exec(src)) !== null) {
    const t = m[0];
    if (/^\s/.test(t) || t.startsWith('/*') || t.startsWith('//')) continue;
    toks.push(t);
  }
  if (re.lastIndex < src.length) throw new Error(`cannot tokenise header near: ${src.slice(re.lastIndex, re.lastIndex + 40)}`);
  return toks;
}

// Drops GNU extensions that carry no type information for us.
function stripExtensions(toks) {
  const out = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t === '__attribute__' || t === '__asm__' || t === '__asm' || t === '__declspec') {
      let j = i + 1;
      if (toks[j] === '(') {
        let depth = 0;
        for (; j < toks.length; j++) {
          if (toks[j] === '(') depth++;
          else if (toks[j] === ')' && --depth === 0) break;
        }
      }
      i = j;
      continue;
    }
    if (t === '__extension__' || t === '__restrict' || t === 'restrict' || t === '__inline' ||
        t === 'extern' || t === 'static' || t === 'inline') continue;
    out.push(t);
  }
  return out;
}

function splitTop(toks, sep) {
  const parts = [];
  let cur = [];
  let depth = 0;
  for (const t of toks) {
    if (t === '(' || t === '{' || t === '[') depth++;
    else if (t === ')' || t === '}' || t === ']') depth--;
    if (t === sep && depth === 0) {
      parts.push(cur);
      cur = [];
    } else cur.push(t);
  }
  if (cur.length) parts.push(cur);
  return parts;
}

const BUILTIN_WORDS = new Set(['void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed',
  'unsigned', '_Bool']);
const QUALIFIERS = new Set(['const', 'volatile']);

// A declaration "type tokens + optional name" -> { base, ptr, name, fnptr }.
function parseDeclarator(toks) {
  // Function pointer: ret ( * name ) ( args )
  const star = toks.findIndex((t, i) => t === '(' && toks[i + 1] === '*');
  if (star >= 0) {
    const name = /^[A-Za-z_]\w*$/.test(toks[star + 2]) ? toks[star + 2] : null;
    return { base: 'fnptr', ptr: 0, name, fnptr: true };
  }
  let ptr = 0;
  const words = [];
  for (const t of toks) {
    if (t === '*') ptr++;
    else if (QUALIFIERS.has(t)) continue;
    else if (/^[A-Za-z_]\w*$/.test(t)) words.push(t);
  }
  let name = null;
  let typeWords = words;
  if (words.length >= 2 && !BUILTIN_WORDS.has(words[words.length - 1]) &&
      !(words.length === 2 && (words[0] === 'struct' || words[0] === 'enum' || words[0] === 'union'))) {
    name = words[words.length - 1];
    typeWords = words.slice(0, -1);
  }
  let base = typeWords.join(' ');
  if (typeWords[0] === 'struct' || typeWords[0] === 'enum' || typeWords[0] === 'union') base = typeWords[1];
  return { base, ptr, name, fnptr: false };
}

function builtinPrim(base) {
  const w = base.split(' ');
  if (!w.every((x) => BUILTIN_WORDS.has(x))) return null;
  if (w.includes('void')) return 'void';
  if (w.includes('_Bool')) return 'bool';
  if (w.includes('double')) return w.includes('long') ? 'f128' : 'f64';
  if (w.includes('float')) return 'f32';
  const uns = w.includes('unsigned');
  if (w.includes('char')) return w.includes('unsigned') ? 'u8' : w.includes('signed') ? 'i8' : 'char';
  if (w.includes('short')) return uns ? 'u16' : 'i16';
  if (w.includes('long')) return uns ? 'u64' : 'i64'; // LP64
  return uns ? 'u32' : 'i32';
}

export function parseHeader(text) {
  const toks = stripExtensions(tokenize(text));
  const typedefs = new Map(); // name -> declarator of the aliased type
  const structs = new Map(); // name -> [{ name, base, ptr, fnptr }]
  const enums = new Set();
  const enumValues = new Map(); // enum name -> Map(constant -> value)
  const opaque = new Set();
  const functions = new Map(); // name -> { ret, params: [declarator] }
  const structTag = new Map(); // struct tag -> typedef name

  const parseBody = (body) => {
    const fields = [];
    for (const member of splitTop(body, ';')) {
      if (!member.length) continue;
      const d = parseDeclarator(member);
      fields.push(d);
    }
    return fields;
  };

  const parseEnumBody = (body) => {
    const values = new Map();
    let next = 0;
    for (const item of splitTop(body, ',')) {
      if (!item.length) continue;
      if (item[1] === '=') {
        const v = Number(item.slice(2).join(''));
        next = Number.isInteger(v) ? v : NaN;
      }
      values.set(item[0], next);
      next += 1;
    }
    return values;
  };

  for (const decl of splitTop(toks, ';')) {
    if (!decl.length) continue;
    if (decl[0] === 'typedef') {
      const rest = decl.slice(1);
      const brace = rest.indexOf('{');
      if ((rest[0] === 'struct' || rest[0] === 'union' || rest[0] === 'enum') && brace >= 0) {
        let depth = 0;
        let end = brace;
        for (; end < rest.length; end++) {
          if (rest[end] === '{') depth++;
          else if (rest[end] === '}' && --depth === 0) break;
        }
        const name = rest[end + 1];
        if (rest[0] === 'enum') {
          enums.add(name);
          enumValues.set(name, parseEnumBody(rest.slice(brace + 1, end)));
        }
        else structs.set(name, parseBody(rest.slice(brace + 1, end)));
        if (brace === 2) structTag.set(rest[1], name);
      } else if ((rest[0] === 'struct' || rest[0] === 'union') && rest.length === 3) {
        // typedef struct tag name; -- opaque unless a body for the tag appears
        typedefs.set(rest[2], { base: rest[1], ptr: 0, tag: true });
        opaque.add(rest[2]);
      } else if (rest.includes('(')) {
        const d = parseDeclarator(rest);
        if (d.name) typedefs.set(d.name, { base: 'fnptr', ptr: 0 });
      } else {
        const d = parseDeclarator(rest);
        if (d.name) typedefs.set(d.name, { base: d.base, ptr: d.ptr });
      }
      continue;
    }
    // enum tag { ... }; -- named constants of an integer typedef (typedef int32_t sp_status)
    if (decl[0] === 'enum' && decl.includes('{')) {
      const brace = decl.indexOf('{');
      const name = brace === 2 ? decl[1] : `enum@${enumValues.size}`;
      enumValues.set(name, parseEnumBody(decl.slice(brace + 1, decl.lastIndexOf('}'))));
      continue;
    }
    if (decl[0] === 'struct' && decl.includes('{')) {
      const brace = decl.indexOf('{');
      structs.set(decl[1], parseBody(decl.slice(brace + 1, decl.lastIndexOf('}'))));
      continue;
    }
    const open = decl.indexOf('(');
    if (open > 0 && /^[A-Za-z_]\w*$/.test(decl[open - 1]) && !decl.includes('{')) {
      const name = decl[open - 1];
      let depth = 0;
      let close = open;
      for (; close < decl.length; close++) {
        if (decl[close] === '(') depth++;
        else if (decl[close] === ')' && --depth === 0) break;
      }
      const inner = decl.slice(open + 1, close);
      let params = splitTop(inner, ',').filter((p) => p.length);
      if (params.length === 1 && params[0].length === 1 && params[0][0] === 'void') params = [];
      const ret = parseDeclarator(decl.slice(0, open - 1));
      functions.set(name, { ret, params: params.map(parseDeclarator), variadic: inner.includes('...') });
    }
  }
  for (const [tag, name] of structTag) if (structs.has(name)) opaque.delete(name);
  for (const name of [...opaque]) {
    const t = typedefs.get(name);
    if (t && structs.has(t.base)) opaque.delete(name);
  }
  return { typedefs, structs, enums, enumValues, opaque, functions };
}

// Resolves a C base type name to { kind: 'prim'|'enum'|'struct'|'opaque'|'fnptr', prim?, name?, ptr }.
function resolveC(h, base, ptr = 0) {
  for (let guard = 0; guard < 50; guard++) {
    if (base === 'fnptr') return { kind: 'fnptr', ptr };
    const p = builtinPrim(base);
    if (p) return { kind: 'prim', prim: p, ptr };
    if (h.enums.has(base)) return { kind: 'enum', name: base, ptr };
    if (h.structs.has(base)) return { kind: 'struct', name: base, ptr };
    if (h.opaque.has(base)) return { kind: 'opaque', name: base, ptr };
    const t = h.typedefs.get(base);
    if (!t) return { kind: 'unknown', name: base, ptr };
    if (t.tag) {
      if (h.structs.has(t.base)) return { kind: 'struct', name: t.base, ptr };
      return { kind: 'opaque', name: base, ptr };
    }
    ptr += t.ptr;
    base = t.base;
  }
  return { kind: 'unknown', name: base, ptr };
}

function cTypeString(d) {
  return d.fnptr ? 'function pointer' : d.base + ' ' + '*'.repeat(d.ptr);
}

// ---------------------------------------------------------------------------------------------
// Julia types

const JL_PRIM = {
  Cdouble: 'f64', Float64: 'f64', Cfloat: 'f32', Float32: 'f32',
  Cint: 'i32', Int32: 'i32', Cuint: 'u32', UInt32: 'u32',
  Clonglong: 'i64', Int64: 'i64', Int: 'i64', Clong: 'i64', Cssize_t: 'i64', Cptrdiff_t: 'i64',
  Culonglong: 'u64', UInt64: 'u64', UInt: 'u64', Culong: 'u64', Csize_t: 'u64',
  Cshort: 'i16', Int16: 'i16', Cushort: 'u16', UInt16: 'u16',
  Cchar: 'char', Int8: 'i8', Cuchar: 'u8', UInt8: 'u8', Bool: 'bool',
  Cvoid: 'void', Nothing: 'void',
};
const PRIM_SIZE = { f64: 8, f32: 4, i64: 8, u64: 8, i32: 4, u32: 4, i16: 2, u16: 2, i8: 1, u8: 1, char: 1, bool: 1 };

// A Julia type expression node -> { name, params: [node] } (or null).
function jlTypeHead(node) {
  if (!node) return null;
  if (node.type === 'identifier') return { name: node.text, params: [] };
  if (node.type === 'field_expression') return { name: node.text, params: [] }; // Base.Cint
  if (node.type === 'parametrized_type_expression') {
    const kids = named(node);
    const curly = kids.find((k) => k.type === 'curly_expression');
    return { name: kids[0].text, params: curly ? named(curly) : [] };
  }
  if (node.type === 'parenthesized_expression') return jlTypeHead(named(node)[0]);
  return null;
}

// Julia-side declarations the type checks need: const aliases, @enum bases, struct fields.
function collectJulia(trees) {
  const aliases = new Map();
  const enumBase = new Map();
  const structs = new Map(); // name -> { fields: [{ name, type }], file, line }
  const enums = []; // @enum declarations: { name, members: [{ name, value, line }], file, line }
  const tables = []; // const NamedTuples of integers: { name, entries: [{ name, value }], file, line }
  for (const { file, tree } of trees) {
    walk(tree.rootNode, (n) => {
      if (n.type === 'const_statement') {
        const a = named(n)[0];
        if (a && a.type === 'assignment') {
          const [lhs, , rhs] = [a.namedChildren[0], null, a.namedChildren[a.namedChildren.length - 1]];
          if (lhs && lhs.type === 'identifier' && rhs && jlTypeHead(rhs)) aliases.set(lhs.text, rhs);
          // const T = (key = integer, ...): a table of C enum values, checked below.
          if (lhs && lhs.type === 'identifier' && rhs && rhs.type === 'tuple_expression') {
            const entries = [];
            for (const e of named(rhs)) {
              if (!['assignment', 'named_argument', 'named_field'].includes(e.type)) { entries.length = 0; break; }
              const k = e.namedChildren[0];
              const v = Number(e.namedChildren[e.namedChildren.length - 1].text);
              if (!k || k.type !== 'identifier' || !Number.isInteger(v)) { entries.length = 0; break; }
              entries.push({ name: k.text, value: v });
            }
            if (entries.length) tables.push({ name: lhs.text, entries, file, line: lineOf(n) });
          }
        }
      } else if (n.type === 'macrocall_expression') {
        const mac = named(n)[0];
        if (mac && mac.text === '@enum') {
          const args = named(named(n)[1] || n);
          const head = args[0];
          let ename = null;
          if (head && head.type === 'typed_expression') {
            const [en, base] = named(head);
            enumBase.set(en.text, base);
            ename = en.text;
          } else if (head && head.type === 'identifier') {
            enumBase.set(head.text, null); // Int32 by default
            ename = head.text;
          }
          // Members: `A = 1` or `A` (implicit next value), inline or in a begin ... end block.
          const items = [];
          for (const a of args.slice(1)) {
            if (a.type === 'compound_statement') items.push(...named(a));
            else items.push(a);
          }
          const members = [];
          let next = 0;
          for (const it of items) {
            if (it.type === 'assignment') {
              const lhs = it.namedChildren[0];
              const rhs = it.namedChildren[it.namedChildren.length - 1];
              const v = Number(rhs.text);
              next = Number.isInteger(v) ? v : NaN;
              members.push({ name: lhs.text, value: next, line: lineOf(it) });
            } else if (it.type === 'identifier') {
              members.push({ name: it.text, value: next, line: lineOf(it) });
            }
            next += 1;
          }
          if (ename) enums.push({ name: ename, members, file, line: lineOf(n) });
        }
      } else if (n.type === 'struct_definition') {
        const kids = named(n);
        const head = kids.find((k) => k.type === 'type_head');
        if (!head) return;
        const nameNode = named(head)[0];
        const fields = [];
        for (const k of kids) {
          if (k.type === 'typed_expression') {
            const [fname, ftype] = named(k);
            fields.push({ name: fname.text, type: ftype });
          } else if (k.type === 'identifier') {
            fields.push({ name: k.text, type: null });
          }
        }
        if (nameNode && nameNode.type === 'identifier') {
          structs.set(nameNode.text, { fields, file, line: lineOf(n) });
        }
      }
    });
  }
  return { aliases, enumBase, structs, enums, tables };
}

function resolveJl(J, node, depth = 0) {
  let head = jlTypeHead(node);
  for (let i = 0; head && i < 20 && head.params.length === 0 && J.aliases.has(head.name); i++) {
    node = J.aliases.get(head.name);
    head = jlTypeHead(node);
  }
  return head;
}

// Does Julia type node `jl` fit C declarator `c` (already resolved with resolveC)?
function matches(h, J, jl, rc) {
  const head = resolveJl(J, jl);
  if (!head) return `cannot read the Julia type ${jl ? jl.text : '?'}`;
  const name = head.name.replace(/^(Base|Core)\./, '');
  if (rc.ptr > 0) {
    if (name === 'Cstring' || name === 'Cwstring') {
      return rc.ptr === 1 && rc.kind === 'prim' && ['char', 'i8', 'u8'].includes(rc.prim) ? null
        : `Cstring for a C ${describe(rc)}`;
    }
    if (name === 'Ptr' || name === 'Ref') {
      if (head.params.length !== 1) return `${name} without a pointee type`;
      const inner = { ...rc, ptr: rc.ptr - 1 };
      const ph = resolveJl(J, head.params[0]);
      const pn = ph ? ph.name.replace(/^(Base|Core)\./, '') : '';
      if (pn === 'Cvoid' || pn === 'Nothing') {
        // An untyped pointer stands for void * and for opaque handles only.
        if (inner.ptr === 0 && (inner.kind === 'opaque' || (inner.kind === 'prim' && inner.prim === 'void'))) return null;
        return `${jl.text} for a C ${describe(rc)} (give the pointee type)`;
      }
      if (inner.ptr === 0 && inner.kind === 'prim' && inner.prim === 'void') return null; // void * takes anything
      const sub = matches(h, J, head.params[0], inner);
      return sub ? `${jl.text} for a C ${describe(rc)}: ${sub}` : null;
    }
    return `${jl.text} for a C ${describe(rc)}`;
  }
  switch (rc.kind) {
    case 'prim': {
      const p = JL_PRIM[name];
      if (!p) return `${jl.text} for a C ${describe(rc)}`;
      if (p === rc.prim) return null;
      if (rc.prim === 'char' && (p === 'i8' || p === 'u8')) return null;
      if (p === 'char' && (rc.prim === 'i8' || rc.prim === 'u8')) return null;
      return `${jl.text} for a C ${describe(rc)}`;
    }
    case 'enum': {
      const p = JL_PRIM[name];
      if (p === 'i32' || p === 'u32') return null;
      if (J.enumBase.has(name)) {
        const b = J.enumBase.get(name);
        const bp = b ? JL_PRIM[(resolveJl(J, b) || {}).name] : 'i32';
        return bp === 'i32' || bp === 'u32' ? null : `@enum ${name} is not 32-bit for C enum ${rc.name}`;
      }
      return `${jl.text} for C enum ${rc.name} (use Cint or a 32-bit @enum)`;
    }
    case 'struct':
      return name === rc.name ? null : `${jl.text} for C struct ${rc.name}`;
    case 'fnptr':
      return null; // checked by the Ptr branch when declared as a pointer; a by-value fnptr is rare
    case 'opaque':
      return `${jl.text} for opaque C type ${rc.name} by value`;
    default:
      return `unknown C type ${rc.name}`;
  }
}

const C_NAME = { f64: 'double', f32: 'float', i64: 'int64_t', u64: 'uint64_t', i32: 'int32_t',
  u32: 'uint32_t', i16: 'int16_t', u16: 'uint16_t', i8: 'int8_t', u8: 'uint8_t', char: 'char',
  bool: '_Bool', void: 'void', f128: 'long double' };

function describe(rc) {
  const base = rc.kind === 'prim' ? C_NAME[rc.prim] : rc.kind === 'fnptr' ? 'function pointer' : rc.name;
  return base + (rc.ptr ? ' ' + '*'.repeat(rc.ptr) : '');
}

// Size and alignment of a Julia field type, following C rules (isbits structs are inlined).
function jlLayoutOf(J, node, seen = new Set()) {
  const head = resolveJl(J, node);
  if (!head) return null;
  const name = head.name.replace(/^(Base|Core)\./, '');
  if (name === 'Ptr' || name === 'Ref' || name === 'Cstring') return { size: 8, align: 8 };
  if (JL_PRIM[name] && JL_PRIM[name] !== 'void') {
    const s = PRIM_SIZE[JL_PRIM[name]];
    return { size: s, align: s };
  }
  if (name === 'NTuple' && head.params.length === 2) {
    const n = Number(head.params[0].text);
    const el = jlLayoutOf(J, head.params[1], seen);
    return el && Number.isInteger(n) ? { size: n * el.size, align: el.align } : null;
  }
  if (J.enumBase.has(name)) {
    const b = J.enumBase.get(name);
    return b ? jlLayoutOf(J, b, seen) : { size: 4, align: 4 };
  }
  const st = J.structs.get(name);
  if (st && !seen.has(name)) {
    seen.add(name);
    const l = jlStructLayout(J, st, seen);
    seen.delete(name);
    return l ? { size: l.size, align: l.align } : null;
  }
  return null;
}

function jlStructLayout(J, st, seen = new Set()) {
  let off = 0;
  let align = 1;
  const offsets = [];
  for (const f of st.fields) {
    const l = f.type ? jlLayoutOf(J, f.type, seen) : null;
    if (!l) return null;
    off = Math.ceil(off / l.align) * l.align;
    offsets.push(off);
    off += l.size;
    align = Math.max(align, l.align);
  }
  return { offsets, size: Math.ceil(off / align) * align, align };
}

// offsetof()/sizeof() of the given C structs, from a compiled program.
function cLayouts(cc, header, structs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'julia-check-'));
  try {
    const lines = [`#include "${path.resolve(header)}"`, '#include <stddef.h>', '#include <stdio.h>',
      'int main(void) {'];
    for (const [name, fields] of structs) {
      lines.push(`  printf("%s size %zu\\n", "${name}", sizeof(${name}));`);
      for (const f of fields) {
        lines.push(`  printf("%s %s %zu\\n", "${name}", "${f.name}", offsetof(${name}, ${f.name}));`);
      }
    }
    lines.push('  return 0;', '}', '');
    const src = path.join(dir, 'layout.c');
    const exe = path.join(dir, 'layout');
    fs.writeFileSync(src, lines.join('\n'));
    execFileSync(cc, ['-o', exe, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    const out = execFileSync(exe, { encoding: 'utf8' });
    const res = new Map();
    for (const line of out.trim().split('\n')) {
      const [s, f, v] = line.split(' ');
      if (!res.has(s)) res.set(s, { size: 0, offsets: new Map() });
      if (f === 'size') res.get(s).size = Number(v);
      else res.get(s).offsets.set(f, Number(v));
    }
    return res;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Finding ccalls

const CALLCONVS = new Set(['cdecl', 'stdcall', 'fastcall', 'thiscall', 'llvmcall']);

// -> { line, name|null, types: [node], values: count, ret: node|null, problems: [] }
function readCcall(n) {
  const problems = [];
  const args = named(n.namedChildren.find((c) => c.type === 'argument_list') || n);
  const call = { line: lineOf(n), name: null, types: [], nvalues: 0, ret: null, problems, form: 'ccall' };
  if (args.length < 3) {
    problems.push(`ccall needs a function, a return type and an argument type tuple`);
    return call;
  }
  const fspec = args[0];
  const fname = (x) => {
    if (!x) return null;
    if (x.type === 'quote_expression') return named(x)[0]?.text ?? null;
    if (x.type === 'string_literal') return x.text.replace(/^"|"$/g, '');
    return null;
  };
  if (fspec.type === 'tuple_expression') call.name = fname(named(fspec)[0]);
  else call.name = fname(fspec);
  if (!call.name) problems.push(`cannot read the C function name from ${fspec.text}`);
  let i = 1;
  if (args[i].type === 'identifier' && CALLCONVS.has(args[i].text)) i++;
  call.ret = args[i];
  const tup = args[i + 1];
  if (!tup || tup.type !== 'tuple_expression') {
    const hint = tup && tup.type === 'parenthesized_expression' ? ' (a 1-tuple needs a trailing comma)' : '';
    problems.push(`argument types must be a tuple literal, got ${tup ? tup.text : 'nothing'}${hint}`);
  } else {
    call.types = named(tup);
  }
  const values = args.slice(i + 2);
  for (const v of values) {
    if (v.type === 'splat_expression') problems.push(`splatted argument ${v.text}: count unknown`);
    if (v.type === 'named_argument') problems.push(`keyword argument ${v.text} in ccall`);
  }
  call.nvalues = values.length;
  return call;
}

function readAtCcall(n) {
  const problems = [];
  const call = { line: lineOf(n), name: null, types: [], nvalues: 0, ret: null, problems, form: '@ccall' };
  const list = n.namedChildren.find((c) => c.type === 'macro_argument_list' || c.type === 'argument_list');
  const body = list ? named(list)[0] : null;
  if (!body || body.type !== 'typed_expression') {
    problems.push('@ccall needs `f(args...)::ReturnType`');
    return call;
  }
  const [callee, ret] = named(body);
  call.ret = ret;
  if (!callee || callee.type !== 'call_expression') {
    problems.push(`@ccall: cannot read the call in ${body.text}`);
    return call;
  }
  const target = named(callee)[0];
  if (target.type === 'identifier') call.name = target.text;
  else if (target.type === 'field_expression') {
    const parts = named(target);
    call.name = parts[parts.length - 1].text;
  } else if (target.type === 'string_literal') call.name = target.text.replace(/^"|"$/g, '');
  if (!call.name) problems.push(`@ccall: cannot read the C function name from ${target.text}`);
  const alist = callee.namedChildren.find((c) => c.type === 'argument_list');
  const argNodes = alist ? named(alist) : [];
  if (alist && alist.children.some((c) => c.type === ';')) problems.push('@ccall: variadic arguments');
  for (const a of argNodes) {
    if (a.type === 'typed_expression') call.types.push(named(a)[1]);
    else problems.push(`@ccall argument ${a.text} has no ::Type`);
  }
  call.nvalues = argNodes.length;
  return call;
}

// ---------------------------------------------------------------------------------------------
// Method definitions: `function f(...) ... end` and `f(...) = ...` (with `where` clauses and
// return types), their names (null for a callable object or an anonymous function) and the
// names of their arguments.

const isTestFile = (dir, file) => path.relative(dir, file).split(path.sep).includes('test');

// The call_expression of a signature: under `where` clauses and a return type annotation.
function signatureCall(n) {
  while (n && (n.type === 'where_expression' || n.type === 'typed_expression')) n = named(n)[0];
  return n && n.type === 'call_expression' ? n : null;
}

// The name one argument binds: x, x::T, x = v, x::T = v, x..., or null (::T, a destructuring).
function argumentName(a) {
  if (a.type === 'named_argument' || a.type === 'splat_expression') a = named(a)[0];
  if (a && a.type === 'typed_expression') a = named(a)[0];
  return a && a.type === 'identifier' ? a.text : null;
}

function methodDefinitions(root) {
  const out = [];
  walk(root, (n) => {
    let call = null;
    if (n.type === 'function_definition') {
      const sig = named(n).find((c) => c.type === 'signature');
      call = sig ? signatureCall(named(sig)[0]) : null;
    } else if (n.type === 'assignment') {
      call = signatureCall(named(n)[0]);
    }
    if (!call) return;
    const [callee, args] = named(call);
    if (!args || args.type !== 'argument_list') return;
    const params = [];
    for (const a of named(args)) {
      const name = argumentName(a);
      if (name) params.push({ name, line: lineOf(a) });
    }
    out.push({ name: callee && callee.type === 'identifier' ? callee.text : null, params });
  });
  return out;
}

// The names a file defines at any level: functions and methods, structs and abstract types,
// constants and globals, @enum types and members, @deprecate'd names, macros.
function definedNames(root) {
  const out = new Set(methodDefinitions(root).map((d) => d.name).filter(Boolean));
  const typeName = (head) => {
    let n = head;
    while (n && n.type !== 'identifier') n = named(n)[0];
    return n ? n.text : null;
  };
  walk(root, (n) => {
    if (n.type === 'struct_definition' || n.type === 'abstract_definition' || n.type === 'primitive_definition') {
      const head = named(n).find((c) => c.type === 'type_head');
      const name = head && typeName(head);
      if (name) out.add(name);
    } else if (n.type === 'macrocall_expression') {
      const [m, args] = named(n);
      const first = args && named(args)[0];
      if (m && first && m.text === '@enum') out.add(typeName(first));
      if (m && first && m.text === '@deprecate' && first.type === 'call_expression') out.add(typeName(first));
    }
  });
  for (const b of boundNames(root, true)) out.add(b);
  return out;
}

// The names bound in a file: the left sides of assignments (plain, typed or tuples), method
// and anonymous-function arguments, for, let, do and catch variables. topOnly: only the
// assignments outside every function (constants and globals).
function boundNames(root, topOnly = false) {
  const out = new Set();
  const addTarget = (t) => {
    if (!t) return;
    if (t.type === 'identifier') out.add(t.text);
    else if (t.type === 'typed_expression') addTarget(named(t)[0]);
    else if (t.type === 'open_tuple' || t.type === 'tuple_expression' || t.type === 'argument_list') named(t).forEach(addTarget);
    else if (t.type === 'named_argument' || t.type === 'splat_expression') addTarget(named(t)[0]);
  };
  const visit = (n, inFunction) => {
    if (n.type === 'assignment' && (!topOnly || !inFunction)) addTarget(named(n)[0]);
    if (!topOnly) {
      if (n.type === 'arrow_function_expression' || n.type === 'for_binding' || n.type === 'let_binding') addTarget(named(n)[0]);
      else if (n.type === 'do_clause' && named(n)[0]?.type === 'argument_list') addTarget(named(n)[0]);
      else if (n.type === 'catch_clause' && named(n)[0]?.type === 'identifier') out.add(named(n)[0].text);
    }
    const fn = inFunction || n.type === 'function_definition' || n.type === 'arrow_function_expression' ||
      (n.type === 'assignment' && signatureCall(named(n)[0]) !== null);
    for (let i = 0; i < n.childCount; i++) visit(n.child(i), fn);
  };
  visit(root, false);
  if (!topOnly) for (const d of methodDefinitions(root)) d.params.forEach((p) => out.add(p.name));
  return out;
}

// julia-names.txt: sections [Module] of whitespace-separated names, # comments.
function readNameList(file) {
  const out = new Map([['Core', []], ['Base', []]]);
  let section = null;
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^\[(\w+)\]$/.exec(line);
    if (m) {
      section = m[1];
      if (!out.has(section)) out.set(section, []);
    } else if (line) {
      if (!section) throw new Error(`${file}: names before the first [section]`);
      out.get(section).push(...line.split(/\s+/));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The check

export async function runCheck(opts = {}) {
  const dir = path.resolve(opts.dir ?? path.join(here, '..', 'SparseProp'));
  const header = path.resolve(opts.header ?? path.join(here, '..', '..', '..', 'include', 'sparseprop', 'sparseprop.h'));
  const cc = opts.cc ?? process.env.CC ?? 'cc';
  const prefix = opts.prefix ?? 'sp_';
  const problems = [];
  const report = (file, line, msg) => problems.push({ file: path.relative(process.cwd(), file) || file, line, msg });

  const parser = await loadParser();
  const files = listJlFiles(dir);
  if (!files.length) report(dir, 0, 'no .jl files found');
  const trees = [];
  for (const file of files) {
    const tree = parser.parse(fs.readFileSync(file, 'utf8'));
    trees.push({ file, tree });
    walk(tree.rootNode, (n) => {
      if (n.type === 'ERROR' || n.isError) report(file, lineOf(n), `syntax error near \`${n.text.slice(0, 40).split('\n')[0]}\``);
      else if (n.isMissing) report(file, lineOf(n), `syntax error: missing \`${n.type}\``);
    });
  }

  const h = parseHeader(preprocess(cc, header));
  const J = collectJulia(trees);

  let nccalls = 0;
  const wrapped = new Set();
  for (const { file, tree } of trees) {
    const calls = [];
    walk(tree.rootNode, (n) => {
      if (n.type === 'call_expression') {
        const f = named(n)[0];
        if (f && f.type === 'identifier' && f.text === 'ccall') calls.push(readCcall(n));
      } else if (n.type === 'macrocall_expression') {
        const m = named(n)[0];
        if (m && m.type === 'macro_identifier' && m.text === '@ccall') calls.push(readAtCcall(n));
      }
    });
    for (const c of calls) {
      nccalls++;
      for (const p of c.problems) report(file, c.line, p);
      if (!c.name) continue;
      const fn = h.functions.get(c.name);
      if (!fn) {
        report(file, c.line, `${c.form} of ${c.name}: no such function in ${path.basename(header)}`);
        continue;
      }
      wrapped.add(c.name);
      if (c.form === 'ccall' && c.problems.length === 0 && c.types.length !== c.nvalues) {
        report(file, c.line, `ccall of ${c.name}: ${c.types.length} argument types but ${c.nvalues} arguments`);
      }
      if (c.types.length !== fn.params.length) {
        report(file, c.line, `${c.form} of ${c.name}: ${c.types.length} argument types, the C function takes ${fn.params.length}`);
        continue;
      }
      fn.params.forEach((p, k) => {
        const rc = p.fnptr ? { kind: 'fnptr', ptr: 0 } : resolveC(h, p.base, p.ptr);
        const why = matches(h, J, c.types[k], rc);
        if (why) report(file, c.line, `${c.form} of ${c.name}: argument ${k + 1} (${p.name ?? '?'}): ${why}`);
      });
      if (c.ret) {
        const rc = resolveC(h, fn.ret.base, fn.ret.ptr);
        const why = matches(h, J, c.ret, rc);
        if (why) report(file, c.line, `${c.form} of ${c.name}: return type: ${why}`);
      }
    }
  }

  // Two errors Julia reports when it loads or runs the code, which parse fine: a method whose
  // arguments (positional and keyword together) repeat a name ("function argument name not
  // unique" when the module loads), and a test that calls one of the package's functions that
  // is not exported without qualifying it (UndefVarError when the test runs).
  const defined = new Map();  // function name -> defined in src/ (plain name, not Base.f)
  for (const { file, tree } of trees) {
    for (const d of methodDefinitions(tree.rootNode)) {
      const seen = new Set();
      for (const a of d.params) {
        if (a.name !== '_' && seen.has(a.name)) {
          report(file, a.line, `method ${d.name ?? '(anonymous)'}: argument name ${a.name} not unique ` +
            '(positional and keyword arguments share one namespace)');
        }
        seen.add(a.name);
      }
      if (d.name && !isTestFile(dir, file)) defined.set(d.name, true);
    }
  }
  const exported = new Set();
  for (const { file, tree } of trees) {
    if (isTestFile(dir, file)) continue;
    walk(tree.rootNode, (n) => {
      if (n.type === 'export_statement') for (const c of named(n)) if (c.type === 'identifier') exported.add(c.text);
    });
  }
  for (const { file, tree } of trees) {
    if (!isTestFile(dir, file)) continue;
    const local = new Set(methodDefinitions(tree.rootNode).map((d) => d.name).filter(Boolean));
    walk(tree.rootNode, (n) => {
      if (n.type !== 'call_expression') return;
      const f = named(n)[0];
      if (!f || f.type !== 'identifier' || !defined.has(f.text) || exported.has(f.text) || local.has(f.text)) return;
      report(file, lineOf(n), `${f.text} is not exported by the package: call it qualified (e.g. SP.${f.text})`);
    });
  }

  // Every call of a plain name must name something: a function or type of the package, a
  // name bound in the same file (an argument, a local, a loop or `do` variable), or one of
  // Julia's own names listed in julia-names.txt (checked to exist in Julia 1.6). Anything else
  // is a misspelling or an undefined name.
  const names = readNameList(opts.names ?? path.join(here, 'julia-names.txt'));
  const packageNames = new Set();
  for (const { tree } of trees) for (const n of definedNames(tree.rootNode)) packageNames.add(n);
  for (const { file, tree } of trees) {
    const visible = new Set([...packageNames, ...boundNames(tree.rootNode), ...names.get('Core'), ...names.get('Base')]);
    walk(tree.rootNode, (n) => {
      if (n.type !== 'using_statement' && n.type !== 'import_statement') return;
      for (const c of named(n)) {
        if (c.type === 'selected_import') named(c).slice(1).forEach((x) => visible.add(x.text));
        else if (c.type === 'identifier' && n.type === 'using_statement') (names.get(c.text) ?? []).forEach((x) => visible.add(x));
      }
    });
    walk(tree.rootNode, (n) => {
      if (n.type !== 'call_expression') return;
      const f = named(n)[0];
      if (f && f.type === 'identifier' && !visible.has(f.text)) {
        report(file, lineOf(n), `${f.text} is not defined: not in the package, not bound in this file, ` +
          'not in julia-names.txt (a misspelling? a Julia name not yet listed?)');
      }
    });
  }

  const headerFns = [...h.functions.keys()].filter((n) => n.startsWith(prefix));
  const missing = headerFns.filter((n) => !wrapped.has(n));
  if (opts.requireAll) {
    for (const n of missing) report(header, 0, `${n} has no ccall in ${path.relative(process.cwd(), dir) || dir}`);
  }

  // Julia enums and integer tables that mirror a C enum must carry the same values. A Julia
  // name X matches the C constant X, SP_X or any *_X (case-insensitive) of one C enum.
  let nenums = 0;
  const findEnum = (names) => {
    const hits = [];
    for (const [ename, values] of h.enumValues) {
      const map = new Map();
      for (const nm of names) {
        const up = nm.toUpperCase();
        const c = [...values.keys()].find((k) => k === up || k === prefix.toUpperCase() + up || k.endsWith('_' + up));
        if (!c) break;
        map.set(nm, c);
      }
      if (map.size === names.length) hits.push({ ename, values, map });
    }
    return hits.length === 1 ? hits[0] : null;
  };
  const compareEnum = (what, file, items, declLine) => {
    const hit = findEnum(items.map((i) => i.name));
    if (!hit) return;
    nenums++;
    for (const it of items) {
      const c = hit.map.get(it.name);
      const cv = hit.values.get(c);
      if (cv !== it.value) report(file, it.line, `${what}: ${it.name} = ${it.value}, but C ${c} = ${cv} (enum ${hit.ename})`);
    }
    const missingC = [...hit.values.keys()].filter((c) => ![...hit.map.values()].includes(c));
    if (what.startsWith('@enum') && missingC.length) {
      report(file, declLine, `${what}: no member for C ${missingC.join(', ')} (enum ${hit.ename})`);
    }
  };
  for (const e of J.enums) compareEnum(`@enum ${e.name}`, e.file, e.members, e.line);
  for (const t of J.tables) compareEnum(`const ${t.name}`, t.file, t.entries.map((x) => ({ ...x, line: t.line })), t.line);

  // Julia structs named like C structs must have the same fields, types and layout.
  let nstructs = 0;
  const mirrored = [...J.structs.keys()].filter((n) => h.structs.has(n));
  for (const name of mirrored) {
    const st = J.structs.get(name);
    const cf = h.structs.get(name);
    const jn = st.fields.map((f) => f.name).join(', ');
    const cn = cf.map((f) => f.name).join(', ');
    if (jn !== cn) {
      report(st.file, st.line, `struct ${name}: fields (${jn}) differ from C (${cn})`);
      continue;
    }
    cf.forEach((f, k) => {
      const rc = f.fnptr ? { kind: 'fnptr', ptr: 1 } : resolveC(h, f.base, f.ptr);
      const t = st.fields[k].type;
      let why;
      if (rc.kind === 'fnptr') {
        const hd = t ? resolveJl(J, t) : null;
        why = hd && hd.name === 'Ptr' ? null : `${t ? t.text : 'untyped'} for a function pointer (use Ptr{Cvoid})`;
      } else {
        why = t ? matches(h, J, t, rc) : 'untyped field';
      }
      if (why) report(st.file, st.line, `struct ${name}, field ${f.name}: ${why}`);
    });
  }
  let layoutNote = 'layout: skipped';
  if (!opts.noLayout && mirrored.length) {
    const cstructs = new Map(mirrored.map((n) => [n, h.structs.get(n)]));
    const lay = cLayouts(cc, header, cstructs);
    for (const name of mirrored) {
      const st = J.structs.get(name);
      const c = lay.get(name);
      const jl = jlStructLayout(J, st);
      nstructs++;
      if (!jl) {
        report(st.file, st.line, `struct ${name}: cannot compute the Julia layout`);
        continue;
      }
      const cOff = h.structs.get(name).map((f) => c.offsets.get(f.name));
      if (jl.size !== c.size || jl.offsets.some((o, k) => o !== cOff[k])) {
        report(st.file, st.line, `struct ${name}: Julia layout size ${jl.size} offsets [${jl.offsets}] ` +
          `!= C size ${c.size} offsets [${cOff}]`);
      }
    }
    layoutNote = `layout: ${nstructs} structs compared with offsetof()`;
  }
  layoutNote += `; enums: ${nenums} compared with the C values`;

  return {
    files: files.length, ccalls: nccalls, problems, headerFunctions: headerFns.length,
    wrapped: headerFns.filter((n) => wrapped.has(n)).length, missing, layoutNote,
  };
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dir') o.dir = argv[++i];
    else if (a === '--header') o.header = argv[++i];
    else if (a === '--cc') o.cc = argv[++i];
    else if (a === '--prefix') o.prefix = argv[++i];
    else if (a === '--require-all') o.requireAll = true;
    else if (a === '--no-layout') o.noLayout = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  let res;
  try {
    res = await runCheck(parseArgs(process.argv.slice(2)));
  } catch (e) {
    console.error(`julia-check: could not run: ${e.message}`);
    process.exit(2);
  }
  for (const p of res.problems) console.log(`${p.file}:${p.line}: ${p.msg}`);
  console.log(`julia-check: header: ${res.wrapped}/${res.headerFunctions} functions wrapped` +
    (res.missing.length ? ` (missing: ${res.missing.join(', ')})` : '') + `; ${res.layoutNote}`);
  console.log(`julia-check: ${res.files} files, ${res.ccalls} ccalls checked, ${res.problems.length} problems`);
  process.exit(res.problems.length ? 1 : 0);
}
