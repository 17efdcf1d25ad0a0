// The little of Node's API the unit tests use (there are no @types/node):
// node:test and node:assert/strict, as the tests call them.
declare module "node:test" {
  type Body = () => void | Promise<void>;
  export function describe(name: string, fn: Body): void;
  export function test(name: string, fn: Body): void;
}

declare module "node:assert/strict" {
  interface Assert {
    (value: unknown, message?: string): asserts value;
    ok(value: unknown, message?: string): asserts value;
    equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
    notEqual(actual: unknown, expected: unknown, message?: string): void;
    deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T;
    match(value: string, pattern: RegExp, message?: string): void;
    fail(message?: string): never;
  }
  const assert: Assert;
  export default assert;
}
