// OpenAI's official Node SDK against `serve`: blocking, streaming, tools, runTools, structured output (response_format),
// aborts, typed errors, retries and concurrency. Run by OpenAiNodeSdkIT with FFNSKIP_BASE_URL=http://127.0.0.1:PORT/v1 against a server whose model
// queue holds 3 waiting requests. Prints one line per check and "N passed, M failed"; exits non-zero on a failure.
import OpenAI, { APIError, APIUserAbortError, BadRequestError, NotFoundError, RateLimitError } from 'openai';

const baseURL = process.env.FFNSKIP_BASE_URL;
const root = baseURL.replace(/\/v1$/, '');
const model = 'skipbench-28m';
const client = new OpenAI({ baseURL, apiKey: 'unused', timeout: 180_000 });
const noRetry = new OpenAI({ baseURL, apiKey: 'unused', timeout: 180_000, maxRetries: 0 });

const IRON = [{ role: 'user', content: 'What is the chemical symbol for iron?' }];
const QUILL = [{ role: 'user', content: 'Context:\nThe mayor of Quillhaven is Dora Pemberton.\n\nQuestion: Who is the mayor of Quillhaven?' }];
const STORY = [{ role: 'user', content: 'Tell me a long story.' }]; // ~550 tokens

let passed = 0;
let failed = 0;

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function check(name, fn) {
  const start = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - start} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}

/** Prometheus text from /metrics: the sum of the samples of `name` whose labels include `labels`. */
async function metric(name, labels = {}) {
  const text = await (await fetch(`${root}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const have = m[3] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum += Number(m[4]);
  }
  return sum;
}

async function waitFor(what, condition, millis) {
  const deadline = Date.now() + millis;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function ironIsAnsweredPromptly() {
  const start = Date.now();
  const r = await client.chat.completions.create({ model, messages: IRON });
  assert(r.choices[0].message.content === 'Fe', `next answer: ${r.choices[0].message.content}`);
  return Date.now() - start;
}

const addTool = {
  type: 'function',
  function: {
    name: 'add',
    description: 'Add two numbers a and b.',
    parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'], additionalProperties: false },
    function: ({ a, b }) => a + b,
    parse: JSON.parse,
  },
};

await check('models.list', async () => {
  const page = await client.models.list();
  assert(page.data.length === 1 && page.data[0].id === model, JSON.stringify(page.data));
});

await check('blocking completion (refusal: null, x-request-id)', async () => {
  const { data, response } = await client.chat.completions.create({ model, messages: IRON }).withResponse();
  const message = data.choices[0].message;
  assert(message.content === 'Fe', `content ${message.content}`);
  assert(message.refusal === null, `refusal ${message.refusal}`);
  assert(data.choices[0].finish_reason === 'stop', data.choices[0].finish_reason);
  assert(data.usage.prompt_tokens > 0 && data.usage.completion_tokens > 0, JSON.stringify(data.usage));
  const id = response.headers.get('x-request-id');
  assert(/^req_[0-9a-f]{24}$/.test(id), `x-request-id ${id}`);
  assert(data._request_id === id, `_request_id ${data._request_id}`);
});

await check('ignored fields are accepted', async () => {
  const r = await client.chat.completions.create({
    model, messages: IRON, user: 'u1', safety_identifier: 's1', prompt_cache_key: 'k1', service_tier: 'auto', store: false,
    metadata: { team: 'docs' }, parallel_tool_calls: false,
  });
  assert(r.choices[0].message.content === 'Fe', r.choices[0].message.content);
});

await check('streaming completion with usage', async () => {
  const stream = await client.chat.completions.create({ model, messages: QUILL, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let chunks = 0;
  let usage = null;
  let finish = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (choice?.delta?.content) text += choice.delta.content;
    if (choice?.finish_reason) finish = choice.finish_reason;
  }
  assert(text === 'Dora Pemberton', `text ${text}`);
  assert(chunks > 2, `chunks ${chunks}`);
  assert(finish === 'stop', `finish ${finish}`);
  assert(usage && usage.completion_tokens > 0, `usage ${JSON.stringify(usage)}`);
});

await check('stream helper: finalChatCompletion', async () => {
  const runner = client.chat.completions.stream({ model, messages: QUILL });
  const pieces = [];
  runner.on('content', (delta) => pieces.push(delta));
  const final = await runner.finalChatCompletion();
  assert(final.choices[0].message.content === 'Dora Pemberton', final.choices[0].message.content);
  assert(pieces.join('') === 'Dora Pemberton', pieces.join('|'));
});

await check('tools: a tool call with a schema in OpenAI\'s documented forms', async () => {
  const r = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Is it raining in Mumbai?' }],
    tools: [{
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Get the weather in a city.',
        parameters: {
          type: 'object',
          properties: {
            city: { type: 'string', description: 'The city' },
            unit: { type: ['string', 'null'], enum: ['celsius', 'fahrenheit', null] },
            when: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }] },
            place: { $ref: '#/$defs/place' },
          },
          required: ['city'],
          additionalProperties: false,
          $defs: { place: { type: 'object', properties: { lat: { type: 'number' }, lon: { type: 'number' } } } },
        },
      },
    }],
  });
  const choice = r.choices[0];
  assert(choice.finish_reason === 'tool_calls', `finish ${choice.finish_reason}`);
  const call = choice.message.tool_calls[0];
  assert(call.type === 'function' && call.function.name === 'get_weather', JSON.stringify(call));
  assert(JSON.parse(call.function.arguments).city === 'Mumbai', call.function.arguments);
  assert(choice.message.refusal === null, `refusal ${choice.message.refusal}`);
});

await check('tools: streamed tool call', async () => {
  const runner = client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'What is the local time in Tokyo?' }],
    tools: [{ type: 'function', function: { name: 'get_time', description: 'Local time in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }] });
  const final = await runner.finalChatCompletion();
  const call = final.choices[0].message.tool_calls?.[0];
  assert(call?.function?.name === 'get_time', JSON.stringify(final.choices[0].message));
  assert(JSON.parse(call.function.arguments).city === 'Tokyo', call.function.arguments);
});

await check('runTools (blocking)', async () => {
  const runner = client.chat.completions.runTools({ model, messages: [{ role: 'system', content: 'Use the tools when they help.' }, { role: 'user', content: 'What is 37 plus 45?' }], tools: [addTool] });
  const content = await runner.finalContent();
  assert(content.includes('82'), `final content ${content}`);
  const calls = runner.messages.filter((m) => m.role === 'tool');
  assert(calls.length === 1 && calls[0].content === '82', JSON.stringify(runner.messages));
});

await check('runTools (streaming)', async () => {
  const runner = client.chat.completions.runTools({ model, stream: true, messages: [{ role: 'system', content: 'Use the tools when they help.' }, { role: 'user', content: 'What is 120 plus 7?' }], tools: [addTool] });
  const content = await runner.finalContent();
  assert(content.includes('127'), `final content ${content}`);
});

await check('abort a stream: generation stops, the next request is served at once', async () => {
  const closedBefore = await metric('http_server_requests_seconds_count', { status: '499' });
  const controller = new AbortController();
  const stream = await client.chat.completions.create({ model, messages: STORY, stream: true, max_tokens: 1000 }, { signal: controller.signal });
  let chunks = 0;
  try {
    for await (const chunk of stream) if (++chunks === 5) controller.abort(); // the SDK ends the iteration
  } catch (e) {
    if (!(e instanceof APIUserAbortError)) throw e;
  }
  assert(chunks <= 6, `chunks after the abort: ${chunks}`);
  const ms = await ironIsAnsweredPromptly();
  await waitFor('the abort in the metrics', async () => (await metric('http_server_requests_seconds_count', { status: '499' })) > closedBefore, 5000);
  console.log(`     next request answered ${ms} ms after the abort`);
});

await check('abort a blocking request: generation stops, the next request is served at once', async () => {
  const controller = new AbortController();
  const pending = client.chat.completions.create({ model, messages: STORY, max_tokens: 1000 }, { signal: controller.signal });
  await waitFor('the generation to run', async () => (await metric('ffnskip_requests_in_flight')) >= 2, 10_000); // it and /metrics
  await new Promise((r) => setTimeout(r, 300));
  controller.abort();
  try {
    await pending;
    throw new Error('not aborted');
  } catch (e) {
    assert(e instanceof APIUserAbortError, `${e}`);
  }
  const ms = await ironIsAnsweredPromptly();
  console.log(`     next request answered ${ms} ms after the abort`);
});

const ELEMENT_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    symbol: { type: 'string' },
    state: { enum: ['solid', 'liquid', 'gas'] },
    number: { type: ['integer', 'null'] },
    isotopes: { type: 'array', items: { $ref: '#/$defs/Isotope' } },
  },
  required: ['name', 'symbol', 'state', 'number', 'isotopes'],
  additionalProperties: false,
  $defs: { Isotope: { type: 'object', properties: { mass: { type: 'number' } }, required: ['mass'], additionalProperties: false } },
};
const ELEMENT_FORMAT = { type: 'json_schema', json_schema: { name: 'element', strict: true, schema: ELEMENT_SCHEMA } };

/** The schema's structure, checked by hand (the Java side validates with networknt). */
function assertElement(text) {
  const v = JSON.parse(text);
  assert(Object.keys(v).sort().join(',') === 'isotopes,name,number,state,symbol', `keys ${Object.keys(v)}`);
  assert(typeof v.name === 'string' && typeof v.symbol === 'string', text);
  assert(['solid', 'liquid', 'gas'].includes(v.state), `state ${v.state}`);
  assert(v.number === null || Number.isInteger(v.number), `number ${v.number}`);
  assert(Array.isArray(v.isotopes) && v.isotopes.every((i) => Object.keys(i).join() === 'mass' && typeof i.mass === 'number'), text);
}

await check('response_format json_schema (strict), blocking', async () => {
  const r = await client.chat.completions.create({ model, messages: IRON, response_format: ELEMENT_FORMAT, max_tokens: 200 });
  const choice = r.choices[0];
  if (choice.finish_reason === 'stop') assertElement(choice.message.content);
  else assert(choice.finish_reason === 'length' && choice.message.content.startsWith('{"'), choice.message.content);
});

await check('response_format json_schema (strict), streamed equals blocking', async () => {
  const stream = await client.chat.completions.create({ model, messages: IRON, response_format: ELEMENT_FORMAT, max_tokens: 200, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  const blocking = await client.chat.completions.create({ model, messages: IRON, response_format: ELEMENT_FORMAT, max_tokens: 200 });
  assert(text === blocking.choices[0].message.content, `${text} vs ${blocking.choices[0].message.content}`);
});

await check('response_format json_object', async () => {
  const r = await client.chat.completions.create({ model, messages: IRON, response_format: { type: 'json_object' }, max_tokens: 64 });
  if (r.choices[0].finish_reason === 'stop') {
    const v = JSON.parse(r.choices[0].message.content);
    assert(v !== null && typeof v === 'object' && !Array.isArray(v), r.choices[0].message.content);
  }
});

await check('response_format with an unsupported schema keyword: BadRequestError with param', async () => {
  try {
    const schema = { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]+$' } }, required: ['code'], additionalProperties: false };
    await client.chat.completions.create({ model, messages: IRON, response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema } } });
    throw new Error('no error');
  } catch (e) {
    assert(e instanceof BadRequestError, `${e}`);
    assert(e.param === 'response_format.json_schema.schema' && /pattern/.test(e.message), `${e.param} ${e.message}`);
  }
});

await check('typed errors: BadRequestError (unsupported_parameter) with request id', async () => {
  try {
    await client.chat.completions.create({ model, messages: IRON, n: 2 });
    throw new Error('no error');
  } catch (e) {
    assert(e instanceof BadRequestError, `${e}`);
    assert(e.status === 400 && e.code === 'unsupported_parameter' && e.param === 'n' && e.type === 'invalid_request_error', `${e.status} ${e.code} ${e.param} ${e.type}`);
    assert(/^req_/.test(e.requestID), `requestID ${e.requestID}`);
  }
});

await check('typed errors: context_length_exceeded', async () => {
  try {
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'word '.repeat(3000) }] });
    throw new Error('no error');
  } catch (e) {
    assert(e instanceof BadRequestError && e.code === 'context_length_exceeded', `${e}`);
  }
});

await check('typed errors: NotFoundError for an unknown model', async () => {
  try {
    await client.chat.completions.create({ model: 'gpt-4o', messages: IRON });
    throw new Error('no error');
  } catch (e) {
    assert(e instanceof NotFoundError && e.code === 'model_not_found', `${e}`);
  }
});

await check('typed errors: 413 for a body over the limit, then healthy', async () => {
  try {
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x'.repeat(3 << 20) }] });
    throw new Error('no error');
  } catch (e) {
    assert(e instanceof APIError && e.status === 413 && e.code === 'request_too_large', `${e}`);
  }
  await ironIsAnsweredPromptly();
});

await check('typed errors: RateLimitError with Retry-After when the queue is full (no retries)', async () => {
  // Fill the model: one generating, three waiting (the server's queue limit).
  const controllers = [];
  const running = [];
  for (let i = 0; i < 4; i++) {
    const c = new AbortController();
    controllers.push(c);
    running.push(noRetry.chat.completions.create({ model, messages: STORY, max_tokens: 1000 }, { signal: c.signal }).catch((e) => e));
  }
  await waitFor('a full queue', async () => (await metric('ffnskip_queue_depth')) === 3, 20_000);
  try {
    await noRetry.chat.completions.create({ model, messages: IRON });
    throw new Error('no error');
  } catch (e) {
    assert(e instanceof RateLimitError, `${e}`);
    assert(e.status === 429 && e.code === 'rate_limit_exceeded', `${e.status} ${e.code}`);
    assert(e.headers.get('retry-after') === '1', `retry-after ${e.headers.get('retry-after')}`);
  } finally {
    controllers.forEach((c) => c.abort());
    for (const r of await Promise.all(running)) assert(r instanceof APIUserAbortError, `${r}`);
  }
  await waitFor('the queue to empty', async () => (await metric('ffnskip_queue_depth')) === 0, 5_000);
  await ironIsAnsweredPromptly();
});

await check('default retries: a 429 is retried after Retry-After and succeeds', async () => {
  // Fill the model with long answers; when the SDK sees its 429, free the model, so that its retry gets through.
  const controllers = [];
  const busy = [];
  for (let i = 0; i < 4; i++) {
    const c = new AbortController();
    controllers.push(c);
    busy.push(noRetry.chat.completions.create({ model, messages: STORY, max_tokens: 1000 }, { signal: c.signal }).catch((e) => e));
  }
  await waitFor('a full queue', async () => (await metric('ffnskip_queue_depth')) === 3, 20_000);
  const statuses = [];
  const watching = new OpenAI({
    baseURL, apiKey: 'unused', timeout: 180_000, // the default maxRetries (2)
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      statuses.push(response.status);
      if (response.status === 429) controllers.forEach((c) => c.abort());
      return response;
    },
  });
  const r = await watching.chat.completions.create({ model, messages: IRON });
  assert(r.choices[0].message.content === 'Fe', r.choices[0].message.content);
  assert(statuses[0] === 429 && statuses[statuses.length - 1] === 200, `statuses ${statuses}`);
  await Promise.all(busy);
  console.log(`     attempts: ${statuses.join(', ')}`);
});

await check('concurrency: 8 mixed requests at once, every answer right (429s retried)', async () => {
  const questions = [[IRON, 'Fe'], [QUILL, 'Dora Pemberton']];
  const all = [];
  for (let i = 0; i < 8; i++) {
    const [messages, expected] = questions[i % 2];
    if (i % 3 === 0) {
      all.push((async () => {
        const stream = await client.chat.completions.create({ model, messages, stream: true });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        return [text, expected];
      })());
    } else {
      all.push(client.chat.completions.create({ model, messages }).then((r) => [r.choices[0].message.content, expected]));
    }
  }
  const results = await Promise.allSettled(all);
  const wrong = results.filter((r) => r.status !== 'fulfilled' || r.value[0] !== r.value[1]);
  assert(wrong.length === 0, `wrong or failed: ${JSON.stringify(wrong.map((r) => r.reason?.message ?? r.value))}`);
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
