export declare const ROOT: string;
export declare function bundleChildren(entryPoints: Record<string, string>, outdir?: string): Promise<void>;
