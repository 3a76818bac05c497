import type { ChildProcess } from 'node:child_process';

export function hostNodeFlags(env?: Record<string, string | undefined>, cpus?: number): string[];
export function run(command: string, args: string[]): ChildProcess;
export function runServe(args: string[]): ChildProcess;
