/** The error `fn` throws, checked to be of `type`; fails the test when it throws nothing or something else. */
export const thrownBy = <E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): E => {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected ${type.name} to be thrown`);
};
