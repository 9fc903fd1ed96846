export declare const RESOURCE: string;
export declare const CLIENTS: Record<"basic" | "post", { id: string; secret: string }>;
