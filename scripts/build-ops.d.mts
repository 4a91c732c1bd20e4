export const outdir: string;
export const outfile: string;
export const OPTIONAL_EXTERNALS: string[];
/** The ops commands: name → entry file (absolute). */
export function opsCommands(): Record<string, string>;
export function buildOps(o?: { quiet?: boolean }): Promise<Record<string, string>>;
export const buildMongoSnapshot: typeof buildOps;
