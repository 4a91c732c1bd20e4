// Shared by the validator tests: one validator per test file (kinds compile lazily, so each file
// pays only for the kinds it uses) and compact "path: message" views of the issues.
import { expect } from 'vitest';
import { loadValidator, type ValidationIssue, type Validator } from '../../lib/validate';
import type { Obj } from './fixtures';

let shared: Validator | undefined;
export function validator(): Validator {
  shared ??= loadValidator({ unvalidatedKinds: [] });
  return shared;
}

export function issuesOf(object: unknown): ValidationIssue[] {
  return validator().validateObject(object, { file: 'test.yaml' });
}

export function pathsAndMessages(object: unknown): Array<{ path: string; message: string }> {
  return issuesOf(object).map(({ path, message }) => ({ path, message }));
}

/** The broken object is rejected with exactly this one problem (the fixture is otherwise valid). */
export function expectOnlyIssue(object: Obj, path: string, message: string | RegExp): void {
  const found = pathsAndMessages(object);
  expect(found, JSON.stringify(found, null, 1)).toHaveLength(1);
  expect(found[0].path).toBe(path);
  if (typeof message === 'string') expect(found[0].message).toBe(message);
  else expect(found[0].message).toMatch(message);
}

export function expectValid(object: Obj): void {
  expect(pathsAndMessages(object)).toEqual([]);
}

export const UNKNOWN_FIELD = 'unknown field (not in the schema)';
export const REQUIRED = 'Required value';
