export { PushHub, type ProxyStream } from './push-hub.ts';
