export { PushHub, type ProxyStatus, type ProxyStream } from './push-hub.ts';
