import { contextBridge, ipcRenderer } from 'electron';
import { ClientCore } from '../shared/client/index.js';
import { createPreloadApi } from './api.js';

// The renderer gets window.habitat and nothing else: the bridge protocol over one MessagePort, which main validates.
const channel = new MessageChannel();
const client = new ClientCore((message) => channel.port1.postMessage(message));
channel.port1.onmessage = (event) => client.receive(event.data);
channel.port1.start();
ipcRenderer.postMessage('habitat:connect', null, [channel.port2]);
client.setState('open');

contextBridge.exposeInMainWorld('habitat', createPreloadApi(client));
