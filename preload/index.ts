import { contextBridge, ipcRenderer } from 'electron';
import { ClientCore, type HabitatApi } from '../shared/client/index.js';

// The renderer gets window.habitat and nothing else: the bridge protocol over one MessagePort, which main validates.
const channel = new MessageChannel();
const client = new ClientCore((message) => channel.port1.postMessage(message));
channel.port1.onmessage = (event) => client.receive(event.data);
channel.port1.start();
ipcRenderer.postMessage('habitat:connect', null, [channel.port2]);
client.setState('open');

const api: HabitatApi = {
  call: (command, args, options) => client.call(command, args, options),
  subscribe: (pattern: string, listener: (payload: unknown, topic: string) => void) =>
    client.subscribe(pattern, listener),
  onConnectionChange: (listener) => client.onConnectionChange(listener),
  getConnectionState: () => client.getConnectionState(),
};

contextBridge.exposeInMainWorld('habitat', api);
