import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** ULIDs sort by creation time, so event ids order the way events happened on one producer. */
export const newEventId = (now: number = Date.now()): string => nextUlid(now);
