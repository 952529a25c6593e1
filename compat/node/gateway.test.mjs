// Coze's official Node SDK, unchanged but for its base URL, through the
// cozeauth gateway. COZEAUTH_URL and COZEAUTH_KEY come from the Go test
// that starts the gateway (compat/node_test.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CozeAPI, ChatEventType, RoleType } from '@coze/api';

const client = new CozeAPI({
  baseURL: process.env.COZEAUTH_URL,
  token: process.env.COZEAUTH_KEY, // the cozeauth client key, not a Coze secret
  headers: { 'X-User-ID': 'sdk-user' },
});

test('a plain call: users.me', async () => {
  const me = await client.users.me();
  assert.equal(typeof me.user_id, 'string');
  assert.match(me.user_id, /sdk-user$/, 'the gateway minted the token for the caller\'s session');
});

test('a streamed chat arrives event by event', async () => {
  const events = [];
  let text = '';
  const stream = await client.chat.stream({
    bot_id: '7001',
    user_id: 'sdk-user',
    additional_messages: [{ role: RoleType.User, content: 'hello through the gateway', content_type: 'text' }],
  });
  for await (const part of stream) {
    events.push(part.event);
    if (part.event === ChatEventType.CONVERSATION_MESSAGE_DELTA) text += part.data.content;
  }
  assert.equal(events[0], ChatEventType.CONVERSATION_CHAT_CREATED);
  assert.ok(events.filter((e) => e === ChatEventType.CONVERSATION_MESSAGE_DELTA).length > 1, 'several deltas');
  assert.ok(events.includes(ChatEventType.CONVERSATION_CHAT_COMPLETED));
  assert.equal(events.at(-1), ChatEventType.DONE);
  assert.match(text, /hello through the gateway/);
});

test('a refused key is a clear error', async () => {
  const bad = new CozeAPI({ baseURL: process.env.COZEAUTH_URL, token: 'cza_not-a-real-key' });
  await assert.rejects(bad.users.me(), (err) => {
    assert.match(String(err.message ?? err), /401|client key/i);
    return true;
  });
});
