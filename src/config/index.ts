// The config area: YAML manifests in, validated resources and graded diagnostics out.

export { parseManifests, type ParseOptions, type ParsedDocument, type ParseResult } from './parse.ts';
export { validateResource } from './validate.ts';
export { formatDiagnostic, formatPath, parsePath, type Diagnostic, type PathSegment, type Severity } from './diagnostic.ts';
export { parseDuration } from './duration.ts';
export { SUPPORTED_KINDS, type SupportedKind } from './kinds.ts';
export { ConfigCodes, type ConfigCode, type CodeInfo } from './codes.ts';
export { locate, type SourcePosition } from './locate.ts';
export { checkRe2, type Re2Check } from './re2.ts';
export { parseMeshConfig, type MeshConfigResult } from './mesh-config.ts';
