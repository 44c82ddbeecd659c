export { describeEventBusContract, eventually } from './busContract';
export type { ContractHarness } from './busContract';
