export { ConfigStore, type ChangeAction } from './config-store.ts';
