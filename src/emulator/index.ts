export { DEFAULT_ACCOUNTS, type EmulatorAccounts } from "./accounts.ts";
export { createEmulator, type Emulator, type EmulatorOptions } from "./emulator.ts";
export type { EndpointKind, Fault, ProviderName } from "./faults.ts";
export type { EmulatorStorage } from "./persistence.ts";
export type { TokenProblem } from "./tokens.ts";
