// Bots, workspaces, files, workflows, knowledge (datasets) and voices: every
// call of @coze/api for these families. Each row is one SDK call; run throws
// (or an assert fails) when the call does not work. Ids are discovered
// through list calls and kept in ctx for the rows that follow.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowEventType, ChatEventType, RoleType } from '@coze/api';

const ID = /^\d{19}$/;

// personal is the user's personal workspace.
async function personal(api, ctx) {
  if (!ctx.workspaceId) {
    const r = await api.workspaces.list({ page_num: 1, page_size: 50 });
    const ws = r.workspaces.find((w) => w.workspace_type === 'personal') ?? r.workspaces[0];
    assert.ok(ws, 'no workspace');
    ctx.workspaceId = ws.id;
  }
  return ctx.workspaceId;
}

// publishedBot is a bot published to Agent as API in the personal workspace.
async function publishedBot(api, ctx) {
  if (!ctx.botId) {
    const r = await api.bots.list({ space_id: await personal(api, ctx), page_index: 1, page_size: 20 });
    assert.ok(r.space_bots.length > 0, 'no published bot');
    ctx.botId = r.space_bots[0].bot_id;
  }
  return ctx.botId;
}

// Workflows have no list call in the SDK: bots name the workflows they use
// (the emulator's first seeded bot uses its echo, question and failing
// workflows), so rows find them through bots.listNew and bots.retrieveNew.
async function workflowIds(api, ctx) {
  if (!ctx.workflows) {
    const r = await api.bots.listNew({ workspace_id: await personal(api, ctx), page_size: 100 });
    for (const item of r.items) {
      const info = await api.bots.retrieveNew(item.id, { is_published: true });
      if (info.workflow_info_list.length > 0) {
        ctx.workflows = Object.fromEntries(info.workflow_info_list.map((w) => [w.name, w.id]));
        break;
      }
    }
    assert.ok(ctx.workflows?.echo && ctx.workflows?.question && ctx.workflows?.failing, 'no bot uses the echo, question and failing workflows');
  }
  return ctx.workflows;
}

async function createdBot(api, ctx) {
  if (!ctx.createdBotId) {
    const r = await api.bots.create({ space_id: await personal(api, ctx), name: 'matrix bot', description: 'made by the compatibility matrix' });
    ctx.createdBotId = r.bot_id;
  }
  return ctx.createdBotId;
}

async function uploaded(api, ctx) {
  if (!ctx.fileId) {
    // The SDK sends files with axios and form-data, which read a Node stream.
    const dir = await mkdtemp(join(tmpdir(), 'coze-matrix-'));
    const path = join(dir, 'matrix.txt');
    await writeFile(path, 'hello from the compatibility matrix\n');
    const r = await api.files.upload({ file: createReadStream(path) });
    await rm(dir, { recursive: true, force: true });
    ctx.fileId = r.id;
  }
  return ctx.fileId;
}

async function collect(gen) {
  const out = [];
  for await (const ev of gen) out.push(ev);
  return out;
}

async function textDataset(api, ctx) {
  if (!ctx.datasetId) {
    const r = await api.datasets.create({ name: 'matrix knowledge', space_id: await personal(api, ctx), format_type: 0, description: 'text' });
    ctx.datasetId = r.dataset_id;
  }
  return ctx.datasetId;
}

async function imageDataset(api, ctx) {
  if (!ctx.imageDatasetId) {
    const r = await api.datasets.create({ name: 'matrix images', space_id: await personal(api, ctx), format_type: 2 });
    ctx.imageDatasetId = r.dataset_id;
    const docs = await api.datasets.documents.create({
      dataset_id: r.dataset_id,
      document_bases: [{ name: 'dot.png', source_info: { file_base64: Buffer.from('not really a png').toString('base64'), file_type: 'png' } }],
      format_type: 2,
    });
    ctx.imageId = docs[0].document_id;
  }
  return ctx.imageDatasetId;
}

export default [
  { call: 'workspaces.list', run: async (api, ctx) => {
    const r = await api.workspaces.list();
    assert.ok(r.workspaces?.length > 0, 'no workspaces');
    assert.equal(r.total_count, r.workspaces.length);
    assert.match(r.workspaces[0].id, ID);
  } },
  { call: 'bots.list', run: async (api, ctx) => {
    const r = await api.bots.list({ space_id: await personal(api, ctx) });
    assert.ok(r.total >= 1 && r.space_bots[0].bot_name, 'no published bots');
    assert.match(r.space_bots[0].publish_time, /^\d+$/);
  } },
  { call: 'bots.listNew', run: async (api, ctx) => {
    const r = await api.bots.listNew({ workspace_id: await personal(api, ctx), page_num: 1, page_size: 1 });
    assert.equal(r.items.length, 1);
    assert.ok(r.total >= 1 && r.items[0].is_published === true);
  } },
  { call: 'bots.retrieve', run: async (api, ctx) => {
    const info = await api.bots.retrieve({ bot_id: await publishedBot(api, ctx) });
    assert.equal(info.bot_id, ctx.botId);
    assert.ok(info.name && info.prompt_info && Array.isArray(info.plugin_info_list));
  } },
  { call: 'bots.retrieveNew', run: async (api, ctx) => {
    const info = await api.bots.retrieveNew(await publishedBot(api, ctx), { is_published: true });
    assert.equal(info.bot_id, ctx.botId);
  } },
  { call: 'bots.create', run: async (api, ctx) => {
    assert.match(await createdBot(api, ctx), ID);
  } },
  { call: 'bots.update', run: async (api, ctx) => {
    const botId = await createdBot(api, ctx);
    const seeded = Object.values(await workflowIds(api, ctx));
    const r = await api.bots.update({
      bot_id: botId,
      name: 'matrix bot 2',
      icon_file_id: await uploaded(api, ctx),
      prompt_info: { prompt: 'Be brief.' },
      onboarding_info: { prologue: 'Hi', suggested_questions: ['What can you do?'] },
      workflow_id_list: { ids: seeded.map((id) => ({ id })) },
    });
    assert.equal(r, undefined);
    const info = await api.bots.retrieveNew(botId);
    assert.equal(info.name, 'matrix bot 2');
    assert.equal(info.workflow_info_list.length, 3);
  } },
  { call: 'bots.publish', run: async (api, ctx) => {
    const botId = await createdBot(api, ctx);
    await api.bots.publish({ bot_id: botId, connector_ids: ['1024'] });
    const online = await api.bots.retrieve({ bot_id: botId });
    assert.equal(online.name, 'matrix bot 2');
  } },
  { call: 'files.upload', run: async (api, ctx) => {
    assert.match(await uploaded(api, ctx), ID);
  } },
  { call: 'files.retrieve', run: async (api, ctx) => {
    const f = await api.files.retrieve(await uploaded(api, ctx));
    assert.equal(f.id, ctx.fileId);
    assert.equal(f.file_name, 'matrix.txt');
    assert.equal(f.bytes, 36);
  } },
  { call: 'workflows.runs.create', run: async (api, ctx) => {
    const { echo } = await workflowIds(api, ctx);
    const r = await api.workflows.runs.create({ workflow_id: echo, parameters: { input: 'ping' } });
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.data), { input: 'ping' });
    assert.match(r.execute_id, ID);
  } },
  { call: 'workflows.runs.create (is_async) + history', run: async (api, ctx) => {
    const { echo } = await workflowIds(api, ctx);
    const r = await api.workflows.runs.create({ workflow_id: echo, parameters: { input: 'later' }, is_async: true });
    let h;
    for (let i = 0; i < 5; i++) {
      [h] = await api.workflows.runs.history(echo, r.execute_id);
      if (h.execute_status !== 'Running') break;
    }
    assert.equal(h.execute_status, 'Success');
    assert.deepEqual(JSON.parse(h.output), { input: 'later' });
  } },
  { call: 'workflows.runs.stream', run: async (api, ctx) => {
    const { echo, failing } = await workflowIds(api, ctx);
    const evs = await collect(api.workflows.runs.stream({ workflow_id: echo, parameters: { input: 'hi' } }));
    assert.deepEqual(evs.map((e) => e.event), [WorkflowEventType.MESSAGE, WorkflowEventType.DONE]);
    assert.deepEqual(evs.map((e) => e.id), [0, 1]);
    assert.deepEqual(JSON.parse(evs[0].data.content), { input: 'hi' });
    const bad = await collect(api.workflows.runs.stream({ workflow_id: failing }));
    assert.equal(bad[0].event, WorkflowEventType.ERROR);
    assert.ok(bad[0].data.error_code && bad[0].data.error_message);
  } },
  { call: 'workflows.runs.resume', run: async (api, ctx) => {
    const { question } = await workflowIds(api, ctx);
    const evs = await collect(api.workflows.runs.stream({ workflow_id: question }));
    const stop = evs.at(-1);
    assert.equal(stop.event, WorkflowEventType.INTERRUPT);
    const resumed = await collect(api.workflows.runs.resume({
      workflow_id: question,
      event_id: stop.data.interrupt_data.event_id,
      resume_data: 'Ada',
      interrupt_type: stop.data.interrupt_data.type,
    }));
    assert.deepEqual(resumed.map((e) => e.event), [WorkflowEventType.MESSAGE, WorkflowEventType.DONE]);
    assert.deepEqual(JSON.parse(resumed[0].data.content), { answer: 'Ada' });
  } },
  { call: 'workflows.chat.stream', run: async (api, ctx) => {
    const { echo } = await workflowIds(api, ctx);
    let text = '';
    const evs = [];
    for await (const part of api.workflows.chat.stream({
      workflow_id: echo,
      bot_id: await publishedBot(api, ctx),
      additional_messages: [{ role: RoleType.User, content: 'hello flow', content_type: 'text' }],
    })) {
      evs.push(part.event);
      if (part.event === ChatEventType.CONVERSATION_MESSAGE_DELTA) text += part.data.content;
    }
    assert.equal(evs[0], ChatEventType.CONVERSATION_CHAT_CREATED);
    assert.ok(evs.includes(ChatEventType.CONVERSATION_CHAT_COMPLETED));
    assert.equal(evs.at(-1), ChatEventType.DONE);
    assert.match(text, /hello flow/);
  } },
  { call: 'datasets.create', run: async (api, ctx) => {
    assert.match(await textDataset(api, ctx), ID);
  } },
  { call: 'datasets.list', run: async (api, ctx) => {
    const r = await api.datasets.list({ space_id: await personal(api, ctx), name: 'matrix', page_num: 1, page_size: 10 });
    assert.ok(r.dataset_list.some((d) => d.dataset_id === ctx.datasetId), 'the created dataset is listed');
    assert.equal(r.total_count, r.dataset_list.length);
  } },
  { call: 'datasets.update', run: async (api, ctx) => {
    await api.datasets.update(await textDataset(api, ctx), { name: 'matrix knowledge 2', description: 'renamed' });
    const r = await api.datasets.list({ space_id: await personal(api, ctx), name: 'matrix knowledge 2' });
    assert.equal(r.dataset_list[0]?.description, 'renamed');
  } },
  { call: 'datasets.documents.create', run: async (api, ctx) => {
    const docs = await api.datasets.documents.create({
      dataset_id: await textDataset(api, ctx),
      document_bases: [
        { name: 'notes.txt', source_info: { file_base64: Buffer.from('some notes').toString('base64'), file_type: 'txt' } },
        { name: 'site', source_info: { web_url: 'https://example.com/', document_source: 1 }, update_rule: { update_type: 1, update_interval: 24 } },
      ],
      chunk_strategy: { chunk_type: 0 },
    });
    assert.equal(docs.length, 2);
    assert.equal(docs[0].size, 10);
    ctx.documentIds = docs.map((d) => d.document_id);
  } },
  { call: 'datasets.documents.list', run: async (api, ctx) => {
    const r = await api.datasets.documents.list({ dataset_id: await textDataset(api, ctx), page: 1, page_size: 1 });
    assert.equal(r.document_infos.length, 1);
    assert.ok(r.total >= 1);
  } },
  { call: 'datasets.documents.update', run: async (api, ctx) => {
    assert.ok(ctx.documentIds, 'datasets.documents.create runs first');
    await api.datasets.documents.update({ document_id: ctx.documentIds[0], document_name: 'renamed.txt' });
    const r = await api.datasets.documents.list({ dataset_id: ctx.datasetId });
    assert.ok(r.document_infos.some((d) => d.name === 'renamed.txt'));
  } },
  { call: 'datasets.process', run: async (api, ctx) => {
    assert.ok(ctx.documentIds, 'datasets.documents.create runs first');
    const r = await api.datasets.process(ctx.datasetId, { document_ids: ctx.documentIds });
    assert.equal(r.data.length, 2);
    assert.equal(r.data[0].progress, 100);
  } },
  { call: 'datasets.documents.delete', run: async (api, ctx) => {
    assert.ok(ctx.documentIds, 'datasets.documents.create runs first');
    await api.datasets.documents.delete({ document_ids: [ctx.documentIds[1]] });
    const r = await api.datasets.documents.list({ dataset_id: ctx.datasetId });
    assert.equal(r.total, 1);
  } },
  { call: 'knowledge.documents.create', run: async (api, ctx) => {
    const docs = await api.knowledge.documents.create({
      dataset_id: await textDataset(api, ctx),
      document_bases: [{ name: 'old-api.txt', source_info: { file_base64: Buffer.from('x').toString('base64'), file_type: 'txt' } }],
    });
    ctx.oldDocId = docs[0].document_id;
  } },
  { call: 'knowledge.documents.list', run: async (api, ctx) => {
    const r = await api.knowledge.documents.list({ dataset_id: await textDataset(api, ctx), page: 1, page_size: 10 });
    assert.ok(r.document_infos.length >= 1);
  } },
  { call: 'knowledge.documents.update', run: async (api, ctx) => {
    assert.ok(ctx.oldDocId, 'knowledge.documents.create runs first');
    await api.knowledge.documents.update({ document_id: ctx.oldDocId, document_name: 'old-api-2.txt' });
  } },
  { call: 'knowledge.documents.delete', run: async (api, ctx) => {
    assert.ok(ctx.oldDocId, 'knowledge.documents.create runs first');
    await api.knowledge.documents.delete({ document_ids: [ctx.oldDocId] });
  } },
  { call: 'datasets.images.list', run: async (api, ctx) => {
    const r = await api.datasets.images.list(await imageDataset(api, ctx), { page_num: 1, page_size: 10 });
    assert.equal(r.total_count, 1);
    assert.equal(r.photo_infos[0].document_id, ctx.imageId);
  } },
  { call: 'datasets.images.update', run: async (api, ctx) => {
    const id = await imageDataset(api, ctx);
    await api.datasets.images.update(id, ctx.imageId, { caption: 'a dot' });
    const r = await api.datasets.images.list(id, { has_caption: true, keyword: 'dot' });
    assert.equal(r.photo_infos[0]?.caption, 'a dot');
  } },
  { call: 'datasets.delete', run: async (api, ctx) => {
    const id = await imageDataset(api, ctx);
    await api.datasets.delete(id);
    const r = await api.datasets.list({ space_id: await personal(api, ctx), format_type: 2 });
    assert.ok(!r.dataset_list.some((d) => d.dataset_id === id), 'the deleted dataset is gone');
  } },
  { call: 'audio.voices.list', run: async (api, ctx) => {
    const r = await api.audio.voices.list({ page_num: 1, page_size: 2 });
    assert.equal(r.voice_list.length, 2);
    assert.equal(r.has_more, true);
    assert.match(r.voice_list[0].voice_id, ID);
  } },
];
