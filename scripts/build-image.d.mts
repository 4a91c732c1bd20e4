export const DEFAULT_TAG: string;
export const NODE_PACKAGE: string;
export const LOCAL_BASE: string;
export const STORAGE: string[];
export function imageExists(ref: string): boolean;
export function buildLocalBase(): string;
export function buildImage(o?: { tag?: string; base?: string; rebuildBase?: boolean; quiet?: boolean }): Promise<string>;
