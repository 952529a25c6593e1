// cozeauth's /client.js as the token function of Coze's official SDK
// (@coze/api), which then calls Coze (the emulator) itself. COZEAUTH_URL,
// COZEAUTH_KEY and COZE_API_URL come from compat/clientjs_node_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { CozeAPI } from '@coze/api';

const base = process.env.COZEAUTH_URL;
const res = await fetch(base + '/client.js');
assert.equal(res.status, 200);
vm.runInThisContext(await res.text(), { filename: 'client.js' });
const { cozeauth } = globalThis;

test('token: cozeauth.sdkToken, one token request for many calls', async () => {
  const tokens = cozeauth.create({ url: base, key: process.env.COZEAUTH_KEY, session: 'node-sdk' });
  const api = new CozeAPI({ baseURL: process.env.COZE_API_URL, token: tokens.sdkToken });
  const all = await Promise.all([...Array(8)].map(() => api.users.me()));
  for (const me of all) assert.match(me.user_id, /node-sdk$/);
  assert.ok(tokens.expiresAt() > Date.now() + 60_000);
});

test('a refused key reaches the SDK caller as a CozeauthError', async () => {
  const bad = cozeauth.create({ url: base, key: 'cza_not-a-real-key' });
  const api = new CozeAPI({ baseURL: process.env.COZE_API_URL, token: bad.sdkToken });
  await assert.rejects(api.users.me(), (e) => {
    assert.equal(e.name, 'CozeauthError');
    assert.equal(e.code, 'invalid_client_key');
    assert.equal(e.status, 401);
    assert.doesNotMatch(e.message, /cza_not-a-real-key/);
    return true;
  });
});
