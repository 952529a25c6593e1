// Compatibility-matrix rows for conversations, their messages and the chat
// lifecycle: every call @coze/api makes for them, each checking the shape
// the SDK's types declare. The runner (compat/node/matrix.mjs) calls each
// row's run(api, ctx) with a CozeAPI client and ctx.botId.
//
// A chat whose last user message mentions the weather stops at
// requires_action with a get_weather tool call (the emulator's
// ToolTrigger); any other chat echoes "You said: <message>".
const user = (content) => ({ role: 'user', content, content_type: 'text' });

function check(cond, what) {
  if (!cond) throw new Error(what);
}

const isID = (s) => typeof s === 'string' && /^\d{19}$/.test(s);

async function conversation(api, ctx, messages) {
  const c = await api.conversations.create({ bot_id: ctx.botId, messages, meta_data: { from: 'matrix' } });
  check(isID(c.id), `conversation id ${c.id}`);
  return c;
}

async function collect(stream) {
  const events = [];
  for await (const part of stream) events.push(part);
  return events;
}

export default [
  {
    call: 'conversations.create',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx, [user('hello')]);
      check(typeof c.created_at === 'number' && c.meta_data.from === 'matrix', `conversation ${JSON.stringify(c)}`);
    },
  },
  {
    call: 'conversations.retrieve',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx);
      const got = await api.conversations.retrieve(c.id);
      check(got.id === c.id && got.last_section_id === c.last_section_id, `retrieved ${JSON.stringify(got)}`);
    },
  },
  {
    call: 'conversations.list',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx);
      const page = await api.conversations.list({ bot_id: ctx.botId, page_num: 1, page_size: 1 });
      check(Array.isArray(page.conversations) && page.conversations[0].id === c.id, `newest first: ${JSON.stringify(page)}`);
      check(typeof page.has_more === 'boolean', 'has_more');
    },
  },
  {
    call: 'conversations.clear',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx);
      const s = await api.conversations.clear(c.id);
      check(s.conversation_id === c.id && isID(s.id) && s.id !== c.last_section_id, `section ${JSON.stringify(s)}`);
      const got = await api.conversations.retrieve(c.id);
      check(got.last_section_id === s.id, 'last_section_id is the new section');
    },
  },
  {
    call: 'conversations.messages.create',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx);
      const m = await api.conversations.messages.create(c.id, { role: 'user', content: 'hi', content_type: 'text', meta_data: { k: 'v' } });
      check(isID(m.id) && m.conversation_id === c.id && m.content === 'hi' && m.meta_data.k === 'v', `message ${JSON.stringify(m)}`);
    },
  },
  {
    call: 'conversations.messages.list',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx, [user('one'), user('two'), user('three')]);
      const first = await api.conversations.messages.list(c.id, { limit: 2 });
      check(first.data.length === 2 && first.data[0].content === 'three' && first.has_more, `page 1 ${JSON.stringify(first)}`);
      const next = await api.conversations.messages.list(c.id, { limit: 2, after_id: first.last_id });
      check(next.data.length === 1 && next.data[0].content === 'one' && !next.has_more, `page 2 ${JSON.stringify(next)}`);
    },
  },
  {
    call: 'conversations.messages.retrieve',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx);
      const m = await api.conversations.messages.create(c.id, { role: 'user', content: 'keep me', content_type: 'text' });
      const got = await api.conversations.messages.retrieve(c.id, m.id);
      check(got.id === m.id && got.content === 'keep me', `retrieved ${JSON.stringify(got)}`);
    },
  },
  {
    call: 'conversations.messages.update',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx);
      const m = await api.conversations.messages.create(c.id, { role: 'user', content: 'before', content_type: 'text' });
      const got = await api.conversations.messages.update(c.id, m.id, { content: 'after', content_type: 'text' });
      check(got.id === m.id && got.content === 'after', `modified ${JSON.stringify(got)}`);
    },
  },
  {
    call: 'conversations.messages.delete',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx);
      const m = await api.conversations.messages.create(c.id, { role: 'user', content: 'bye', content_type: 'text' });
      const got = await api.conversations.messages.delete(c.id, m.id);
      check(got.id === m.id, `deleted ${JSON.stringify(got)}`);
      const left = await api.conversations.messages.list(c.id);
      check(left.data.length === 0, 'the message is gone');
    },
  },
  {
    call: 'chat.create',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx);
      const chat = await api.chat.create({ bot_id: ctx.botId, conversation_id: c.id, additional_messages: [user('hi')] });
      check(isID(chat.id) && chat.conversation_id === c.id && chat.status === 'created', `chat ${JSON.stringify(chat)}`);
    },
  },
  {
    call: 'chat.createAndPoll',
    run: async (api, ctx) => {
      const { chat, messages } = await api.chat.createAndPoll({ bot_id: ctx.botId, additional_messages: [user('poll me')] });
      check(chat.status === 'completed' && chat.usage.token_count > 0, `chat ${JSON.stringify(chat)}`);
      check(messages.some((m) => m.type === 'answer' && m.content === 'You said: poll me'), `messages ${JSON.stringify(messages)}`);
    },
  },
  {
    call: 'chat.retrieve',
    run: async (api, ctx) => {
      const chat = await api.chat.create({ bot_id: ctx.botId, additional_messages: [user('hi')] });
      const got = await api.chat.retrieve(chat.conversation_id, chat.id);
      check(got.id === chat.id && ['created', 'in_progress', 'completed'].includes(got.status), `retrieved ${JSON.stringify(got)}`);
    },
  },
  {
    call: 'chat.messages.list',
    run: async (api, ctx) => {
      const events = await collect(await api.chat.stream({ bot_id: ctx.botId, additional_messages: [user('list me')] }));
      const done = events.find((e) => e.event === 'conversation.chat.completed').data;
      const msgs = await api.chat.messages.list(done.conversation_id, done.id);
      check(msgs.length === 1 && msgs[0].content === 'You said: list me' && msgs[0].chat_id === done.id, `messages ${JSON.stringify(msgs)}`);
    },
  },
  {
    call: 'chat.cancel',
    run: async (api, ctx) => {
      const chat = await api.chat.create({ bot_id: ctx.botId, additional_messages: [user('never mind')] });
      const got = await api.chat.cancel(chat.conversation_id, chat.id);
      check(got.id === chat.id && got.status === 'canceled', `canceled ${JSON.stringify(got)}`);
    },
  },
  {
    call: 'chat.stream',
    run: async (api, ctx) => {
      const events = await collect(await api.chat.stream({ bot_id: ctx.botId, additional_messages: [user('stream me')] }));
      const text = events.filter((e) => e.event === 'conversation.message.delta').map((e) => e.data.content).join('');
      check(events[0].event === 'conversation.chat.created' && events.at(-1).event === 'done', `events ${events.map((e) => e.event)}`);
      check(text === 'You said: stream me', `deltas ${text}`);
    },
  },
  {
    call: 'chat.createAndPoll (requires_action) + chat.submitToolOutputs',
    run: async (api, ctx) => {
      const { chat, messages } = await api.chat.createAndPoll({ bot_id: ctx.botId, additional_messages: [user('What is the weather in Paris?')] });
      check(chat.status === 'requires_action', `status ${chat.status}`);
      const call = chat.required_action.submit_tool_outputs.tool_calls[0];
      check(call.function.name === 'get_weather' && JSON.parse(call.function.arguments).query, `tool call ${JSON.stringify(call)}`);
      check(messages.some((m) => m.type === 'function_call'), 'a function_call message');
      const gen = api.chat.submitToolOutputs({
        conversation_id: chat.conversation_id, chat_id: chat.id, stream: false,
        tool_outputs: [{ tool_call_id: call.id, output: 'sunny, 21°C' }],
      });
      const { value: back } = await gen.next();
      check(back.status === 'in_progress', `after submit ${JSON.stringify(back)}`);
      let now = back;
      for (let i = 0; i < 100 && now.status !== 'completed'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        now = await api.chat.retrieve(chat.conversation_id, chat.id);
      }
      check(now.status === 'completed', `final ${now.status}`);
      const msgs = await api.chat.messages.list(chat.conversation_id, chat.id);
      check(msgs.at(-1).content === 'Tool get_weather answered: sunny, 21°C', `answer ${JSON.stringify(msgs.at(-1))}`);
    },
  },
  {
    call: 'chat.stream (requires_action) + chat.submitToolOutputs (stream)',
    run: async (api, ctx) => {
      const events = await collect(await api.chat.stream({ bot_id: ctx.botId, additional_messages: [user('weather in Tokyo?')] }));
      const ra = events.find((e) => e.event === 'conversation.chat.requires_action');
      check(ra && events.at(-1).event === 'done', `events ${events.map((e) => e.event)}`);
      const call = ra.data.required_action.submit_tool_outputs.tool_calls[0];
      const rest = await collect(api.chat.submitToolOutputs({
        conversation_id: ra.data.conversation_id, chat_id: ra.data.id, stream: true,
        tool_outputs: [{ tool_call_id: call.id, output: 'rain' }],
      }));
      const text = rest.filter((e) => e.event === 'conversation.message.delta').map((e) => e.data.content).join('');
      check(text === 'Tool get_weather answered: rain', `deltas ${text}`);
      const completed = rest.find((e) => e.event === 'conversation.chat.completed');
      check(completed && completed.data.usage.output_count > 0 && rest.at(-1).event === 'done', `events ${rest.map((e) => e.event)}`);
    },
  },
  {
    call: 'chat.stream into a conversation',
    run: async (api, ctx) => {
      const c = await conversation(api, ctx);
      await collect(await api.chat.stream({ bot_id: ctx.botId, conversation_id: c.id, additional_messages: [user('remember me')] }));
      const all = await api.conversations.messages.list(c.id, { order: 'asc' });
      check(all.data.map((m) => m.content).join('|') === 'remember me|You said: remember me', `history ${JSON.stringify(all.data)}`);
    },
  },
];
