// Matrix rows for the calls the emulator has always answered: the user,
// chat (plain and streamed), file upload, the JWT exchange and the realtime
// chat WebSocket. See ../matrix.mjs for the row shape.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatEventType, RoleType, WebsocketsEventType, getJWTToken } from '@coze/api';

const hello = (text) => [{ role: RoleType.User, content: text, content_type: 'text' }];

export default [
  {
    call: 'users.me',
    run: async (api) => {
      const me = await api.users.me();
      assert.equal(typeof me.user_id, 'string');
      assert.ok(me.user_id.length > 0, 'a user id');
    },
  },
  {
    call: 'chat.create',
    run: async (api, ctx) => {
      const chat = await api.chat.create({ bot_id: ctx.botId, user_id: 'matrix', additional_messages: hello('hi') });
      assert.match(chat.id, /^\d+$/);
      assert.equal(chat.bot_id, ctx.botId);
      assert.ok(chat.conversation_id, 'a conversation id');
    },
  },
  {
    call: 'chat.stream',
    run: async (api, ctx) => {
      const events = [];
      let text = '';
      const stream = await api.chat.stream({ bot_id: ctx.botId, user_id: 'matrix', additional_messages: hello('stream me') });
      for await (const part of stream) {
        events.push(part.event);
        if (part.event === ChatEventType.CONVERSATION_MESSAGE_DELTA) text += part.data.content;
      }
      assert.equal(events[0], ChatEventType.CONVERSATION_CHAT_CREATED);
      assert.ok(events.includes(ChatEventType.CONVERSATION_CHAT_COMPLETED), 'conversation.chat.completed');
      assert.equal(events.at(-1), ChatEventType.DONE);
      assert.match(text, /stream me/);
    },
  },
  {
    call: 'files.upload',
    run: async (api) => {
      // In Node the SDK's multipart encoder wants a stream, as from a file.
      const dir = await mkdtemp(join(tmpdir(), 'coze-matrix-'));
      const path = join(dir, 'matrix.txt');
      await writeFile(path, 'hello matrix\n');
      let res;
      try {
        res = await api.files.upload({ file: createReadStream(path) });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      assert.match(String(res.id), /^\d+$/);
      assert.equal(res.bytes, 13);
      assert.equal(res.file_name, 'matrix.txt');
    },
  },
  {
    // The JWT exchange itself, signed by the SDK with aud taken from the
    // emulator's URL (host:port), as the SDKs do when given a base URL.
    call: 'getJWTToken',
    modes: ['direct'],
    run: async (_api, ctx) => {
      assert.ok(ctx.emulatorURL && ctx.jwt, 'the test passes ctx.emulatorURL and ctx.jwt');
      const aud = new URL(ctx.emulatorURL).host;
      const tok = await getJWTToken({
        baseURL: ctx.emulatorURL,
        appId: ctx.jwt.appId,
        keyid: ctx.jwt.keyid,
        privateKey: ctx.jwt.privateKey,
        aud,
        sessionName: 'matrix-jwt',
      });
      assert.match(tok.access_token, /^czs_/);
      assert.ok(tok.expires_in > Date.now() / 1000, 'expires_in is an absolute epoch second');
    },
  },
  {
    call: 'websockets.chat',
    run: async (api, ctx) => {
      const ws = await api.websockets.chat.create({ bot_id: ctx.botId });
      const seen = [];
      let text = '';
      try {
        await new Promise((resolve, reject) => {
          ws.onerror = (err) => reject(new Error(`websocket error: ${JSON.stringify(err?.data ?? err)}`));
          ws.onclose = (ev) => reject(new Error(`closed early (${ev?.code}) after ${seen.join(', ')}`));
          ws.onmessage = (data) => {
            seen.push(data.event_type);
            if (data.event_type === WebsocketsEventType.CHAT_CREATED) {
              ws.send({
                id: 'matrix-1',
                event_type: WebsocketsEventType.CONVERSATION_MESSAGE_CREATE,
                data: { role: 'user', content_type: 'text', content: 'over the socket' },
              });
            }
            if (data.event_type === WebsocketsEventType.CONVERSATION_MESSAGE_DELTA) text += data.data.content;
            if (data.event_type === WebsocketsEventType.ERROR) reject(new Error(`error event: ${JSON.stringify(data.data)}`));
            if (data.event_type === WebsocketsEventType.CONVERSATION_CHAT_COMPLETED) resolve();
          };
        });
      } finally {
        ws.onclose = null;
        ws.close();
      }
      for (const want of [
        WebsocketsEventType.CHAT_CREATED,
        WebsocketsEventType.CONVERSATION_CHAT_CREATED,
        WebsocketsEventType.CONVERSATION_MESSAGE_DELTA,
        WebsocketsEventType.CONVERSATION_MESSAGE_COMPLETED,
        WebsocketsEventType.CONVERSATION_CHAT_COMPLETED,
      ]) assert.ok(seen.includes(want), `${want} among ${seen.join(', ')}`);
      assert.match(text, /over the socket/);
    },
  },
];
