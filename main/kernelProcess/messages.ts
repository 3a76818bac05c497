import { z } from 'zod';
import { appEvents, ErrorValueSchema } from '../../shared/protocol/index.js';

// What main and the kernel's utility process say to each other over the utility process's own port. Renderer
// sessions never travel here: their MessagePorts are handed over once (connect) and talk to the bridge directly.

const CommandCall = z.object({
  type: z.literal('app.call'),
  id: z.number().int(),
  command: z.string(),
  args: z.unknown(),
});
const CommandResult = z.union([
  z.object({ type: z.literal('app.result'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    type: z.literal('app.result'),
    id: z.number().int(),
    ok: z.literal(false),
    error: ErrorValueSchema,
  }),
]);

/** From the kernel process to main. */
export const KernelMessageSchema = z.union([
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('failed'), message: z.string() }),
  CommandCall,
]);
export type KernelMessage = z.infer<typeof KernelMessageSchema>;

/** From main to the kernel process. */
export const MainMessageSchema = z.union([
  z.object({ type: z.literal('connect') }), // with one port: a vetted session
  z.object({ type: z.literal('shutdown') }), // close the kernel cleanly, then exit
  // model provider keys from the keychain, for the agents' runtime (they never reach a renderer)
  z.object({ type: z.literal('providerSettings'), geminiApiKey: z.string().optional() }),
  // the app's own events (updates, focus an agent, open the Smart Bar): main has no bus of its own
  z.object({
    type: z.literal('emit'),
    topic: z.enum(Object.keys(appEvents) as [keyof typeof appEvents]),
    payload: z.unknown(),
  }),
  CommandResult,
]);
export type MainMessage = z.infer<typeof MainMessageSchema>;
