// The proxy's public surface: the program pieces for the runtime and tests, and the compiled
// router for simulation.

export { compileConfig, CompiledConfig, type RouteRequest, type RouteResult } from './compile-config.ts';
export { simulate, type SimulationResult, type SimulateOptions } from './simulate.ts';
export { startProxy, type StartProxyOptions, type RunningProxy, type ProxyEvent } from './start-proxy.ts';
export { Proxy, type ProxyOptions, type ApplyResult } from './proxy.ts';
export { parseProxyFlags } from './flags.ts';
export { ProxyErrorCode, HttpParseError, ProxyConfigError } from './errors.ts';
export { ResponseFlag } from './response-flags.ts';
export { REQUEST_CHANNEL, CONFIG_CHANNEL, type RequestEvent, type ConfigEvent } from './diagnostics.ts';
export type { Filter, Handler } from './filter.ts';
export type { Exchange } from './exchange.ts';
