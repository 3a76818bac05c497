export { EventBus, type Disposable, type EventListener } from './EventBus.js';
