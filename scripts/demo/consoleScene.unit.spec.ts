import { consolePort } from './consoleScene';

describe("the demo console's port", () => {
  it('is the one asked for while it is free, else any free port (0)', async () => {
    const taken = new Set([9405]);
    const isFree = async (port: number) => !taken.has(port);
    expect(await consolePort(9406, isFree)).toBe(9406);
    expect(await consolePort(9405, isFree)).toBe(0);
    expect(await consolePort(0, isFree)).toBe(0);
  });
});
