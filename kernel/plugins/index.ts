// Plugins: discovered in each agent's ~/.config/plugins, validated, run inside the agent's own sandbox through a
// small runner. Other kernel code imports only here.
export { Plugins, type PluginHost, type PluginsOptions } from './Plugins.js';
export { parseManifest as parsePluginManifest, PLUGINS_DIR } from './load.js';
export { RUNNER } from './runner.js';
