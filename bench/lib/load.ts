import type { JsonWsClient, MessageBuilder } from './jsonWsClient.js';
import { elapsedNs, now } from './time.js';

/**
 * `count` calls one after another: each call's latency and the total, in nanoseconds. Failed replies are counted
 * because an error answer is fast and would otherwise pass for a good figure.
 */
export async function sequentialCalls(
  client: JsonWsClient,
  build: MessageBuilder,
  count: number,
): Promise<{ latenciesNs: Float64Array; totalNs: number; failures: number }> {
  const latenciesNs = new Float64Array(count);
  let failures = 0;
  const start = now();
  for (let i = 0; i < count; i++) {
    const sent = now();
    const reply = await client.call(build);
    latenciesNs[i] = elapsedNs(sent);
    if (reply.ok === false) failures++;
  }
  return { latenciesNs, totalNs: elapsedNs(start), failures };
}

/** `count` calls with `inFlight` outstanding at all times (until the tail); the total time in nanoseconds. */
export async function pipelinedCalls(
  client: JsonWsClient,
  build: MessageBuilder,
  count: number,
  inFlight: number,
): Promise<{ totalNs: number; failures: number }> {
  let started = 0;
  let failures = 0;
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++;
      const reply = await client.call(build);
      if (reply.ok === false) failures++;
    }
  };
  const start = now();
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
  return { totalNs: elapsedNs(start), failures };
}
