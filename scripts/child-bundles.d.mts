export declare const ROOT: string;
export declare function bundleChildren(entryPoints: Record<string, string>, outdir?: string): Promise<void>;
export declare const STORAGE_WORKER_ENTRY: Record<string, string>;
