// Durations are parsed by one shared parser (Go's time.ParseDuration rules, as Istio's protobuf
// durations are written); config validation reads them through here.
export { parseDuration, parseDurationNanos } from '../shared/index.ts';
