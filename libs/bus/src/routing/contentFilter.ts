import { Query } from 'mingo';
import { InvalidFilterError } from '../errors';
import type { EnumPaths } from './enumPaths';

/** Mongo-style filter over an event's fields, e.g. `{ "payload.priority": { "$gte": "high" } }`. */
export type ContentFilter = Record<string, unknown>;

const logical = new Set(['$and', '$or']);
const comparison = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$regex', '$options', '$not']);
const ordering: Record<string, (a: number, b: number) => boolean> = {
  $gt: (a, b) => a > b,
  $gte: (a, b) => a >= b,
  $lt: (a, b) => a < b,
  $lte: (a, b) => a <= b,
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);

/**
 * Validates a filter and rewrites ordering on Avro enum fields into membership: enums compare
 * by symbol position, so `$gte: "high"` over low|normal|high|critical becomes
 * `$in: ["high", "critical"]`. Matching itself is mingo's.
 */
export const compileFilter = (filter: ContentFilter | undefined, enums: EnumPaths): ((event: unknown) => boolean) => {
  if (filter === undefined) return () => true;
  if (!isPlainObject(filter)) throw new InvalidFilterError('', 'a filter is an object of field paths and operators');
  const rewritten = rewriteClause(filter, '', enums);
  let query: Query;
  try {
    query = new Query(rewritten);
    query.test({});
  } catch (error) {
    throw new InvalidFilterError('', (error as Error).message);
  }
  return (event) => query.test(event as Record<string, unknown>);
};

const rewriteClause = (clause: Record<string, unknown>, at: string, enums: EnumPaths): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(clause).map(([key, value]) => {
      const where = at ? `${at}.${key}` : key;
      if (key.startsWith('$')) {
        if (!logical.has(key)) throw new InvalidFilterError(where, `operator ${key} is not allowed at the top of a clause; use $and or $or, or put it under a field path`);
        if (!Array.isArray(value) || value.length === 0 || !value.every(isPlainObject)) throw new InvalidFilterError(where, `${key} takes a non-empty array of clauses`);
        return [key, value.map((v, i) => rewriteClause(v, `${where}[${i}]`, enums))];
      }
      if (key.length === 0 || key.split('.').some((w) => w.length === 0)) throw new InvalidFilterError(where, 'field paths are dotted, non-empty words');
      return [key, rewriteCondition(key, value, enums)];
    }),
  );

const rewriteCondition = (path: string, condition: unknown, enums: EnumPaths): unknown => {
  const symbols = enums.get(path);
  if (!isPlainObject(condition) || !Object.keys(condition).some((k) => k.startsWith('$'))) {
    if (Array.isArray(symbols) && typeof condition === 'string') assertSymbol(path, condition, symbols);
    return condition;
  }
  const parts: Record<string, unknown>[] = [];
  for (const [op, operand] of Object.entries(condition)) {
    if (!comparison.has(op)) throw new InvalidFilterError(`${path}.${op}`, `unknown operator ${op}; allowed: ${[...comparison, ...logical].join(' ')}`);
    if ((op === '$in' || op === '$nin') && !Array.isArray(operand)) throw new InvalidFilterError(`${path}.${op}`, `${op} takes an array`);
    if (op === '$exists' && typeof operand !== 'boolean') throw new InvalidFilterError(`${path}.${op}`, '$exists takes true or false');
    if (op === '$regex') assertRegex(path, operand, condition.$options);
    if (op === '$options' && !('$regex' in condition)) throw new InvalidFilterError(`${path}.$options`, '$options goes with $regex');
    if (op === '$not') {
      if (!isPlainObject(operand)) throw new InvalidFilterError(`${path}.$not`, '$not takes an operator expression');
      parts.push({ $not: rewriteCondition(path, operand, enums) });
      continue;
    }
    if (symbols === 'conflict' && op in ordering) {
      throw new InvalidFilterError(path, 'this field is an enum with different symbols in different event types; ordering is ambiguous, narrow the pattern');
    }
    if (Array.isArray(symbols)) {
      if (op in ordering) {
        assertSymbol(`${path}.${op}`, operand, symbols);
        const pivot = symbols.indexOf(operand as string);
        parts.push({ $in: symbols.filter((_, i) => ordering[op]!(i, pivot)) });
        continue;
      }
      if (op === '$eq' || op === '$ne') assertSymbol(`${path}.${op}`, operand, symbols);
      if (op === '$in' || op === '$nin') (operand as unknown[]).forEach((s) => assertSymbol(`${path}.${op}`, s, symbols));
    }
    if (op === '$options') continue;
    parts.push(op === '$regex' ? { $regex: operand, ...(condition.$options ? { $options: condition.$options } : {}) } : { [op]: operand });
  }
  return parts.length === 1 ? parts[0] : mergeParts(parts);
};

// Several operators on one field must all hold; mingo needs them in one object, and two $in
// (from two enum bounds) are intersected.
const mergeParts = (parts: Record<string, unknown>[]): Record<string, unknown> => {
  const merged: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [op, operand] of Object.entries(part)) {
      if (op === '$in' && Array.isArray(merged.$in)) merged.$in = (merged.$in as unknown[]).filter((v) => (operand as unknown[]).includes(v));
      else merged[op] = operand;
    }
  }
  return merged;
};

const assertSymbol = (path: string, value: unknown, symbols: readonly string[]): void => {
  if (typeof value !== 'string' || !symbols.includes(value)) {
    throw new InvalidFilterError(path, `${JSON.stringify(value)} is not one of the enum's symbols ${symbols.join(' < ')}`);
  }
};

const assertRegex = (path: string, pattern: unknown, options: unknown): void => {
  if (typeof pattern !== 'string' && !(pattern instanceof RegExp)) throw new InvalidFilterError(`${path}.$regex`, '$regex takes a string or RegExp');
  try {
    if (typeof pattern === 'string') new RegExp(pattern, typeof options === 'string' ? options : undefined);
  } catch (error) {
    throw new InvalidFilterError(`${path}.$regex`, (error as Error).message);
  }
};
