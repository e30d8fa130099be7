// Types for the shared CLI bundle options, so the TypeScript tests bundle the CLI the same way.
import type { BuildOptions } from 'esbuild';

export declare const cliBuildOptions: BuildOptions;
