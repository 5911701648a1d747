export { LocalPlatform, manifestDir, readManifest, type LocalPlatformOptions, type SourcedResource } from './local-platform.ts';
export { ControlPlaneClient, ClientErrors, type ResourceList } from './cp-client.ts';
export { meshHome, readMeshInfo, isAlive, type MeshInfo } from './mesh-home.ts';
export { findPrometheus, PROMETHEUS_MISSING_NOTE, PROXY_METRICS_PATH, SCRAPE_INTERVAL } from './prometheus.ts';
