/** Open-ended JSON-string fields go to jsonb; text that is not JSON is kept as a JSON string rather than lost. */
export const jsonColumn = (text: string | null | undefined): unknown => {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};
