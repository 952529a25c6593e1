// The compatibility matrix runner: every row of every compat/node/matrix/*.mjs
// file, run with Coze's official Node SDK against one base URL (the emulator
// directly, or the cozeauth gateway in front of it).
//
// A matrix file's default export is an array of rows:
//   { call: 'users.me', run: async (api, ctx) => { ... }, modes?: ['direct'] }
// run throws (or rejects) to fail. api is a fresh
//   new CozeAPI({ baseURL, token, baseWsURL, headers })
// per row; ctx is { mode, baseURL, wsURL, token, headers, ...MATRIX_CTX }.
// A row whose modes leaves out this run's mode is reported as skipped.
//
// Environment: MATRIX_BASE_URL (required), MATRIX_TOKEN (required: a Coze
// token for the emulator, or a cozeauth client key for the gateway),
// MATRIX_MODE (direct | gateway, default direct), MATRIX_WS_URL (default:
// the base URL with ws:// or wss://), MATRIX_HEADERS (a JSON object of extra
// request headers), MATRIX_CTX (a JSON object merged into ctx), MATRIX_ONLY (a
// regular expression: run only the calls it matches), MATRIX_TIMEOUT_MS (per
// row, default 20000).
//
// Output: one JSON line per row, {"call","file","ok","error"} (ok is null
// and skipped true for a skipped row). The exit status is 0 even when rows
// fail: the Go test (compat/matrix_test.go) reads the lines and decides.
import { readdir } from 'node:fs/promises';
import { CozeAPI } from '@coze/api';

const env = process.env;
const baseURL = env.MATRIX_BASE_URL;
const token = env.MATRIX_TOKEN;
if (!baseURL || !token) {
  console.error('matrix.mjs: set MATRIX_BASE_URL and MATRIX_TOKEN');
  process.exit(2);
}
const mode = env.MATRIX_MODE || 'direct';
const wsURL = env.MATRIX_WS_URL || baseURL.replace(/^http/, 'ws');
const headers = parseObject('MATRIX_HEADERS');
const only = env.MATRIX_ONLY ? new RegExp(env.MATRIX_ONLY) : null;
const timeoutMs = Number(env.MATRIX_TIMEOUT_MS) || 20000;
const ctx = { mode, baseURL, wsURL, token, headers, ...parseObject('MATRIX_CTX') };

function parseObject(name) {
  if (!env[name]) return {};
  try {
    const v = JSON.parse(env[name]);
    if (v === null) return {};
    if (typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {}
  console.error(`matrix.mjs: ${name} must be a JSON object`);
  process.exit(2);
}

function report(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

function describe(err) {
  if (err == null) return String(err);
  const parts = [];
  if (err.status !== undefined) parts.push(`status ${err.status}`);
  if (err.code !== undefined) parts.push(`code ${err.code}`);
  parts.push(String(err.message ?? err).split('\n')[0].slice(0, 500));
  return parts.join(': ');
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const dir = new URL('./matrix/', import.meta.url);
const files = (await readdir(dir)).filter((f) => f.endsWith('.mjs')).sort();
for (const file of files) {
  let rows;
  try {
    rows = (await import(new URL(file, dir))).default;
    if (!Array.isArray(rows)) throw new Error('its default export is not an array of rows');
  } catch (err) {
    report({ call: `(${file})`, file, ok: false, error: `cannot load ${file}: ${describe(err)}` });
    continue;
  }
  for (const [i, row] of rows.entries()) {
    const call = typeof row?.call === 'string' && row.call ? row.call : `(${file} row ${i})`;
    if (only && !only.test(call)) continue;
    if (typeof row?.run !== 'function') {
      report({ call, file, ok: false, error: 'the row has no run function' });
      continue;
    }
    if (Array.isArray(row.modes) && !row.modes.includes(mode)) {
      report({ call, file, ok: null, skipped: true, error: '' });
      continue;
    }
    const api = new CozeAPI({ baseURL, token, baseWsURL: wsURL, headers });
    try {
      await withTimeout(Promise.resolve().then(() => row.run(api, ctx)), timeoutMs);
      report({ call, file, ok: true, error: '' });
    } catch (err) {
      report({ call, file, ok: false, error: describe(err) });
    }
  }
}
// Rows may leave sockets or timers behind; the matrix is done.
process.exit(0);
