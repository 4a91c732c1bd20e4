import { describe, expect, it } from 'vitest';
import { classifyHello } from '../../lib/mongo-snapshot/discover';

describe('classifyHello', () => {
  it('replica-set members', () => {
    expect(classifyHello('h', { setName: 'rs0', isWritablePrimary: true, primary: 'h:27017' })).toEqual({
      kind: 'member',
      setName: 'rs0',
      primary: 'h:27017',
      arbiter: false,
      isPrimary: true,
    });
    expect(classifyHello('h', { setName: 'rs0', secondary: true, arbiterOnly: true })).toMatchObject({
      kind: 'member',
      arbiter: true,
      isPrimary: false,
    });
  });
  it('mongos, standalone, uninitialised member, wrong set: clear errors', () => {
    expect(classifyHello('h', { msg: 'isdbgrid', isWritablePrimary: true })).toMatchObject({
      kind: 'reject',
      message: expect.stringMatching(/mongos/),
    });
    expect(classifyHello('h', { isWritablePrimary: true })).toMatchObject({ kind: 'reject', message: expect.stringMatching(/standalone/) });
    expect(classifyHello('h', { isreplicaset: true })).toMatchObject({ kind: 'reject', message: expect.stringMatching(/replSetInitiate/) });
    expect(classifyHello('h', { setName: 'a' }, 'b')).toMatchObject({ kind: 'reject', message: expect.stringMatching(/"a", not "b"/) });
  });
});
