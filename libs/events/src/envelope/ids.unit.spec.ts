import { decodeTime } from 'ulid';
import { newEventId } from './ids';

const ulid = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('newEventId', () => {
  it('returns a 26-character Crockford base32 ULID encoding the given time', () => {
    const id = newEventId(1700000000000);
    expect(id).toMatch(ulid);
    expect(decodeTime(id)).toBe(1700000000000);
  });

  it('sorts ids in creation order across milliseconds', () => {
    const ids = [1700000000000, 1700000000001, 1700000005000, 1800000000000].map((t) => newEventId(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it('is strictly increasing within the same millisecond', () => {
    const now = 1900000000000;
    const ids = Array.from({ length: 100 }, () => newEventId(now));
    expect(new Set(ids).size).toBe(100);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => decodeTime(id) === now)).toBe(true);
  });
});
