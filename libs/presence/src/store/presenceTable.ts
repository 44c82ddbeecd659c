/** The presence monitor's own schema; its migrations, offsets and the agents table live here. */
export const presenceSchema = 'presence';
export const presenceTable = 'agents';
/** The analysts' view of the presence table, in the shared `read` schema. */
export const presenceView = 'presence_agents';
