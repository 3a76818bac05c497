// The headless host's defaults, apart from the host itself: the CLI reads them without loading the kernel.
export const DEFAULT_PORT = 7420;
export const LOOPBACK = '127.0.0.1';
