// The official Cartesia JS client against the mock server: list every page, retrieve, download the audio.
// Usage: node calls_api.mjs <base url> <agent id> <unknown call id>
// Prints one JSON object with what the client saw; tests/integration/test_cartesia_js_client.py checks it.
import Cartesia, { NotFoundError } from '@cartesia/cartesia-js';

const [baseURL, agentId, missingId] = process.argv.slice(2);
const client = new Cartesia({ apiKey: 'sk_test_key', baseURL, maxRetries: 0, timeout: 20_000 });

// The client pages as it does against the platform: starting_after=<last id> until a page is empty.
const pages = [];
const first = await client.agents.calls.list({ agent_id: agentId, limit: 1 });
for await (const page of first.iterPages()) {
  pages.push(page.data.map((call) => call.id));
}
const listed = [];
for await (const call of client.agents.calls.list({ agent_id: agentId, limit: 1 })) {
  listed.push(call.id);
}

const call = await client.agents.calls.retrieve(listed[0]);
const response = await client.agents.calls.downloadAudio(listed[0]).asResponse();
const audio = Buffer.from(await response.arrayBuffer());

let missing = null;
try {
  await client.agents.calls.retrieve(missingId);
} catch (error) {
  missing = { notFound: error instanceof NotFoundError, status: error.status, body: error.error };
}

console.log(
  JSON.stringify({
    pages,
    listed,
    retrieved: {
      id: call.id,
      status: call.status,
      start_time: call.start_time,
      end_time: call.end_time,
      transcript: call.transcript.length,
    },
    audio: {
      status: response.status,
      contentType: response.headers.get('content-type'),
      bytes: audio.length,
      riff: audio.subarray(0, 4).toString('latin1'),
      wave: audio.subarray(8, 12).toString('latin1'),
      byteRate: audio.readUInt32LE(28),
      dataBytes: audio.readUInt32LE(40),
    },
    missing,
  }),
);
