// Building blocks for the resource schemas. The schemas check shape only: types, enums and which
// fields exist. Every field is optional here; what is required, and every rule about values, is
// checked by the semantic validators, which also run on resources built in memory.

import { z } from 'zod';

/** An API message: unknown fields are errors, every field optional. */
export function message<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape).partial();
}

/** A Kubernetes object the mesh reads only part of: the listed fields are checked, others kept. */
export function loose<T extends z.ZodRawShape>(shape: T) {
  return z.looseObject(shape).partial();
}

export const str = z.string();
export const bool = z.boolean();
export const double = z.number();
export const int32 = z.int().min(-2147483648).max(2147483647);
export const uint32 = z.int().min(0).max(4294967295);
/** 64-bit integers may be written as numbers or, as protobuf JSON allows, as decimal strings. */
export const uint64 = z.union([z.int().min(0), z.string().regex(/^\d+$/)]);
/** Go-style duration text such as `1.5s`; the value is checked by the validators. */
export const duration = z.string();
export const strList = z.array(z.string());
export const strMap = z.record(z.string(), z.string());

/** Kubernetes ObjectMeta: name, namespace, labels and annotations are checked; the rest is accepted. */
export const ObjectMeta = loose({
  name: str,
  namespace: str,
  labels: strMap,
  annotations: strMap,
});
