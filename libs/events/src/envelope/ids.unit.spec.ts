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

  it('draws the random part evenly over all 32 characters, fresh each millisecond', () => {
    const counts = new Map<string, number>();
    const randomParts = new Set<string>();
    for (let t = 0; t < 4000; t++) {
      const random = newEventId(2000000000000 + t).slice(10);
      randomParts.add(random);
      for (const c of random.slice(1)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(randomParts.size).toBe(4000);
    expect(counts.size).toBe(32);
    // 60,000 draws over 32 characters: ~1,875 each; a biased or stuck source falls far outside.
    for (const n of counts.values()) expect(n).toBeGreaterThan(1600);
    for (const n of counts.values()) expect(n).toBeLessThan(2150);
  });
});
